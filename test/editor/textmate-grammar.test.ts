/**
 * The TextMate grammar (grammar/pcl.tmLanguage.json, the one the VS Code extension ships) run
 * through vscode-textmate + vscode-oniguruma, as VS Code runs it (issue 16): every example is
 * tokenized and the scopes of keywords, identifiers, strings, interpolation, comments and numbers
 * are checked against the language's own tokens; hyphenated names that start with a keyword stay
 * one identifier; a record key like `PORT` is a property, not a module.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { INITIAL, Registry, parseRawGrammar, type IGrammar } from "vscode-textmate";
import { createOnigScanner, createOnigString, loadWASM } from "vscode-oniguruma";
import { triviaTokens } from "../../src/lang/index.js";
import { REPO_ROOT } from "../support/cli.js";

interface Tok {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

let grammar: IGrammar;

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  await loadWASM(readFileSync(join(require.resolve("vscode-oniguruma"), "..", "onig.wasm")).buffer as ArrayBuffer);
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner, createOnigString }),
    loadGrammar: async (scope) =>
      scope === "source.pcl" ? parseRawGrammar(readFileSync(join(REPO_ROOT, "grammar/pcl.tmLanguage.json"), "utf8"), "pcl.tmLanguage.json") : null,
  });
  const g = await registry.loadGrammar("source.pcl");
  if (g === null) throw new Error("grammar did not load");
  grammar = g;
});

function tokenize(text: string): Tok[] {
  let state = INITIAL;
  const out: Tok[] = [];
  text.split("\n").forEach((line, n) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) out.push({ line: n, start: t.startIndex, end: Math.min(t.endIndex, line.length), text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    state = r.ruleStack;
  });
  return out;
}

/** The TextMate token covering (line, col). */
function at(toks: readonly Tok[], line: number, col: number): Tok {
  const t = toks.find((x) => x.line === line && x.start <= col && col < x.end);
  if (t === undefined) throw new Error(`no token at ${line}:${col}`);
  return t;
}

const has = (t: Tok, prefix: string): boolean => t.scopes.some((s) => s.startsWith(prefix));

function examples(dir = join(REPO_ROOT, "examples")): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? examples(p) : f.endsWith(".pcl") ? [p] : [];
  });
}

const KEYWORD_SCOPE: Record<string, string> = {
  module: "keyword.declaration",
  scenario: "keyword.declaration",
  if: "keyword.control",
  then: "keyword.control",
  else: "keyword.control",
  for: "keyword.control",
  in: "keyword.control",
  true: "constant.language.boolean",
  false: "constant.language.boolean",
  Setting: "storage.type",
  priority: "keyword.other.priority",
  // Type names of `Setting<τ>`.
  Bool: "storage.type",
  Int: "storage.type",
  Str: "storage.type",
  Path: "storage.type",
  List: "storage.type",
  Rec: "storage.type",
};

describe("grammar/pcl.tmLanguage.json under vscode-textmate", () => {
  const files = examples();

  it("tokenizes every example in agreement with the language's own tokens", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const toks = tokenize(text);
      const lineStarts = [0];
      for (let k = 0; k < text.length; k++) if (text[k] === "\n") lineStarts.push(k + 1);
      const pos = (offset: number): [number, number] => {
        let l = 0;
        while (l + 1 < lineStarts.length && (lineStarts[l + 1] as number) <= offset) l++;
        return [l, offset - (lineStarts[l] as number)];
      };
      for (const t of triviaTokens(text)) {
        for (const [c, off] of [
          ...t.leading.map((c) => [c, text.lastIndexOf(c.text, t.offset)] as const),
          ...t.trailing.map((c) => [c, text.indexOf(c.text, t.offset)] as const),
        ]) {
          const [l, col] = pos(off);
          expect(has(at(toks, l, col), "comment.line.number-sign.pcl"), `${file}: comment ${c.text}`).toBe(true);
        }
        if (t.kind === "eof") continue;
        const [l, col] = pos(t.offset);
        const tm = at(toks, l, col);
        const where = `${file}:${l + 1}:${col + 1} '${t.text}'`;
        if (t.kind === "word") {
          // One TextMate token for the whole identifier, hyphens and all.
          expect(tm.text, where).toBe(t.text);
          const kw = KEYWORD_SCOPE[t.text];
          if (kw !== undefined) expect(has(tm, kw), `${where} ${tm.scopes.join(" ")}`).toBe(true);
          else expect(tm.scopes.some((s) => /^(keyword|constant\.language|storage)/.test(s)), `${where} ${tm.scopes.join(" ")}`).toBe(false);
        } else if (t.kind === "int") {
          expect(has(tm, "constant.numeric.integer.pcl"), where).toBe(true);
          expect(tm.text, where).toBe(t.text);
        } else if (t.kind === "strStart") {
          expect(has(tm, "punctuation.definition.string.begin.pcl"), where).toBe(true);
        } else if (t.kind === "strEnd") {
          expect(has(tm, "punctuation.definition.string.end.pcl"), where).toBe(true);
        } else if (t.kind === "strText") {
          expect(has(tm, "string.quoted.double.pcl"), where).toBe(true);
        } else if (t.kind === "interpStart") {
          expect(has(tm, "punctuation.section.interpolation.begin.pcl"), where).toBe(true);
        } else if (t.kind === "interpEnd") {
          expect(has(tm, "punctuation.section.interpolation.end.pcl"), where).toBe(true);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("keeps hyphenated names that start with a keyword as one identifier", () => {
    const text = 'module module-name {\n  in-flight = true-ish\n  for-each = [for x in in-flight.xs => x]\n  if-set = if true then scenario-x else false\n}\n';
    const toks = tokenize(text);
    for (const name of ["module-name", "in-flight", "true-ish", "for-each", "if-set", "scenario-x"]) {
      const line = text.split("\n").findIndex((l) => l.includes(name));
      const col = (text.split("\n")[line] as string).indexOf(name);
      const t = at(toks, line, col);
      expect(t.text, name).toBe(name);
      expect(t.scopes.some((s) => s.startsWith("keyword") || s.startsWith("constant.language")), `${name}: ${t.scopes.join(" ")}`).toBe(false);
    }
    expect(has(at(toks, 0, 0), "keyword.declaration.pcl")).toBe(true);
    expect(has(at(toks, 0, 7), "entity.name.type.module.pcl")).toBe(true);
  });

  it("scopes record keys as properties, module references as modules, and strings with interpolation", () => {
    const text = 'module S {\n  environment = { PORT = "${Settings.port}" TOKEN = { from_env = "T" } }\n  n = -42 # note\n}\n';
    const toks = tokenize(text);
    const line1 = text.split("\n")[1] as string;
    const port = at(toks, 1, line1.indexOf("PORT"));
    expect(port.text).toBe("PORT");
    expect(has(port, "variable.other.property.pcl")).toBe(true);
    expect(has(port, "entity.name.type")).toBe(false);
    const settings = at(toks, 1, line1.indexOf("Settings"));
    expect(has(settings, "entity.name.type.module.pcl")).toBe(true);
    expect(has(settings, "meta.interpolation.pcl")).toBe(true);
    expect(has(at(toks, 1, line1.indexOf("from_env")), "variable.other.property.pcl")).toBe(true);
    expect(has(at(toks, 1, line1.indexOf('"${')), "punctuation.definition.string.begin.pcl")).toBe(true);
    const line2 = text.split("\n")[2] as string;
    expect(at(toks, 2, line2.indexOf("-42")).text).toBe("-42");
    expect(has(at(toks, 2, line2.indexOf("-42")), "constant.numeric.integer.pcl")).toBe(true);
    expect(has(at(toks, 2, line2.indexOf("# note")), "punctuation.definition.comment.pcl")).toBe(true);
  });
});
