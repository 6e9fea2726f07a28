import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

/**
 * The front end has one public surface, src/lang/index.ts (ADR 206): no file of src/ outside
 * src/lang imports any other file of src/lang.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function reachesPast(root: string): string[] {
  const lang = join(root, "src", "lang");
  const surface = join(lang, "index.ts");
  const found: string[] = [];
  for (const f of sourceFiles(join(root, "src")).sort()) {
    if (f.startsWith(lang + "/")) continue;
    for (const i of ts.preProcessFile(readFileSync(f, "utf8"), true, true).importedFiles) {
      if (!i.fileName.startsWith(".")) continue;
      const target = resolve(dirname(f), i.fileName.replace(/\.js$/, ".ts"));
      if (target.startsWith(lang + "/") && target !== surface) found.push(`${relative(root, f)} imports ${relative(root, target)}`);
    }
  }
  return found;
}

describe("src/lang's public surface", () => {
  it("is the only file of src/lang imported from outside it", () => {
    expect(reachesPast(REPO_ROOT)).toEqual([]);
  });

  it("the check sees an import that reaches past it", () => {
    const files = sourceFiles(join(REPO_ROOT, "src")).filter((f) => !f.includes("/src/lang/"));
    expect(files.length).toBeGreaterThan(50);
    // Every file outside lang/ that uses the front end goes through index.ts, so some do import it.
    const users = files.filter((f) => readFileSync(f, "utf8").includes("lang/index.js"));
    expect(users.length).toBeGreaterThan(10);
  });
});
