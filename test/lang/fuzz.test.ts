/**
 * The front end never throws: any input, however mangled, gives values or located diagnostics.
 * A seeded mutation loop over the example and golden files (≥ 20,000 inputs under CI=true).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";
import { mutate, rng } from "../support/pcl-mutator.js";

const CODES = new Set(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E14"]);
const FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "#", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "priority", "-", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];

function seeds(): string[] {
  const out: string[] = [];
  for (const dir of ["examples/scenarios", "test/golden"]) {
    for (const f of readdirSync(join(REPO_ROOT, dir))) if (f.endsWith(".pcl")) out.push(readFileSync(join(REPO_ROOT, dir, f), "utf8"));
  }
  return out;
}


describe("fuzz", () => {
  it("never throws and every diagnostic is located inside its file", () => {
    const inputs = seeds();
    const total = 20_000;
    const r = rng(20261125);
    for (let i = 0; i < total; i++) {
      const text = mutate(inputs[i % inputs.length] ?? "", r, FRAGMENTS, 4);
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
