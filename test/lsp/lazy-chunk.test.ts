/**
 * `fleet lsp` stays out of every other command's start-up (ADR 152, ADR 080): the modules the
 * built entry imports statically, followed transitively, hold none of vscode-languageserver;
 * only a dynamic import reaches the server chunk.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^"'();]*?\s*from\s*)?["'](\.[^"']+)["']/g)) visit(join(dirname(file), m[1] as string));
  };
  visit(entry);
  return [...seen];
}

describe("the bundle", () => {
  it("loads the language server only through a dynamic import", () => {
    const entry = join(REPO_ROOT, "dist/fleet.mjs");
    const closure = staticClosure(entry);
    expect(closure.length).toBeGreaterThan(1);
    for (const f of closure) expect(readFileSync(f, "utf8").includes("node_modules/vscode-languageserver/"), f).toBe(false);
    const dynamic = [...readFileSync(entry, "utf8").matchAll(/import\(["'](\.[^"']+)["']\)/g)].map((m) => join(REPO_ROOT, "dist", m[1] as string));
    expect(dynamic.some((f) => readFileSync(f, "utf8").includes("node_modules/vscode-languageserver/"))).toBe(true);
  });
});
