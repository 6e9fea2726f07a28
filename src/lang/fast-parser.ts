/**
 * The fast path of parsing (ADR 015): a hand-written recursive-descent parser of the grammar of
 * parser.ts (grammar/pcl.ebnf) that builds the same AST, node for node and span for span, from
 * valid input. It does not report mistakes: at the first thing it does not expect (a character
 * the lexer rejects, a syntax error, a bad escape, an integer out of range) it gives up, and the
 * Chevrotain parser, which stays the reference grammar and the source of every `[E8]`, parses the
 * file again. A differential test (test/lang/fast-parser.test.ts) holds the two to one tree.
 */
import type { Comprehension, Decl, Expr, Field, ModuleDecl, Override, Program, RefKind, ScenarioDecl, StrPart, TypeExpr } from "./ast.js";
import { LIMITS } from "./limits.js";
import { decodeEscapes, intLiteralValue } from "./literals.js";
import { Scanner, Tok } from "./scanner.js";
import type { Span } from "./source.js";

const REF_KINDS: ReadonlySet<string> = new Set(["from_env", "from_file", "from_vault", "from_artifact"]);

/** Thrown to abandon the fast path; never escapes this module. */
class GiveUp {}
const GIVE_UP = new GiveUp();

function giveUp(): never {
  throw GIVE_UP;
}

/**
 * Thrown when expressions (or type arguments) nest deeper than LIMITS.nesting; `offset` is the
 * token that opens the level too many. Both parsers throw it, and parser.ts reports it.
 */
export class NestingTooDeep {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly inType: boolean,
  ) {}
}

/**
 * The program of a file without any mistake, or undefined when the file needs diagnosing.
 * Throws NestingTooDeep for a file that nests too deep, whatever else is wrong with it.
 */
export function parseValid(path: string, text: string): Program | undefined {
  try {
    return new FastParser(path, text).program();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

class FastParser {
  private readonly sc: Scanner;
  /** End offset of the last token consumed (Chevrotain's `LA(0)`): where spans end. */
  private lastEnd = 0;
  /** Start offset of the last token consumed: the opener of a level too many is reported there. */
  private lastStart = 0;
  /** Nesting of `unary` (every expression level passes there) and of type arguments. */
  private depth = 0;
  private typeDepth = 0;

  constructor(
    private readonly file: string,
    text: string,
  ) {
    this.sc = new Scanner(text);
    this.sc.next();
  }

  // ---- tokens ---------------------------------------------------------------------------------

  private advance(): void {
    this.lastStart = this.sc.start;
    this.lastEnd = this.sc.end;
    this.sc.next();
  }

  /** Consumes the current token when it opens or continues a string literal. */
  private advanceInString(): void {
    this.lastStart = this.sc.start;
    this.lastEnd = this.sc.end;
    this.sc.nextStringPart();
  }

  private expect(kind: Tok): void {
    if (this.sc.kind !== kind) giveUp();
    this.advance();
  }

  /** Consumes an identifier (or an integer, when asked) and returns its text. */
  private expectImage(kind: Tok.Ident | Tok.Int): string {
    if (this.sc.kind !== kind) giveUp();
    const image = this.sc.image;
    this.advance();
    return image;
  }

  /** The current kind, read afresh (TypeScript would keep a narrowing across `advance()`). */
  private kindNow(): Tok {
    return this.sc.kind;
  }

  private tokSpan(): Span {
    return { file: this.file, offset: this.sc.start, length: this.sc.end - this.sc.start };
  }

  /** From `start` to the end of the last token consumed. */
  private spanFrom(start: number): Span {
    return { file: this.file, offset: start, length: this.lengthFrom(start) };
  }

  /** The length of a node that starts at `start` and ends with the last token consumed. */
  private lengthFrom(start: number): number {
    return Math.max(0, this.lastEnd - start);
  }

  // ---- declarations ---------------------------------------------------------------------------

  program(): Program {
    const decls: Decl[] = [];
    for (;;) {
      const k = this.sc.kind;
      if (k === Tok.Module) decls.push(this.moduleDecl());
      else if (k === Tok.Scenario) decls.push(this.scenarioDecl());
      else if (k === Tok.EOF) return { file: this.file, decls };
      else giveUp();
    }
  }

  private moduleDecl(): ModuleDecl {
    const start = this.sc.start;
    this.advance();
    const nameSpan = this.tokSpan();
    const name = this.expectImage(Tok.Ident);
    this.expect(Tok.LBrace);
    const fields = this.fields();
    this.expect(Tok.RBrace);
    return { kind: "module", name, nameSpan, fields, span: this.spanFrom(start) };
  }

  private scenarioDecl(): ScenarioDecl {
    const start = this.sc.start;
    this.advance();
    const nameSpan = this.tokSpan();
    const name = this.expectImage(Tok.Ident);
    this.expect(Tok.LBrace);
    const overrides: Override[] = [];
    while (this.sc.kind === Tok.Ident) {
      overrides.push(this.override());
      this.separator();
    }
    this.expect(Tok.RBrace);
    return { kind: "scenario", name, nameSpan, overrides: overrides.slice(), span: this.spanFrom(start) };
  }

  /** An optional `;` or `,` after a field or an override. */
  private separator(): void {
    if (this.sc.kind === Tok.Semicolon || this.sc.kind === Tok.Comma) this.advance();
  }

  /** The fields up to the closing brace, in an array of exactly their number (it is kept). */
  private fields(): Field[] {
    const fields: Field[] = [];
    while (this.sc.kind === Tok.Ident) {
      fields.push(this.field());
      this.separator();
    }
    // An array grown by push reserves room for 17 elements; the tree keeps a tight copy.
    return fields.slice();
  }

  private field(): Field {
    const offset = this.sc.start;
    const name = this.sc.image;
    this.advance();
    this.expect(Tok.Equals);
    const value = this.expr();
    return { name, value, file: this.file, offset, length: this.lengthFrom(offset) };
  }

  private override(): Override {
    const start = this.sc.start;
    const path: string[] = [];
    const pathSpans: Span[] = [];
    pathSpans.push(this.tokSpan());
    path.push(this.expectImage(Tok.Ident));
    if (this.sc.kind !== Tok.Dot) giveUp();
    while (this.sc.kind === Tok.Dot) {
      this.advance();
      pathSpans.push(this.tokSpan());
      path.push(this.expectImage(Tok.Ident));
    }
    this.expect(Tok.Equals);
    const value = this.expr();
    return { path, pathSpans, value, file: this.file, offset: start, length: this.lengthFrom(start) };
  }

  // ---- expressions ----------------------------------------------------------------------------

  private expr(): Expr {
    let left = this.andExpr();
    while (this.sc.kind === Tok.OrOr) {
      this.advance();
      left = binary("||", left, this.andExpr());
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.cmpExpr();
    while (this.sc.kind === Tok.AndAnd) {
      this.advance();
      left = binary("&&", left, this.cmpExpr());
    }
    return left;
  }

  private cmpExpr(): Expr {
    const left = this.unary();
    const k = this.sc.kind;
    if (k !== Tok.EqEq && k !== Tok.NotEq) return left;
    this.advance();
    return binary(k === Tok.EqEq ? "==" : "!=", left, this.unary());
  }

  private unary(): Expr {
    // The field's own expression is level 0; each opener inside it adds one.
    if (++this.depth > LIMITS.nesting + 1) throw new NestingTooDeep(this.lastStart, this.lastEnd - this.lastStart, false);
    let e: Expr;
    if (this.sc.kind !== Tok.Bang) e = this.postfix();
    else {
      const offset = this.sc.start;
      this.advance();
      const operand = this.unary();
      e = { kind: "not", operand, file: this.file, offset, length: this.lengthFrom(offset) };
    }
    this.depth--;
    return e;
  }

  private postfix(): Expr {
    let target = this.primary();
    while (this.sc.kind === Tok.Dot) {
      this.advance();
      const field = this.expectImage(Tok.Ident);
      const offset = target.offset;
      target = { kind: "select", target, field, file: this.file, offset, length: this.lastEnd - offset };
    }
    return target;
  }

  private primary(): Expr {
    switch (this.sc.kind) {
      case Tok.StringStart:
        return this.stringLit();
      case Tok.Int: {
        const { start, end } = this.sc;
        const value = intLiteralValue(this.sc.image) ?? giveUp();
        this.advance();
        return { kind: "int", value, file: this.file, offset: start, length: end - start };
      }
      case Tok.True:
      case Tok.False: {
        const { start, end } = this.sc;
        const value = this.sc.kind === Tok.True;
        this.advance();
        return { kind: "bool", value, file: this.file, offset: start, length: end - start };
      }
      case Tok.Ident: {
        const { start, end } = this.sc;
        const name = this.sc.image;
        this.advance();
        return { kind: "name", name, file: this.file, offset: start, length: end - start };
      }
      case Tok.LBracket:
        return this.listLit();
      case Tok.LBrace:
        return this.recordLit();
      case Tok.LParen: {
        this.advance();
        const e = this.expr();
        this.expect(Tok.RParen);
        return e;
      }
      case Tok.If:
        return this.ifExpr();
      case Tok.Setting:
        return this.settingExpr();
      default:
        return giveUp();
    }
  }

  private stringLit(): Expr {
    const offset = this.sc.start;
    this.advanceInString();
    // Most strings are one run of text (or none): they need no parts array.
    let text = "";
    if (this.sc.kind === Tok.StringChars) {
      text = decodeEscapes(this.sc.image, this.sc.start, giveUp);
      this.advanceInString();
    }
    if (this.kindNow() === Tok.StringEnd) {
      this.advance();
      return { kind: "str", value: text, file: this.file, offset, length: this.lengthFrom(offset) };
    }
    const parts: StrPart[] = text === "" ? [] : [text];
    for (;;) {
      const k = this.sc.kind;
      if (k === Tok.StringChars) {
        // The scanner takes the longest run of text, so two runs are never adjacent.
        parts.push(decodeEscapes(this.sc.image, this.sc.start, giveUp));
        this.advanceInString();
      } else if (k === Tok.InterpStart) {
        this.advance();
        parts.push(this.expr());
        if (this.sc.kind !== Tok.RBrace) giveUp();
        this.advanceInString();
      } else if (k === Tok.StringEnd) {
        this.advance();
        return { kind: "interp", parts: parts.slice(), file: this.file, offset, length: this.lengthFrom(offset) };
      } else giveUp();
    }
  }

  private listLit(): Expr {
    const offset = this.sc.start;
    this.advance();
    const items: (Expr | Comprehension)[] = [];
    while (this.sc.kind !== Tok.RBracket) {
      items.push(this.sc.kind === Tok.For ? this.comprehension() : this.expr());
      if (this.sc.kind === Tok.Comma) this.advance();
    }
    this.advance();
    return { kind: "list", items: items.slice(), file: this.file, offset, length: this.lengthFrom(offset) };
  }

  private comprehension(): Comprehension {
    const offset = this.sc.start;
    this.advance();
    const variable = this.expectImage(Tok.Ident);
    this.expect(Tok.In);
    const source = this.expr();
    let filter: Expr | undefined;
    if (this.sc.kind === Tok.If) {
      this.advance();
      filter = this.expr();
    }
    this.expect(Tok.Arrow);
    const body = this.expr();
    return { kind: "for", variable, source, filter, body, file: this.file, offset, length: this.lengthFrom(offset) };
  }

  private recordLit(): Expr {
    const offset = this.sc.start;
    this.advance();
    const fields = this.fields();
    this.expect(Tok.RBrace);
    const length = this.lengthFrom(offset);
    const only = fields.length === 1 ? fields[0] : undefined;
    // `{ from_env = "X" }` with a plain literal is a reference, not a record (SPEC §1.2).
    if (only && REF_KINDS.has(only.name) && only.value.kind === "str") {
      return { kind: "ref", ref: only.name as RefKind, name: only.value.value, file: this.file, offset, length };
    }
    return { kind: "record", fields, file: this.file, offset, length };
  }

  private ifExpr(): Expr {
    const offset = this.sc.start;
    this.advance();
    const cond = this.expr();
    this.expect(Tok.Then);
    const then = this.expr();
    this.expect(Tok.Else);
    const otherwise = this.expr();
    return { kind: "if", cond, then, else: otherwise, file: this.file, offset, length: this.lengthFrom(offset) };
  }

  private settingExpr(): Expr {
    const offset = this.sc.start;
    this.advance();
    this.expect(Tok.Less);
    const type = this.typeExpr();
    this.expect(Tok.Greater);
    this.expect(Tok.LParen);
    const value = this.expr();
    this.expect(Tok.Comma);
    this.expect(Tok.Priority);
    this.expect(Tok.Equals);
    const priority = intLiteralValue(this.expectImage(Tok.Int)) ?? giveUp();
    this.expect(Tok.RParen);
    return { kind: "setting", type, value, priority, file: this.file, offset, length: this.lengthFrom(offset) };
  }

  private typeExpr(): TypeExpr {
    if (++this.typeDepth > LIMITS.nesting + 1) throw new NestingTooDeep(this.lastStart, this.lastEnd - this.lastStart, true);
    const t = this.typeExprInner();
    this.typeDepth--;
    return t;
  }

  private typeExprInner(): TypeExpr {
    const start = this.sc.start;
    const nameSpan = this.tokSpan();
    const name = this.expectImage(Tok.Ident);
    if (this.sc.kind !== Tok.Less) {
      if (name === "Bool" || name === "Int" || name === "Str" || name === "Path") return { kind: name, span: nameSpan };
      if (name === "Rec") return { kind: "Rec", fields: [], span: nameSpan };
      return { kind: "Unknown", name, span: nameSpan };
    }
    this.advance();
    // `Rec<name: type, …>` when a name and a colon follow `<`, else one element type.
    if (this.kindNow() === Tok.Ident && this.sc.peekKind() === Tok.Colon) {
      const fields: { name: string; type: TypeExpr }[] = [];
      for (;;) {
        const n = this.expectImage(Tok.Ident);
        this.expect(Tok.Colon);
        fields.push({ name: n, type: this.typeExpr() });
        if (this.kindNow() !== Tok.Comma) break;
        this.advance();
      }
      this.expect(Tok.Greater);
      const span = this.spanFrom(start);
      return name === "Rec" ? { kind: "Rec", fields, span } : { kind: "Unknown", name, span };
    }
    const elem = this.typeExpr();
    this.expect(Tok.Greater);
    const span = this.spanFrom(start);
    return name === "List" ? { kind: "List", elem, span } : { kind: "Unknown", name, span };
  }
}

function binary(op: "==" | "!=" | "&&" | "||", left: Expr, right: Expr): Expr {
  return { kind: "binary", op, left, right, file: left.file, offset: left.offset, length: right.offset + right.length - left.offset };
}
