/**
 * A hand-written scanner for the fast parser (ADR 015). It accepts exactly the tokens of
 * tokens.ts, but reads character codes in place and allocates nothing per token: the current
 * token is the (kind, start, end) triple of the scanner itself. Anything the Chevrotain lexer
 * would report as an error comes out as `Tok.Error`, and the fast parser then gives up, so that
 * the Chevrotain lexer and parser report it (byte for byte as before).
 *
 * Strings are scanned by the parser's request (`nextStringPart`) instead of with lexer modes:
 * the recursive-descent parser knows when it is inside a string literal.
 */

export enum Tok {
  EOF,
  Error,
  Ident,
  Int,
  /** `"` opening a string; the parser then asks for string parts. */
  StringStart,
  /** A run of string text (escapes still encoded). */
  StringChars,
  InterpStart,
  StringEnd,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Less,
  Greater,
  Equals,
  EqEq,
  NotEq,
  Arrow,
  Bang,
  AndAnd,
  OrOr,
  Dot,
  Comma,
  Semicolon,
  Colon,
  Module,
  Scenario,
  If,
  Then,
  Else,
  True,
  False,
  For,
  In,
  Setting,
  Priority,
}

const KEYWORDS: ReadonlyMap<string, Tok> = new Map([
  ["module", Tok.Module],
  ["scenario", Tok.Scenario],
  ["if", Tok.If],
  ["then", Tok.Then],
  ["else", Tok.Else],
  ["true", Tok.True],
  ["false", Tok.False],
  ["for", Tok.For],
  ["in", Tok.In],
  ["Setting", Tok.Setting],
  ["priority", Tok.Priority],
]);

/** One-character tokens by character code. */
const SINGLE: readonly Tok[] = (() => {
  const t: Tok[] = [];
  const set = (ch: string, k: Tok): void => void (t[ch.charCodeAt(0)] = k);
  set("{", Tok.LBrace);
  set("}", Tok.RBrace);
  set("[", Tok.LBracket);
  set("]", Tok.RBracket);
  set("(", Tok.LParen);
  set(")", Tok.RParen);
  set("<", Tok.Less);
  set(">", Tok.Greater);
  set(".", Tok.Dot);
  set(",", Tok.Comma);
  set(";", Tok.Semicolon);
  set(":", Tok.Colon);
  set('"', Tok.StringStart);
  return t;
})();

const enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Bang = 33,
  Quote = 34,
  Hash = 35,
  Dollar = 36,
  Amp = 38,
  Minus = 45,
  Zero = 48,
  Nine = 57,
  Equals = 61,
  Greater = 62,
  A = 65,
  Z = 90,
  Backslash = 92,
  Underscore = 95,
  a = 97,
  z = 122,
  LBrace = 123,
  Pipe = 124,
}

function isIdentStart(c: number): boolean {
  return (c >= Ch.a && c <= Ch.z) || (c >= Ch.A && c <= Ch.Z) || c === Ch.Underscore;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= Ch.Zero && c <= Ch.Nine) || c === Ch.Minus;
}
function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

export class Scanner {
  kind: Tok = Tok.EOF;
  start = 0;
  end = 0;
  /** The text of the current token when it is an Ident, Int or StringChars. */
  image = "";

  /**
   * One string per distinct identifier: a file names the same fields thousands of times, and
   * the tree keeps every name it reads.
   */
  private readonly names = new Map<string, string>();

  constructor(readonly text: string) {}

  private intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    this.names.set(name, name);
    return name;
  }

  /** Scans the next token outside strings (the `top` and `interp` modes of tokens.ts). */
  next(): void {
    const text = this.text;
    let pos = this.end;
    let c = text.charCodeAt(pos);
    // Whitespace and comments (`#` to the end of the line); NaN past the end stops the loop.
    for (;;) {
      if (c === Ch.Space || c === Ch.LF || c === Ch.Tab || c === Ch.CR) c = text.charCodeAt(++pos);
      else if (c === Ch.Hash) {
        const nl = text.indexOf("\n", pos);
        pos = nl < 0 ? text.length : nl;
        c = text.charCodeAt(pos);
      } else break;
    }
    this.start = pos;
    if (pos >= text.length) return this.set(Tok.EOF, pos);
    if (isIdentStart(c)) {
      let end = pos + 1;
      while (isIdentPart(text.charCodeAt(end))) end++;
      const image = text.slice(pos, end);
      const keyword = KEYWORDS.get(image);
      if (keyword !== undefined) return this.set(keyword, end);
      this.image = this.intern(image);
      return this.set(Tok.Ident, end);
    }
    if (isDigit(c) || (c === Ch.Minus && isDigit(text.charCodeAt(pos + 1)))) {
      let end = pos + 1;
      while (isDigit(text.charCodeAt(end))) end++;
      this.image = text.slice(pos, end);
      return this.set(Tok.Int, end);
    }
    const single = SINGLE[c];
    if (single !== undefined) return this.set(single, pos + 1);
    const d = text.charCodeAt(pos + 1);
    switch (c) {
      case Ch.Equals:
        if (d === Ch.Greater) return this.set(Tok.Arrow, pos + 2);
        return d === Ch.Equals ? this.set(Tok.EqEq, pos + 2) : this.set(Tok.Equals, pos + 1);
      case Ch.Bang:
        return d === Ch.Equals ? this.set(Tok.NotEq, pos + 2) : this.set(Tok.Bang, pos + 1);
      case Ch.Amp:
        return d === Ch.Amp ? this.set(Tok.AndAnd, pos + 2) : this.set(Tok.Error, pos);
      case Ch.Pipe:
        return d === Ch.Pipe ? this.set(Tok.OrOr, pos + 2) : this.set(Tok.Error, pos);
      default:
        return this.set(Tok.Error, pos);
    }
  }

  /**
   * Scans the next part of a string literal (the `str` mode of tokens.ts): the closing `"`, an
   * interpolation's `${`, or a run of text: anything but `"`, a `\` escaping any one character,
   * and a `$` not followed by `{`.
   */
  nextStringPart(): void {
    const text = this.text;
    const pos = this.end;
    this.start = pos;
    const c = text.charCodeAt(pos);
    if (c === Ch.Quote) return this.set(Tok.StringEnd, pos + 1);
    if (c === Ch.Dollar && text.charCodeAt(pos + 1) === Ch.LBrace) return this.set(Tok.InterpStart, pos + 2);
    let end = pos;
    for (;;) {
      const x = text.charCodeAt(end);
      if (x === Ch.Quote || x !== x /* NaN: end of text */) break;
      if (x === Ch.Backslash) {
        if (end + 1 >= text.length) break;
        end += 2;
      } else if (x === Ch.Dollar && text.charCodeAt(end + 1) === Ch.LBrace) break;
      else end++;
    }
    if (end === pos) return this.set(pos >= text.length ? Tok.EOF : Tok.Error, pos);
    this.image = text.slice(pos, end);
    this.set(Tok.StringChars, end);
  }

  /** The kind of the token after the current one (outside strings), without moving. */
  peekKind(): Tok {
    const { kind, start, end, image } = this;
    this.next();
    const peeked = this.kind;
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.image = image;
    return peeked;
  }

  private set(kind: Tok, end: number): void {
    this.kind = kind;
    this.end = end;
  }
}
