import { describe, expect, it } from "vitest";
import { parse } from "../../src/lang/parse.js";

const p = (text: string) => parse({ path: "t.pcl", text });

describe("parser", () => {
  it("builds modules and scenarios with spans", () => {
    const r = p('module A { x = 1; y = "s", }\nscenario S { A.x = 2 }');
    expect(r.diagnostics).toEqual([]);
    const [a, s] = r.program.decls;
    expect(a).toMatchObject({ kind: "module", name: "A", nameSpan: { offset: 7, length: 1 } });
    expect(a?.kind === "module" && a.fields.map((f) => f.name)).toEqual(["x", "y"]);
    expect(s).toMatchObject({ kind: "scenario", name: "S" });
    expect(s?.kind === "scenario" && s.overrides[0]?.path).toEqual(["A", "x"]);
  });

  it("recognises references only for a single from_* field with a plain literal", () => {
    const r = p('module A { a = { from_env = "X" } b = { from_env = "${A.c}" } c = { from_env = "X" y = 1 } }');
    const d = r.program.decls[0];
    const kinds = d?.kind === "module" ? d.fields.map((f) => f.value.kind) : [];
    expect(kinds).toEqual(["ref", "record", "record"]);
  });

  it("decodes escapes and \\u{…}", () => {
    const r = p('module A { s = "q\\"b\\\\n\\n\\t\\$\\u{1F600}$x" }');
    const d = r.program.decls[0];
    const v = d?.kind === "module" ? d.fields[0]?.value : undefined;
    expect(v).toMatchObject({ kind: "str", value: 'q"b\\n\n\t$\u{1F600}$x' });
  });

  it("rejects unknown escapes, bad \\u and out-of-range integers as E8", () => {
    expect(p('module A { s = "\\q" }').diagnostics.map((d) => d.code)).toEqual(["E8"]);
    expect(p('module A { s = "\\u{D800}" }').diagnostics.map((d) => d.code)).toEqual(["E8"]);
    expect(p("module A { n = 9007199254740992 }").diagnostics.map((d) => d.code)).toEqual(["E8"]);
    expect(p("module A { n = -9007199254740991 }").diagnostics).toEqual([]);
  });

  it("parses operators with the precedence of SPEC §1.2", () => {
    const r = p("module A { x = !a == b && c || d }");
    const d = r.program.decls[0];
    const v = d?.kind === "module" ? d.fields[0]?.value : undefined;
    expect(v).toMatchObject({ kind: "binary", op: "||", left: { op: "&&", left: { op: "==", left: { kind: "not" } } } });
  });

  it("parses comprehensions, Setting and types", () => {
    const r = p("module A { xs = [1, for x in [2] if true => x 3] s = Setting<List<Rec<a: Int, b: Path>>>([], priority = -5) }");
    expect(r.diagnostics).toEqual([]);
    const d = r.program.decls[0];
    const s = d?.kind === "module" ? d.fields[1]?.value : undefined;
    expect(s).toMatchObject({ kind: "setting", priority: -5, type: { kind: "List", elem: { kind: "Rec" } } });
  });

  it("recovers and reports three independent mistakes", () => {
    const r = p("module A { x = }\nmodule B { y = 1 z == 2 }\nmodule C { w = [1, 2 }\n");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E8", "E8", "E8"]);
  });

  it("reports an unterminated string at its opening quote", () => {
    const r = p('module A { s = "abc }');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]?.message).toContain("unterminated string");
    expect(r.diagnostics[0]?.span).toMatchObject({ offset: 15, length: 1 });
  });

  it("notes the bracket a missing closer would close", () => {
    const r = p("module A { w = [1, 2 }");
    expect(r.diagnostics.map((d) => [d.message, d.span.offset, d.labels.map((l) => [l.message, l.span.offset])])).toEqual([
      ["expected ']' but found '}'", 21, [["the '[' it closes is here", 15]]],
    ]);
  });

  it("parses a file once, with recovery: a valid file gives its tree and no diagnostics", () => {
    const r = p('module A { x = [1, { a = "b${c}" }] }');
    expect(r.diagnostics).toEqual([]);
    expect(r.program.decls).toHaveLength(1);
  });
});
