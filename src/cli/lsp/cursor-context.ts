/**
 * Where the cursor is in a PCL document, read from the tokens before it so that it works on text
 * that does not parse yet (the usual state while typing): the enclosing module, the chain of
 * field names and list hops from the module down, and whether the cursor stands where a field
 * name goes or where a value goes.
 */
import { fleetSchema, packageSchema, stackSchema, triviaTokens, type Schema } from "../../lang/index.js";

export interface CursorContext {
  readonly decl: { readonly kind: "module" | "scenario"; readonly name: string } | undefined;
  /** Field names from the module down; `[]` marks a step into a list element. */
  readonly path: readonly string[];
  /** The cursor stands where a field name of a module or record goes. */
  readonly atFieldName: boolean;
  /** The innermost frame is a record or module body (not a list, not parentheses). */
  readonly inBlock: boolean;
}

interface Frame {
  readonly kind: "block" | "list" | "other";
  readonly field: string | undefined;
}

export function cursorContext(text: string, offset: number): CursorContext | undefined {
  let tokens;
  try {
    tokens = triviaTokens(text.slice(0, offset));
  } catch {
    return undefined; // inside an unterminated string: nothing to complete
  }
  const toks = tokens.filter((t) => t.kind !== "eof" && !(t.kind === "punct" && (t.text === "," || t.text === ";")));
  let decl: CursorContext["decl"];
  const frames: Frame[] = [];
  let lastName: string | undefined;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === undefined) break;
    const prev = toks[i - 1];
    if (frames.length === 0 && t.kind === "word" && (t.text === "module" || t.text === "scenario")) {
      const name = toks[i + 1];
      if (name?.kind === "word") decl = { kind: t.text, name: name.text };
      continue;
    }
    if (t.kind === "word" && toks[i + 1]?.text === "=" && frames[frames.length - 1]?.kind === "block") lastName = t.text;
    if (t.text === "{" && (t.kind === "punct")) {
      const parent = frames[frames.length - 1];
      frames.push({ kind: "block", field: parent === undefined ? undefined : parent.kind === "list" ? "[]" : prev?.text === "=" ? lastName : undefined });
    } else if (t.text === "[" && t.kind === "punct") {
      frames.push({ kind: "list", field: frames[frames.length - 1]?.kind === "list" ? "[]" : prev?.text === "=" ? lastName : undefined });
    } else if ((t.text === "(" && t.kind === "punct") || t.kind === "interpStart" || t.kind === "strStart") {
      frames.push({ kind: "other", field: undefined });
    } else if ((t.kind === "punct" && (t.text === "}" || t.text === "]" || t.text === ")")) || t.kind === "interpEnd" || t.kind === "strEnd") {
      frames.pop();
      if (frames.length === 0) decl = t.text === "}" ? undefined : decl;
    }
  }
  const path: string[] = [];
  for (const f of frames.slice(1)) if (f.field !== undefined) path.push(f.field);
  const top = frames[frames.length - 1];
  const inBlock = top?.kind === "block";
  // A field name goes after `{`, after a complete value (a new line), or at the start of a line.
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const atFieldName = inBlock && (/^\s*[A-Za-z_]?[A-Za-z0-9_-]*$/.test(before) || /[{;,]\s*[A-Za-z_]?[A-Za-z0-9_-]*$/.test(before));
  return { decl, path, atFieldName, inBlock };
}

/** The schema of a module, recognised as the checker does (SPEC §1.6), from its source text. */
export function moduleSchema(text: string, name: string): Schema | undefined {
  if (name === "Fleet") return fleetSchema;
  const head = new RegExp(`(^|\\n)\\s*module\\s+${name.replace(/[-]/g, "\\-")}(?![A-Za-z0-9_-])`).exec(text);
  if (head === null) return undefined;
  const rest = text.slice(head.index + head[0].length);
  const end = rest.search(/\n\s*(module|scenario)\s/);
  const body = end < 0 ? rest : rest.slice(0, end);
  const recipe = /\brecipe\s*=\s*"([^"]*)"/.exec(body);
  if (recipe) return packageSchema(recipe[1]);
  if (/\bbackend\s*=/.test(body)) return stackSchema;
  return undefined;
}

/** The schema found by following `path` down from `schema`. */
export function schemaAt(schema: Schema | undefined, path: readonly string[]): Schema | undefined {
  let s = schema;
  for (const step of path) {
    if (s === undefined) return undefined;
    if (step === "[]") s = s.k === "list" ? s.elem : undefined;
    else if (s.k === "rec") s = s.fields[step]?.s;
    else if (s.k === "anyRec") s = s.values;
    else return undefined;
  }
  return s;
}

/** A schema as a PCL type, for hover: `Str`, `List<service record>`, `Rec`. */
export function describeSchema(s: Schema): string {
  switch (s.k) {
    case "str":
      return "Str";
    case "int":
      return "Int";
    case "bool":
      return "Bool";
    case "any":
      return "any";
    case "moduleName":
      return "Str (a module name)";
    case "secretOrStr":
      return "Str or a secret reference";
    case "scalar":
      return "Str, Int or Bool";
    case "count":
      return s.percent ? 'Int or a percentage ("25%")' : "Int";
    case "list":
      return `List<${describeSchema(s.elem)}>`;
    case "rec":
      return `Rec (${s.name})`;
    case "anyRec":
      return s.values ? `Rec of ${describeSchema(s.values)}` : "Rec";
    case "oneOf":
      return `Str (one of ${s.values.map((v) => `"${v}"`).join(", ")})`;
    case "tagged":
      return `Rec (${s.name}, by ${s.tag}: ${Object.keys(s.variants).join(", ")})`;
  }
}
