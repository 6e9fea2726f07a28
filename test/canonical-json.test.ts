import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/canonical-json.js";

/** The one serialisation fleet hashes (ADR 208). */
describe("canonicalJson", () => {
  it("orders every key by code point, integer-like keys included", () => {
    // JSON.parse would move "10" and "9" first, in numeric order; SPEC §4 wants code-point order.
    expect(canonicalJson({ b: 1, "9": 2, a: 3, "10": 4 })).toBe('{\n  "10": 4,\n  "9": 2,\n  "a": 3,\n  "b": 1\n}\n');
  });

  it("orders by code points, not UTF-16 units", () => {
    const astral = "\u{1F600}"; // above U+FFFF: surrogates D83D DE00
    const bmp = "\uFF01"; // U+FF01 sorts before it by code point, after it by UTF-16 unit
    expect(Object.keys(JSON.parse(canonicalJson({ [astral]: 1, [bmp]: 2 })) as object)).toEqual([bmp, astral]);
  });

  it("prints what JSON.stringify prints for the sorted copy", () => {
    const v = { z: [1, undefined, () => 0, Number.NaN, { y: null, x: "s\n\"" }], a: { toJSON: () => "t" }, u: undefined };
    const sorted = { a: "t", z: [1, null, null, null, { x: "s\n\"", y: null }] };
    expect(canonicalJson(v)).toBe(`${JSON.stringify(sorted, null, 2)}\n`);
  });

  it("refuses a cycle", () => {
    const a: Record<string, unknown> = {};
    a["self"] = a;
    expect(() => canonicalJson(a)).toThrow();
  });
});
