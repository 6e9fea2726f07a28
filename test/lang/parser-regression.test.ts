/**
 * The one Chevrotain parser (ADR 200) gives what the front end gave before it, when valid files
 * were parsed by a hand-written parser: the same tree (or the same syntax diagnostics), the same
 * values and the same rendered diagnostics, on every example and golden file, every example
 * fleet as a whole, and 5,000 seeded mutants of them (the corpus of the old differential test).
 * The fuzz inputs are checked the same way in fuzz.test.ts. Only the diagnostics issue 17 fixed
 * on purpose differ from before; their digests were rewritten with that change.
 */
import { describe, expect, it } from "vitest";
import { parse } from "../../src/lang/parse.js";
import { REPO_ROOT } from "../support/cli.js";
import { corpus, differences, digestOf, readDigests, seedsHash, type Group } from "../support/pcl-corpus.js";

const stored = readDigests(REPO_ROOT);

describe("parser regression corpus", () => {
  it("is made from the seed files the digests were made from", () => {
    expect(stored.seeds).toBe(seedsHash(REPO_ROOT));
  });

  for (const group of ["seeds", "fleets", "mutants"] as const satisfies readonly Group[]) {
    it(`${group}: every input gives its stored tree, values and diagnostics`, { timeout: 120_000 }, () => {
      const inputs = corpus(REPO_ROOT, group);
      const digests = inputs.map((input) => digestOf(input));
      expect(differences(REPO_ROOT, group, stored, inputs, digests).join("\n")).toBe("");
      // Enough of the mutants stay valid for the comparison of trees to mean something.
      if (group === "mutants") expect(inputs.filter((x) => x.files.every((f) => parse(f).diagnostics.length === 0)).length).toBeGreaterThan(500);
    });
  }
});
