/**
 * The PCL lexer (SPEC §1.1): a hand-written scanner that turns a file into the token vector the
 * Chevrotain grammar (parser.ts) parses (ADR 200). It reads character codes in place; a token is
 * a small object of a fixed shape, and one string per distinct identifier is kept.
 *
 * Strings are read in modes, as a stack: `"` enters a string, where `${` enters an
 * interpolation; in an interpolation `{` and `}` nest and the `}` that closes the `${` returns to
 * the string. A run of characters that starts no token is one `[E8]` (the lexer then goes on at
 * the next character that starts one), the only error a lexer can see. A string still open at
 * the end of the file is left to the parser, which reports it at its opening quote.
 */
import type { IToken, TokenType } from "chevrotain";
import type { Diagnostic } from "./diagnostic.js";
import { messages } from "./messages.js";
import type { SourceFile } from "./source.js";
import * as T from "./tokens.js";

/** A token as the Chevrotain parser reads it. */
class Token implements IToken {
  readonly tokenTypeIdx: number;
  constructor(
    readonly image: string,
    readonly startOffset: number,
    readonly tokenType: TokenType,
  ) {
    this.tokenTypeIdx = tokenType.tokenTypeIdx as number;
  }
}

export interface LexResult {
  readonly tokens: IToken[];
  /** `[E8]` for each run of characters that starts no token, in source order. */
  readonly diagnostics: Diagnostic[];
}

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
  RBrace = 125,
}

/** One-character tokens (but braces and quotes, which change modes) by character code. */
const SINGLE: readonly (TokenType | undefined)[] = (() => {
  const t: TokenType[] = [];
  const set = (ch: string, k: TokenType): void => void (t[ch.charCodeAt(0)] = k);
  set("[", T.LBracket);
  set("]", T.RBracket);
  set("(", T.LParen);
  set(")", T.RParen);
  set("<", T.Less);
  set(">", T.Greater);
  set(".", T.Dot);
  set(",", T.Comma);
  set(";", T.Semicolon);
  set(":", T.Colon);
  return t;
})();

function isIdentStart(c: number): boolean {
  return (c >= Ch.a && c <= Ch.z) || (c >= Ch.A && c <= Ch.Z) || c === Ch.Underscore;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= Ch.Zero && c <= Ch.Nine) || c === Ch.Minus;
}
function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

/** Modes of the mode stack. */
const enum Mode {
  /** Declarations and expressions outside any string. */
  Top,
  /** Inside a string literal. */
  Str,
  /** Inside `${…}` or a `{` within one: like Top, but `}` leaves the mode. */
  Interp,
}

/** Whether a token of the code modes (Top, Interp) starts at `pos`; whitespace and comments count. */
function startsCodeToken(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos);
  if (c === Ch.Space || c === Ch.LF || c === Ch.Tab || c === Ch.CR || c === Ch.Hash || c === Ch.Quote) return true;
  if (isIdentStart(c) || isDigit(c) || SINGLE[c] !== undefined || c === Ch.LBrace || c === Ch.RBrace || c === Ch.Equals || c === Ch.Bang) return true;
  const d = text.charCodeAt(pos + 1);
  return (c === Ch.Minus && isDigit(d)) || (c === Ch.Amp && d === Ch.Amp) || (c === Ch.Pipe && d === Ch.Pipe);
}

export function lex(file: SourceFile): LexResult {
  const text = file.text;
  const len = text.length;
  const tokens: IToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const names = new Map<string, string>();
  const modes: Mode[] = [Mode.Top];
  let mode = Mode.Top as Mode;
  let pos = 0;
  const push = (image: string, start: number, type: TokenType): void => void tokens.push(new Token(image, start, type));
  const enter = (m: Mode): void => {
    modes.push(m);
    mode = m;
  };
  const leave = (): void => {
    modes.pop();
    mode = modes[modes.length - 1] as Mode;
  };
  /** A run of characters that starts no token, from `start` to the next that does. */
  const unexpected = (start: number, resync: (p: number) => boolean): void => {
    let end = start + 1;
    while (end < len && !resync(end)) end++;
    diagnostics.push({ code: "E8", message: messages.unexpectedCharacter(text.slice(start, end)), span: { file: file.path, offset: start, length: end - start }, labels: [] });
    pos = end;
  };

  while (pos < len) {
    const c = text.charCodeAt(pos);
    if (mode === Mode.Str) {
      if (c === Ch.Quote) {
        push('"', pos++, T.StringEnd);
        leave();
        continue;
      }
      if (c === Ch.Dollar && text.charCodeAt(pos + 1) === Ch.LBrace) {
        push("${", pos, T.InterpStart);
        pos += 2;
        enter(Mode.Interp);
        continue;
      }
      // A run of text: anything but `"`, a `\` escaping any one character, a `$` not before `{`.
      let end = pos;
      for (;;) {
        const x = text.charCodeAt(end);
        if (x === Ch.Quote || end >= len) break;
        if (x === Ch.Backslash) {
          if (end + 1 >= len) break;
          end += 2;
        } else if (x === Ch.Dollar && text.charCodeAt(end + 1) === Ch.LBrace) break;
        else end++;
      }
      if (end > pos) {
        push(text.slice(pos, end), pos, T.StringChars);
        pos = end;
      } else unexpected(pos, () => true); // a `\` at the very end of the file
      continue;
    }
    // Whitespace and comments (`#` to the end of the line).
    if (c === Ch.Space || c === Ch.LF || c === Ch.Tab || c === Ch.CR) {
      pos++;
      continue;
    }
    if (c === Ch.Hash) {
      const nl = text.indexOf("\n", pos);
      pos = nl < 0 ? len : nl;
      continue;
    }
    if (isIdentStart(c)) {
      let end = pos + 1;
      while (isIdentPart(text.charCodeAt(end))) end++;
      const image = text.slice(pos, end);
      const keyword = T.KEYWORDS.get(image);
      if (keyword !== undefined) push(image, pos, keyword);
      else {
        let name = names.get(image);
        if (name === undefined) names.set(image, (name = image));
        push(name, pos, T.Ident);
      }
      pos = end;
      continue;
    }
    if (isDigit(c) || (c === Ch.Minus && isDigit(text.charCodeAt(pos + 1)))) {
      let end = pos + 1;
      while (isDigit(text.charCodeAt(end))) end++;
      push(text.slice(pos, end), pos, T.IntLit);
      pos = end;
      continue;
    }
    const single = SINGLE[c];
    if (single !== undefined) {
      push(text[pos] as string, pos, single);
      pos++;
      continue;
    }
    const d = text.charCodeAt(pos + 1);
    switch (c) {
      case Ch.Quote:
        push('"', pos++, T.StringStart);
        enter(Mode.Str);
        continue;
      case Ch.LBrace:
        push("{", pos++, T.LBrace);
        if (mode === Mode.Interp) enter(Mode.Interp);
        continue;
      case Ch.RBrace:
        push("}", pos++, T.RBrace);
        if (mode === Mode.Interp) leave();
        continue;
      case Ch.Equals:
        if (d === Ch.Greater) push("=>", pos, T.Arrow);
        else if (d === Ch.Equals) push("==", pos, T.EqEq);
        else {
          push("=", pos++, T.Equals);
          continue;
        }
        pos += 2;
        continue;
      case Ch.Bang:
        if (d === Ch.Equals) {
          push("!=", pos, T.NotEq);
          pos += 2;
        } else push("!", pos++, T.Bang);
        continue;
      case Ch.Amp:
        if (d === Ch.Amp) {
          push("&&", pos, T.AndAnd);
          pos += 2;
          continue;
        }
        break;
      case Ch.Pipe:
        if (d === Ch.Pipe) {
          push("||", pos, T.OrOr);
          pos += 2;
          continue;
        }
        break;
    }
    unexpected(pos, (p) => startsCodeToken(text, p));
  }
  return { tokens, diagnostics };
}
