import { describe, expect, it } from "vitest";
import { renderDiagnostic, renderDiagnostics } from "../../src/lang/index.js";

const file = { path: "hosts/web.pcl", text: "module A {\n".repeat(11) + '    pacakge = "Api"\n' };
const offset = file.text.indexOf("pacakge");

describe("renderDiagnostic", () => {
  it("renders the SPEC §1.5 layout", () => {
    const d = { code: "E2" as const, message: "unknown field 'pacakge' on service record", span: { file: file.path, offset, length: 7 }, labels: [], hint: "did you mean 'package'?" };
    expect(renderDiagnostic(d, [file])).toBe(
      [
        "hosts/web.pcl:12:5: error: [E2] unknown field 'pacakge' on service record",
        '   12 |     pacakge = "Api"',
        "      |     ^^^^^^^",
        "  hint: did you mean 'package'?",
      ].join("\n"),
    );
  });

  it("renders labels with their own location and caret, and ends each diagnostic with a newline", () => {
    const d = { code: "E3" as const, message: "m", span: { file: file.path, offset, length: 7 }, labels: [{ span: { file: file.path, offset: 7, length: 1 }, message: "first defined here" }] };
    const out = renderDiagnostics([d, d], [file]);
    expect(out.split("\n").slice(3, 6)).toEqual(["  note: hosts/web.pcl:1:8: first defined here", "      1 | module A {", "        |        ^"]);
    expect(out.endsWith("\n")).toBe(true);
    expect(out.split("error:").length - 1).toBe(2);
  });

  it("puts a single caret at end of file", () => {
    const d = { code: "E8" as const, message: "m", span: { file: "x.pcl", offset: 3, length: 0 }, labels: [] };
    expect(renderDiagnostic(d, [{ path: "x.pcl", text: "abc" }]).split("\n")[2]).toBe("      |    ^");
  });
});

describe("renderDiagnostics on hostile input (issue 12, items 7 and 16)", () => {
  it("cuts a huge source line to a window around the caret, with the caret still under the mistake", () => {
    const text = `module M { x = [${"1, ".repeat(40_000)}oops] }\n`;
    const offset = text.indexOf("oops");
    const d = { code: "E2" as const, message: "unknown module 'oops'", span: { file: "big.pcl", offset, length: 4 }, labels: [] };
    const [head, source, caret] = renderDiagnostic(d, [{ path: "big.pcl", text }]).split("\n") as [string, string, string];
    expect(head).toBe(`big.pcl:1:${offset + 1}: error: [E2] unknown module 'oops'`);
    expect(source.length).toBeLessThan(200);
    expect(source).toMatch(/^ {4}1 \| …1, 1, .*oops\] }$/);
    // The caret sits under the 'o' of 'oops' in the cut line.
    expect(caret.indexOf("^")).toBe(source.indexOf("oops"));
    expect(caret.endsWith("^^^^")).toBe(true);
  });

  it("cuts the end of a long line after the caret, and keeps a short line whole", () => {
    const text = `module M { x = oops ${"y".repeat(1000)} }`;
    const d = { code: "E2" as const, message: "m", span: { file: "a.pcl", offset: text.indexOf("oops"), length: 4 }, labels: [] };
    const source = renderDiagnostic(d, [{ path: "a.pcl", text }]).split("\n")[1] as string;
    expect(source.startsWith("    1 | module M { x = oops yyy")).toBe(true);
    expect(source.endsWith("…")).toBe(true);
    expect(source.length).toBeLessThan(200);
  });

  it("renders at most 100 diagnostics and says how many more there are", () => {
    const text = "module M {\n" + Array.from({ length: 250 }, (_, i) => `  f${i} = Nope${i}.x\n`).join("") + "}\n";
    const ds = Array.from({ length: 250 }, (_, i) => ({ code: "E2" as const, message: `unknown module 'Nope${i}'`, span: { file: "m.pcl", offset: text.indexOf(`Nope${i}.`), length: 4 }, labels: [] }));
    const out = renderDiagnostics(ds, [{ path: "m.pcl", text }]);
    expect(out.split("error: [E2]").length - 1).toBe(100);
    expect(out).toContain("m.pcl:101:9: error: [E2] unknown module 'Nope99'");
    expect(out).not.toContain("'Nope100'");
    expect(out.endsWith("fleet: 150 more errors not shown (250 in all); fix the ones above first\n")).toBe(true);
  });
});
