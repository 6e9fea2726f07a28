/**
 * The fast parser (ADR 015) must build exactly the tree of the Chevrotain reference parser for
 * every valid file, and give up on every file the reference parser reports a mistake in.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseValid } from "../../src/lang/fast-parser.js";
import { parseDiagnosing } from "../../src/lang/parser.js";
import { REPO_ROOT } from "../support/cli.js";
import { mutate, rng } from "../support/pcl-mutator.js";

const FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "\r\n", "\t", "#", "$", "@", "é", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "Setting<Rec<a: Int, b: List<Str>>>(", "priority", "-", "-0", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];

function pclFiles(dir: string, out: string[]): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) pclFiles(p, out);
    else if (f.endsWith(".pcl")) out.push(readFileSync(p, "utf8"));
  }
  return out;
}


/** Both parsers on one text: the same tree when valid, and the fast one gives up otherwise. */
function agree(text: string): boolean {
  const reference = parseDiagnosing({ path: "f.pcl", text });
  const fast = parseValid("f.pcl", text);
  if (reference.diagnostics.length > 0) {
    expect(fast, text).toBeUndefined();
    return false;
  }
  expect(fast, text).toEqual(reference.program);
  return true;
}

describe("fast parser", () => {
  const seeds = [...pclFiles(join(REPO_ROOT, "examples"), []), ...pclFiles(join(REPO_ROOT, "test/golden"), [])];

  it("builds the reference tree for every example and golden file", () => {
    let valid = 0;
    for (const s of seeds) if (agree(s)) valid++;
    expect(valid).toBeGreaterThan(10);
  });

  it("covers every construct: escapes, interpolation, comments, types, operators, references", () => {
    const text = [
      "# a comment",
      'module A { s = "q\\"b\\\\n\\n\\t\\$\\u{1F600}$x ${ {k = "}"}.k } ${B.n}" n = -0; m = 007, e = "" }',
      "module B { n = -42 t = Setting<Rec<a: Int, b: List<Str>>>({ a = 1 b = [] }, priority = 30) u = Setting<Rec>({}, priority = 1) p = Setting<Path>(\"/x\", priority = 0) }",
      "module C { x = !a == b && c || (d).e.f != [for v in w if v => { v = v }, 1,] r = { from_env = \"X\" } q = { from_artifact = \"${x}\" } }",
      "module D { u = Setting<Foo<Int>>(1, priority = 2) v = Setting<List<a: Int>>(1, priority = 2) w = if x then y else z }",
      "scenario S { A.n = 1; B.t.a = 2, C.x = true }",
      "module web-1_x { modules = iffy Settings = format }",
    ].join("\n");
    expect(agree(text)).toBe(true);
    expect(agree("")).toBe(true);
    expect(agree("  \n# only a comment")).toBe(true);
  });

  it("agrees with the reference parser on 5,000 mutated files", () => {
    const r = rng(15);
    let valid = 0;
    for (let i = 0; i < 5000; i++) if (agree(mutate(seeds[i % seeds.length] ?? "", r, FRAGMENTS, 3))) valid++;
    // Enough of the mutants stay valid for the tree comparison to mean something.
    expect(valid).toBeGreaterThan(500);
  });
});
