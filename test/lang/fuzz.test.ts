/**
 * The front end never throws: any input, however mangled, gives values or located diagnostics.
 * 20,000 generated programs a run (test/support/pcl-corpus.ts): 5,000 seeded mutations of the
 * example and golden files, and 15,000 programs drawn from the grammar (valid ones, and token
 * soup). Each must evaluate, render its diagnostics and print its values without an exception,
 * and every diagnostic must have a known code and lie inside its file. Each must also give the
 * values and diagnostics it gave before the parser was rewritten (test/lang/corpus-digests.txt,
 * ADR 200), and both kinds of outcome must be common.
 */
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics, type ProgramResult } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";
import { corpus, differences, digestOf, readDigests, seedsHash, type CorpusInput, type Digest } from "../support/pcl-corpus.js";

const CODES = new Set(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E14"]);

interface Tally {
  clean: number;
  diagnosed: number;
}

/** Runs one program through the front end as the CLI does; throws with the input on any defect. */
function exercise(input: CorpusInput, i: number, tally: Tally): ProgramResult {
  const files = input.files;
  const text = files[0]?.text ?? "";
  let result;
  try {
    result = evaluateProgram(files, input.options);
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
  if (result.diagnostics.length === 0) tally.clean++;
  else tally.diagnosed++;
  return result;
}

describe("fuzz", () => {
  it("never throws, every diagnostic is located inside its file, and each of 20,000 programs gives its stored outputs", { timeout: 300_000 }, () => {
    const stored = readDigests(REPO_ROOT);
    expect(stored.seeds, "a seed file changed: the stored digests are of other inputs").toBe(seedsHash(REPO_ROOT));
    const inputs = corpus(REPO_ROOT, "fuzz");
    const tally: Tally = { clean: 0, diagnosed: 0 };
    const digests: Digest[] = inputs.map((input, i) => digestOf(input, exercise(input, i, tally)));
    expect(differences(REPO_ROOT, "fuzz", stored, inputs, digests).join("\n")).toBe("");
    // Both outcomes must be common, or the generators have stopped exercising one of the paths.
    expect(tally.clean).toBeGreaterThan(100);
    expect(tally.diagnosed).toBeGreaterThan(5_000);
  });
});
