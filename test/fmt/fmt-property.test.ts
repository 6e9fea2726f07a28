/**
 * `fleet fmt` changes layout only (issue 16): over a seeded fuzz corpus (every example and golden
 * file, mutated, with comments and blank lines thrown in), every program that parses formats to
 * text that parses and formats to itself, and every program that checks evaluates to the same
 * canonical JSON (`fleet eval --json`) before and after, under each scenario it defines.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, formatSource } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";
import { mutate, rng } from "../support/pcl-mutator.js";

const FRAGMENTS = [
  "# a comment\n", " # trailing\n", "\n# own line\n", "\n\n", "\n", ",", ";", " ", "{ x = 1 }", "[1, 2]",
  "Setting<Int>(3, priority = 5)", "if true then 1 else 2", "\"s${A.x}\"", "for v in [1] => v", "A.x", "true",
];

function pclFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? pclFiles(p) : f.endsWith(".pcl") ? [readFileSync(p, "utf8")] : [];
  });
}

/** Inserts a comment or a blank line at a few token boundaries (between two non-space characters). */
function sprinkleComments(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const inString = (s.slice(0, at).match(/(?<!\\)"/g) ?? []).length % 2 === 1;
    if (inString) continue;
    const pick = Math.floor(r() * 3);
    s = s.slice(0, at) + (pick === 0 ? " # c\n" : pick === 1 ? "\n  # own\n" : "\n\n") + s.slice(at);
  }
  return s;
}

function evalJson(text: string, scenarios: readonly string[]): string | undefined {
  const r = evaluateProgram([{ path: "f.pcl", text }], { scenarios });
  return r.diagnostics.length > 0 ? undefined : canonicalModulesJson(r.modules);
}

describe("fmt over a fuzz corpus", () => {
  it("is idempotent on everything that parses and keeps eval --json byte-identical on everything that checks", () => {
    const seeds = [...pclFiles(join(REPO_ROOT, "examples")), ...pclFiles(join(REPO_ROOT, "test/golden"))];
    const r = rng(20261201);
    const total = 3000;
    let parsed = 0;
    let checked = 0;
    for (let i = 0; i < total; i++) {
      const seed = seeds[i % seeds.length] as string;
      const text = i % 3 === 0 ? sprinkleComments(seed, r) : mutate(seed, r, FRAGMENTS, 3);
      let first;
      try {
        first = formatSource({ path: "f.pcl", text });
      } catch (e) {
        throw new Error(`input ${i}: ${String(e)}\n--- input\n${text}`);
      }
      if (!first.ok) continue;
      parsed++;
      const second = formatSource({ path: "f.pcl", text: first.text });
      if (!second.ok || second.text !== first.text) {
        throw new Error(`input ${i}: fmt is not idempotent\n--- input\n${text}\n--- once\n${first.text}\n--- twice\n${second.ok ? second.text : "(refused)"}`);
      }
      const program = evaluateProgram([{ path: "f.pcl", text }], {});
      if (program.diagnostics.length > 0) continue;
      checked++;
      for (const scenarios of [[], ...[...program.scenarios].map((s) => [s])]) {
        const before = evalJson(text, scenarios);
        const after = evalJson(first.text, scenarios);
        if (before !== after) throw new Error(`input ${i}: eval --json changed under [${scenarios.join(",")}]\n--- input\n${text}\n--- formatted\n${first.text}`);
      }
    }
    // The corpus must exercise both properties, not pass by refusing everything.
    expect(parsed).toBeGreaterThan(total / 4);
    console.log(`fmt property: ${parsed} parsed, ${checked} checked of ${total}`);
    expect(checked).toBeGreaterThan(total / 10);
  }, 300_000);
});
