/**
 * The front end never throws: any input, however mangled, gives values or located diagnostics.
 * A seeded mutation loop over the example and golden files (≥ 20,000 inputs under CI=true).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";

const CODES = new Set(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E14"]);
const FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "#", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "priority", "-", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];

function seeds(): string[] {
  const out: string[] = [];
  for (const dir of ["examples/scenarios", "test/golden"]) {
    for (const f of readdirSync(join(REPO_ROOT, dir))) if (f.endsWith(".pcl")) out.push(readFileSync(join(REPO_ROOT, dir, f), "utf8"));
  }
  return out;
}

/** Mulberry32: a deterministic generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 4);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op === 1) s = s.slice(0, at) + (FRAGMENTS[Math.floor(r() * FRAGMENTS.length)] ?? "") + s.slice(at);
    else if (op === 2) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 30)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(at + 1);
  }
  return s;
}

describe("fuzz", () => {
  it("never throws and every diagnostic is located inside its file", () => {
    const inputs = seeds();
    const total = 20_000;
    const r = rng(20261125);
    for (let i = 0; i < total; i++) {
      const text = mutate(inputs[i % inputs.length] ?? "", r);
      const files = [{ path: "f.pcl", text }];
      let result;
      try {
        result = evaluateProgram(files, { scenarios: i % 2 === 0 ? ["Prod"] : [] });
        renderDiagnostics(result.diagnostics, files);
        canonicalModulesJson(result.modules);
      } catch (e) {
        throw new Error(`input ${i} threw ${String(e)}:\n${text}`);
      }
      for (const d of result.diagnostics) {
        if (!CODES.has(d.code) || d.span.file !== "f.pcl" || !(d.span.offset >= 0 && d.span.offset <= text.length) || d.span.length < 0) {
          throw new Error(`input ${i} gave an unlocated diagnostic ${JSON.stringify(d)}:\n${text}`);
        }
      }
    }
    expect(total).toBeGreaterThanOrEqual(20_000);
  });
});
