/**
 * The front end never throws: any input, however mangled, gives values or located diagnostics.
 * 20,000 generated programs a run: 5,000 seeded mutations of the example and golden files, and
 * 15,000 programs drawn from the grammar (valid ones, and token soup). Each must evaluate,
 * render its diagnostics and print its values without an exception, and every diagnostic must
 * have a known code and lie inside its file. The counts at the end prove the loop ran and that
 * both kinds of outcome were met (issue 12: the old closing assertion could not fail).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";
import { mutate, rng } from "../support/pcl-mutator.js";
import { generateProgram } from "../support/pcl-generator.js";

const CODES = new Set(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E14"]);
const FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "#", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "priority", "-", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];
const MUTATED = 5_000;
const GENERATED = 15_000;

function seeds(): string[] {
  const out: string[] = [];
  for (const dir of ["examples/scenarios", "test/golden"]) {
    for (const f of readdirSync(join(REPO_ROOT, dir))) if (f.endsWith(".pcl")) out.push(readFileSync(join(REPO_ROOT, dir, f), "utf8"));
  }
  return out;
}

interface Tally {
  ran: number;
  clean: number;
  diagnosed: number;
}

/** Runs one program through the front end as the CLI does; throws with the input on any defect. */
function exercise(text: string, i: number, tally: Tally): void {
  const files = [{ path: "f.pcl", text }];
  let result;
  try {
    result = evaluateProgram(files, { scenarios: i % 2 === 0 ? ["Prod"] : [] });
    renderDiagnostics(result.diagnostics, files);
    canonicalModulesJson(result.modules);
  } catch (e) {
    throw new Error(`input ${i} threw ${String(e)}:\n${text.slice(0, 2000)}`);
  }
  for (const d of result.diagnostics) {
    if (!CODES.has(d.code) || d.span.file !== "f.pcl" || !(d.span.offset >= 0 && d.span.offset <= text.length) || d.span.length < 0) {
      throw new Error(`input ${i} gave an unlocated diagnostic ${JSON.stringify(d)}:\n${text.slice(0, 2000)}`);
    }
  }
  tally.ran++;
  if (result.diagnostics.length === 0) tally.clean++;
  else tally.diagnosed++;
}

describe("fuzz", () => {
  it(`never throws and every diagnostic is located inside its file (${MUTATED + GENERATED} programs)`, { timeout: 300_000 }, () => {
    const inputs = seeds();
    expect(inputs.length).toBeGreaterThan(10);
    const tally: Tally = { ran: 0, clean: 0, diagnosed: 0 };
    const r = rng(20261125);
    for (let i = 0; i < MUTATED; i++) exercise(mutate(inputs[i % inputs.length] as string, r, FRAGMENTS, 4), i, tally);
    const g = rng(20261201);
    for (let i = 0; i < GENERATED; i++) exercise(generateProgram(g, i % 3 === 0 ? "soup" : "valid"), MUTATED + i, tally);
    expect(tally.ran).toBe(MUTATED + GENERATED);
    // Both outcomes must be common, or the generators have stopped exercising one of the paths.
    expect(tally.clean).toBeGreaterThan(100);
    expect(tally.diagnosed).toBeGreaterThan(5_000);
  });
});
