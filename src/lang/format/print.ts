/**
 * The canonical layout of PCL (ADR 150), from the layout tree to a document:
 * - declarations at column 0, one blank line between them; a body always one entry per line;
 * - records `{ a = 1 b = 2 }` and lists `[a, b]` on one line when they fit in 100 columns and
 *   hold no comment or multi-line string, else one entry per line without separators;
 * - `=` with one space each side; a blank line the author left between entries is kept (one).
 */
import { blank, group, hardline, ifBreak, indent, line, raw, softline, type Doc } from "./doc.js";
import type { Block, Comprehension, Decl, Entry, LayoutProgram, Node } from "./layout-tree.js";
import type { TriviaToken } from "./trivia-tokens.js";

export const WIDTH = 100;

/** A token with its comments: leading ones on their own lines, trailing ones as line suffixes. */
function tok(t: TriviaToken, text: Doc = t.text): Doc {
  return [leading(t), text, trailing(t)];
}
function leading(t: TriviaToken): Doc {
  if (t.leading.length === 0) return [];
  return [{ t: "comments", comments: t.leading }, t.blankBefore ? blank : []];
}
function trailing(t: TriviaToken): Doc {
  return t.trailing.map((c) => ({ t: "suffix", text: c.text }) as Doc);
}
/**
 * A keyword and the space after it; when a comment trails the keyword, what follows starts on the
 * next line, so the comment stays on the keyword's line and a second pass finds it there again.
 */
function keyword(t: TriviaToken): Doc {
  return t.trailing.length > 0 ? [tok(t), indent(line)] : [tok(t), " "];
}
/** The token's text and trailing comments, without its leading ones (printed elsewhere). */
function bare(t: TriviaToken): Doc {
  return [t.text, trailing(t)];
}

function firstToken(n: Node | Comprehension): TriviaToken {
  switch (n.kind) {
    case "atom":
      return n.tok;
    case "str":
    case "paren":
    case "list":
      return n.open;
    case "select":
    case "binary":
      return firstToken(n.kind === "select" ? n.target : n.left);
    case "record":
      return n.block.open;
    case "if":
      return n.ifTok;
    case "setting":
      return n.settingTok;
    case "not":
      return n.bang;
    case "for":
      return n.forTok;
  }
}

/** A blank line before an entry or item, when the author left one (the first gets none). */
function blankBefore(n: Node | Comprehension | Entry): Doc {
  const first = "path" in n ? (n.path[0] as TriviaToken) : firstToken(n);
  const b = first.leading.length > 0 ? (first.leading[0] as { blankBefore: boolean }).blankBefore : first.blankBefore;
  return b ? blank : [];
}

/** A closing bracket: its leading comments stay inside, at the entries' indentation. */
function closing(t: TriviaToken, broken: Doc): Doc {
  if (t.leading.length === 0) return [broken, bare(t)];
  return [indent([hardline, { t: "comments", comments: t.leading }]), hardline, bare(t)];
}

function entry(e: Entry): Doc {
  const path = e.path.map((t) => tok(t));
  const first = firstToken(e.value);
  const value = node(e.value);
  // A value that starts with an own-line comment goes below the `=`, indented.
  return [path, " ", tok(e.eq), first.leading.length > 0 ? indent(value) : [" ", value]];
}

function block(b: Block, always: boolean): Doc {
  if (b.entries.length === 0 && b.close.leading.length === 0) return [tok(b.open), bare(b.close)];
  const sep = always ? hardline : line;
  const body = b.entries.map((e, k) => [k === 0 ? [] : [sep, blankBefore(e)], entry(e)]);
  const inner = [tok(b.open), indent([sep, body]), closing(b.close, sep)];
  return always ? inner : group(inner);
}

function list(n: Extract<Node, { kind: "list" }>): Doc {
  if (n.items.length === 0 && n.close.leading.length === 0) return [tok(n.open), bare(n.close)];
  const items = n.items.map((it, k) => [k === 0 ? [] : [ifBreak([], ","), line, blankBefore(it)], item(it)]);
  return group([tok(n.open), indent([softline, items]), closing(n.close, softline)]);
}

function item(it: Node | Comprehension): Doc {
  if (it.kind !== "for") return node(it);
  const filter = it.filter === undefined ? [] : [" ", tok(it.filter.ifTok), " ", node(it.filter.cond)];
  return group([
    tok(it.forTok), " ", tok(it.variable), " ", tok(it.inTok), " ", node(it.source), filter, " ", tok(it.arrow),
    indent([line, node(it.body)]),
  ]);
}

function typeTokens(ts: readonly TriviaToken[]): Doc {
  return ts.map((t) => (t.text === "," || t.text === ":" ? [tok(t), " "] : tok(t)));
}

export function node(n: Node): Doc {
  switch (n.kind) {
    case "atom":
      return tok(n.tok);
    case "str":
      return [
        tok(n.open),
        n.pieces.map((p) => ("kind" in p ? tok(p, raw(p.text)) : [tok(p.open), node(p.expr), tok(p.close)])),
        tok(n.close),
      ];
    case "select":
      return [node(n.target), tok(n.dot), tok(n.name)];
    case "paren":
      return [tok(n.open), node(n.expr), tok(n.close)];
    case "list":
      return list(n);
    case "record":
      return block(n.block, false);
    case "if":
      return group([
        keyword(n.ifTok), node(n.cond),
        indent([line, keyword(n.thenTok), node(n.then), line, keyword(n.elseTok), node(n.else)]),
      ]);
    case "setting":
      return [
        tok(n.settingTok), typeTokens(n.type), tok(n.open), node(n.value), tok(n.comma), " ",
        tok(n.priority[0] as TriviaToken), " ", tok(n.priority[1] as TriviaToken), " ", tok(n.priority[2] as TriviaToken), tok(n.close),
      ];
    case "not":
      return [tok(n.bang), node(n.operand)];
    case "binary":
      return [node(n.left), " ", tok(n.op), " ", node(n.right)];
  }
}

function decl(d: Decl): Doc {
  return [tok(d.keyword), " ", tok(d.name), " ", block(d.body, true)];
}

export function programDoc(p: LayoutProgram): Doc {
  const out: Doc[] = p.decls.map((d, k) => [k === 0 ? [] : [hardline, blank], decl(d)]);
  if (p.eof.leading.length > 0) out.push(hardline, p.eof.leading[0]?.blankBefore === true ? blank : [], { t: "comments", comments: p.eof.leading });
  return out;
}
