/**
 * The pathological inputs of issue 12 (items 5–7), at growing sizes: each gives values or
 * located diagnostics, never an exception (a stack overflow, an invalid string length) or an
 * endless run. Nesting past the documented limits is a located `[E6]` (ADR 120); a program whose
 * values would be too large is a located `[E6]` before anything is written out (ADR 121).
 */
import { describe, expect, it } from "vitest";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics, type ProgramResult } from "../../src/lang/index.js";
import { LIMITS } from "../../src/lang/limits.js";
import { deepFamilies, sharingFamilies, undefinedReferences } from "../support/pathological.js";

function run(text: string, scenarios: readonly string[] = []): { result: ProgramResult; rendered: string; json: string | undefined } {
  const files = [{ path: "p.pcl", text }];
  const result = evaluateProgram(files, { scenarios });
  for (const d of result.diagnostics) {
    expect(d.span.file).toBe("p.pcl");
    expect(d.span.offset).toBeGreaterThanOrEqual(0);
    expect(d.span.offset).toBeLessThanOrEqual(text.length);
  }
  const rendered = renderDiagnostics(result.diagnostics, files);
  // `fleet eval --json` prints only a program without diagnostics.
  const json = result.diagnostics.length === 0 ? canonicalModulesJson(result.modules) : undefined;
  return { result, rendered, json };
}

const codes = (r: ProgramResult): string[] => [...new Set(r.diagnostics.map((d) => d.code))];

describe("item 5: deep nesting gives values or a located [E6], up to 100,000 deep", () => {
  for (const [family, make] of Object.entries(deepFamilies)) {
    it(family, { timeout: 120_000 }, () => {
      // 100,000 packages is a 7 MB program of its own: the chain is proven at 10,000.
      const sizes = family === "package dependency chain" ? [10, 1_000, 10_000] : [10, 1_000, 100_000];
      for (const n of sizes) {
        const { result, json } = run(make(n));
        const ds = result.diagnostics;
        if (n === 10) {
          // Small inputs are ordinary programs: values, or the usual non-limit diagnostic.
          expect(ds.every((d) => !/more than \d+ (levels|expressions)/.test(d.message)), family).toBe(true);
          if (family.includes("syntax") || family.includes("unclosed")) expect(codes(result)).toEqual(["E8"]);
          else if (family === "field selections") expect(codes(result)).toEqual(["E1"]);
          else if (family === "field cycle") expect(ds[0]?.message).toMatch(/^reference cycle: /);
          else expect(ds).toEqual([]);
          continue;
        }
        if (family === "|| chain" || family === "&& and || chain" || family === "package dependency chain") {
          // Chains are walked without recursion: they simply evaluate.
          expect(ds).toEqual([]);
          expect(json).toBeDefined();
          continue;
        }
        if (family === "field selections") {
          expect(codes(result)).toEqual(["E1"]);
          continue;
        }
        expect(ds.length, family).toBeGreaterThan(0);
        expect(ds.some((d) => d.code === "E6" && /more than \d+ /.test(d.message)), `${family} ${n}: ${ds[0]?.message}`).toBe(true);
      }
    });
  }

  it("reports the level too many exactly where it opens, and accepts the limit itself", () => {
    const at = (n: number) => run(`module M { x = ${"[".repeat(n)}1${"]".repeat(n)} }\n`).result.diagnostics;
    expect(at(LIMITS.nesting)).toEqual([]);
    const [d] = at(LIMITS.nesting + 1);
    expect(d?.code).toBe("E6");
    expect(d?.span.offset).toBe("module M { x = ".length + LIMITS.nesting);
    expect(d?.message).toBe(`expressions nest more than ${LIMITS.nesting} levels deep here; flatten the expression or split it into fields`);
    // A file with a syntax error goes to the Chevrotain parser, which stops at the same place.
    const bad = run(`module M { x = ${"[".repeat(LIMITS.nesting + 1)}1${"]".repeat(LIMITS.nesting + 1)} y = = }\n`).result.diagnostics;
    expect(bad.map((x) => [x.code, x.span.offset])).toContainEqual(["E6", "module M { x = ".length + LIMITS.nesting]);
  });

  it("a reference chain up to the evaluation depth limit still evaluates", () => {
    const { result } = run(deepFamilies["module reference chain"]!(LIMITS.evalDepth - 10));
    expect(result.diagnostics).toEqual([]);
  });
});

describe("item 6: sharing evaluates linearly, and values past the budget are a located [E6]", () => {
  for (const [family, { text, scenarios }] of Object.entries(sharingFamilies)) {
    it(family, { timeout: 120_000 }, () => {
      for (const n of [4, 8, 16, 30, 60]) {
        const { result, json } = run(text(n), scenarios);
        if (json !== undefined) expect(json.length).toBeLessThanOrEqual(LIMITS.outputBytes);
        if (n <= 8) {
          expect(result.diagnostics, `${family} ${n}`).toEqual([]);
          continue;
        }
        if (n >= 30) {
          // 2^30 leaves as JSON, or 2^30 list elements or characters: always past a budget.
          expect(result.diagnostics.some((d) => d.code === "E6"), `${family} ${n}`).toBe(true);
        }
      }
    });
  }

  it("`==` compares shared values once per pair: two separately built 2^14-leaf trees are equal", () => {
    const { result } = run(sharingFamilies["=="]!.text(14));
    expect(result.diagnostics).toEqual([]);
    expect(result.modules.get("M")?.e14).toBe(true);
  });
});

describe("item 7: many diagnostics", () => {
  it("reports every undefined reference, renders 100 and counts the rest", { timeout: 120_000 }, () => {
    for (const n of [10, 1_000, 10_000]) {
      const { result, rendered } = run(undefinedReferences(n));
      expect(result.diagnostics.length).toBe(n);
      expect(result.diagnostics.every((d) => d.code === "E2")).toBe(true);
      expect(rendered.split("error: [E2]").length - 1).toBe(Math.min(n, 100));
      if (n > 100) expect(rendered.endsWith(`fleet: ${n - 100} more errors not shown (${n} in all); fix the ones above first\n`)).toBe(true);
    }
  });
});
