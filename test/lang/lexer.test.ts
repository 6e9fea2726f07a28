import { describe, expect, it } from "vitest";
import { lex } from "../../src/lang/lexer.js";

const names = (text: string): string[] => lex({ path: "t.pcl", text }).tokens.map((t) => t.tokenType.name);

describe("lexer", () => {
  it("lexes keywords, identifiers with hyphens and integers", () => {
    expect(names("module web-1 { x = -42 }")).toEqual(["Module", "Ident", "LBrace", "Ident", "Equals", "IntLit", "RBrace"]);
    expect(names("modules iffy Settings")).toEqual(["Ident", "Ident", "Ident"]);
  });

  it("skips comments but not # inside strings", () => {
    expect(names('# c\nx = "a # b" # tail')).toEqual(["Ident", "Equals", "StringStart", "StringChars", "StringEnd"]);
  });

  it("nests strings and records inside interpolations", () => {
    expect(names('"a${ {k = "}"}.k }b"')).toEqual([
      "StringStart", "StringChars", "InterpStart", "LBrace", "Ident", "Equals", "StringStart", "StringChars", "StringEnd",
      "RBrace", "Dot", "Ident", "RBrace", "StringChars", "StringEnd",
    ]);
  });

  it("keeps a lone $ as text", () => {
    expect(names('"cost $5 and $"')).toEqual(["StringStart", "StringChars", "StringEnd"]);
  });

  it("reports an unexpected character as E8 with its offset", () => {
    const r = lex({ path: "t.pcl", text: "x = 1 @ 2" });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "E8", span: { offset: 6, length: 1 } });
  });

  it("reports a run of characters that starts no token once, up to the next that does", () => {
    const r = lex({ path: "t.pcl", text: "x = @%-& 1 &&| y" });
    expect(r.diagnostics.map((d) => [d.message, d.span.offset, d.span.length])).toEqual([
      ["unexpected character '@%-&'", 4, 4],
      ["unexpected character '|'", 13, 1],
    ]);
    expect(names("x = @%-& 1 &&| y")).toEqual(["Ident", "Equals", "IntLit", "AndAnd", "Ident"]);
  });

  it("leaves a string open at the end of the file to the parser", () => {
    expect(names('x = "a ${ "b')).toEqual(["Ident", "Equals", "StringStart", "StringChars", "InterpStart", "StringStart", "StringChars"]);
  });
});
