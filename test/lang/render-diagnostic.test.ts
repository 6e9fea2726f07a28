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
