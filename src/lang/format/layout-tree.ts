/**
 * The formatter's tree (ADR 150): the program's structure over trivia tokens, so every token,
 * with its comments, is printed from the node that holds it. Separators are not kept (the
 * formatter writes its own). The parser follows SPEC §1.2 and runs only on text that the
 * language's parser accepted; anything else is a LayoutError.
 */
import { KEYWORDS } from "../tokens.js";
import { TriviaError, type TriviaToken } from "./trivia-tokens.js";

export class LayoutError extends TriviaError {}

export interface Entry {
  /** `name` or `Module.field.sub`: names and dots in order. */
  readonly path: readonly TriviaToken[];
  readonly eq: TriviaToken;
  readonly value: Node;
}

export interface Block {
  readonly open: TriviaToken;
  readonly entries: readonly Entry[];
  readonly close: TriviaToken;
}

export interface Decl {
  readonly keyword: TriviaToken;
  readonly name: TriviaToken;
  readonly body: Block;
}

export interface LayoutProgram {
  readonly decls: readonly Decl[];
  readonly eof: TriviaToken;
}

export interface Comprehension {
  readonly kind: "for";
  readonly forTok: TriviaToken;
  readonly variable: TriviaToken;
  readonly inTok: TriviaToken;
  readonly source: Node;
  readonly filter: { readonly ifTok: TriviaToken; readonly cond: Node } | undefined;
  readonly arrow: TriviaToken;
  readonly body: Node;
}

export type StrPiece = TriviaToken | { readonly open: TriviaToken; readonly expr: Node; readonly close: TriviaToken };

export type Node =
  | { readonly kind: "atom"; readonly tok: TriviaToken }
  | { readonly kind: "str"; readonly open: TriviaToken; readonly pieces: readonly StrPiece[]; readonly close: TriviaToken }
  | { readonly kind: "select"; readonly target: Node; readonly dot: TriviaToken; readonly name: TriviaToken }
  | { readonly kind: "paren"; readonly open: TriviaToken; readonly expr: Node; readonly close: TriviaToken }
  | { readonly kind: "list"; readonly open: TriviaToken; readonly items: readonly (Node | Comprehension)[]; readonly close: TriviaToken }
  | { readonly kind: "record"; readonly block: Block }
  | { readonly kind: "if"; readonly ifTok: TriviaToken; readonly cond: Node; readonly thenTok: TriviaToken; readonly then: Node; readonly elseTok: TriviaToken; readonly else: Node }
  | { readonly kind: "setting"; readonly settingTok: TriviaToken; readonly type: readonly TriviaToken[]; readonly open: TriviaToken; readonly value: Node; readonly comma: TriviaToken; readonly priority: readonly TriviaToken[]; readonly close: TriviaToken }
  | { readonly kind: "not"; readonly bang: TriviaToken; readonly operand: Node }
  | { readonly kind: "binary"; readonly left: Node; readonly op: TriviaToken; readonly right: Node };


export function layoutTree(tokens: readonly TriviaToken[]): LayoutProgram {
  let i = 0;
  const peek = (): TriviaToken => tokens[i] as TriviaToken;
  const isSep = (t: TriviaToken): boolean => t.kind === "punct" && (t.text === "," || t.text === ";");
  const fail = (what: string): never => {
    throw new LayoutError(`expected ${what} at offset ${peek().offset}`);
  };
  const take = (text: string): TriviaToken => {
    const t = peek();
    if (t.text !== text || t.kind === "strText") fail(`'${text}'`);
    i++;
    return t;
  };
  const takeWord = (): TriviaToken => {
    const t = peek();
    if (t.kind !== "word") fail("a name");
    i++;
    return t;
  };
  const skipSeps = (): void => {
    while (isSep(peek())) i++;
  };
  const is = (text: string): boolean => peek().text === text && peek().kind !== "strText";

  function block(): Block {
    const open = take("{");
    const entries: Entry[] = [];
    skipSeps();
    while (!is("}")) {
      const path = [takeWord()];
      while (is(".")) path.push(take("."), takeWord());
      const eq = take("=");
      entries.push({ path, eq, value: expr() });
      skipSeps();
    }
    return { open, entries, close: take("}") };
  }

  function expr(): Node {
    return binaryLevel(["||"], () => binaryLevel(["&&"], cmp));
  }
  function binaryLevel(ops: readonly string[], next: () => Node): Node {
    let left = next();
    while (peek().kind === "punct" && ops.includes(peek().text)) {
      const op = take(peek().text);
      left = { kind: "binary", left, op, right: next() };
    }
    return left;
  }
  function cmp(): Node {
    const left = unary();
    if (peek().kind === "punct" && (is("==") || is("!="))) {
      const op = take(peek().text);
      return { kind: "binary", left, op, right: unary() };
    }
    return left;
  }
  function unary(): Node {
    if (peek().kind === "punct" && is("!")) {
      const bang = take("!");
      return { kind: "not", bang, operand: unary() };
    }
    let n = primary();
    while (peek().kind === "punct" && is(".")) {
      const dot = take(".");
      n = { kind: "select", target: n, dot, name: takeWord() };
    }
    return n;
  }
  function primary(): Node {
    const t = peek();
    if (t.kind === "int") return i++, { kind: "atom", tok: t };
    if (t.kind === "strStart") return str();
    if (t.kind === "word") {
      if (t.text === "if") {
        const ifTok = take("if");
        const cond = expr();
        const thenTok = take("then");
        const then = expr();
        const elseTok = take("else");
        return { kind: "if", ifTok, cond, thenTok, then, elseTok, else: expr() };
      }
      if (t.text === "Setting") return setting();
      if (KEYWORDS.has(t.text) && t.text !== "true" && t.text !== "false") fail("an expression");
      return i++, { kind: "atom", tok: t };
    }
    if (t.kind === "punct") {
      if (t.text === "(") {
        const open = take("(");
        const inner = expr();
        return { kind: "paren", open, expr: inner, close: take(")") };
      }
      if (t.text === "[") return list();
      if (t.text === "{") return { kind: "record", block: block() };
    }
    return fail("an expression");
  }
  function str(): Node {
    const open = peek();
    i++;
    const pieces: StrPiece[] = [];
    while (peek().kind !== "strEnd") {
      const t = peek();
      if (t.kind === "strText") {
        pieces.push(t);
        i++;
      } else if (t.kind === "interpStart") {
        i++;
        const inner = expr();
        const close = peek();
        if (close.kind !== "interpEnd") fail("'}' closing '${'");
        i++;
        pieces.push({ open: t, expr: inner, close });
      } else fail("the end of the string");
    }
    const close = peek();
    i++;
    return { kind: "str", open, pieces, close };
  }
  function setting(): Node {
    const settingTok = take("Setting");
    const type: TriviaToken[] = [take("<")];
    let depth = 1;
    while (depth > 0) {
      const t = peek();
      if (t.kind === "eof") fail("'>'");
      if (t.text === "<") depth++;
      if (t.text === ">") depth--;
      type.push(t);
      i++;
    }
    const open = take("(");
    const value = expr();
    const comma = take(",");
    const priority = [take("priority"), take("=")];
    const n = peek();
    if (n.kind !== "int") fail("an integer priority");
    i++;
    priority.push(n);
    return { kind: "setting", settingTok, type, open, value, comma, priority, close: take(")") };
  }
  function list(): Node {
    const open = take("[");
    const items: (Node | Comprehension)[] = [];
    skipSeps();
    while (!is("]")) {
      if (peek().kind === "word" && peek().text === "for") {
        const forTok = take("for");
        const variable = takeWord();
        const inTok = take("in");
        const source = expr();
        let filter: Comprehension["filter"];
        if (peek().kind === "word" && is("if")) {
          const ifTok = take("if");
          filter = { ifTok, cond: expr() };
        }
        const arrow = take("=>");
        items.push({ kind: "for", forTok, variable, inTok, source, filter, arrow, body: expr() });
      } else items.push(expr());
      skipSeps();
    }
    return { kind: "list", open, items, close: take("]") };
  }

  const decls: Decl[] = [];
  while (peek().kind !== "eof") {
    const keyword = peek();
    if (keyword.kind !== "word" || (keyword.text !== "module" && keyword.text !== "scenario")) fail("'module' or 'scenario'");
    i++;
    decls.push({ keyword, name: takeWord(), body: block() });
  }
  return { decls, eof: peek() };
}
