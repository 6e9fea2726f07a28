/**
 * Golden layouts (issue 16): comments in every position (file header, after `{`/`[`, before and
 * after fields and elements, before closing brackets, inside expressions, between declarations,
 * at the end of the file) and the canonical layout of records, lists, scenarios and strings.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, formatSource } from "../../src/lang/index.js";

const DIR = join(import.meta.dirname, "golden");

function fmt(path: string, text: string): string {
  const r = formatSource({ path, text });
  if (!r.ok) throw new Error(`${path} does not parse`);
  return r.text;
}

/** The comments of a golden file (none of them has a `#` inside a string before it). */
const commentsOf = (text: string): string[] =>
  text.split("\n").flatMap((l) => (l.includes('"#') ? [] : (l.match(/#.*$/)?.[0].trimEnd() ?? [])));

describe("fmt goldens", () => {
  const cases = readdirSync(DIR).filter((f) => f.endsWith(".in.pcl"));
  it("has the comment and layout cases", () => {
    expect(cases.sort()).toEqual(["comments.in.pcl", "layout.in.pcl"]);
  });
  for (const name of cases) {
    const input = readFileSync(join(DIR, name), "utf8");
    const expected = readFileSync(join(DIR, name.replace(".in.pcl", ".out.pcl")), "utf8");
    it(`${name} formats to its .out.pcl, which is a fixed point`, () => {
      expect(fmt(name, input)).toBe(expected);
      expect(fmt(name, expected)).toBe(expected);
    });
    it(`${name}: every comment is kept, in order, and the values are unchanged`, () => {
      expect(commentsOf(expected)).toEqual(commentsOf(input));
      expect(commentsOf(input).length).toBeGreaterThan(name.startsWith("comments") ? 20 : -1);
      const before = evaluateProgram([{ path: name, text: input }], {});
      const after = evaluateProgram([{ path: name, text: expected }], {});
      expect(before.diagnostics).toEqual([]);
      expect(canonicalModulesJson(after.modules)).toBe(canonicalModulesJson(before.modules));
    });
  }
});
