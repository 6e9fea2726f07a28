/**
 * A lossless token stream for the formatter (ADR 150): the tokens of tokens.ts with every comment
 * kept and attached to a token, and how many line breaks came before each. It depends on neither
 * parser, only on the lexical rules of SPEC §1.1, and it is run only on text the parser accepted.
 *
 * Attachment: a comment that follows a token on the same line is that token's `trailing` comment;
 * any other comment is `leading` to the next token (a separator `,`/`;` hands its leading comments
 * on, since the formatter writes separators of its own). Comments after the last token lead EOF.
 */

export type TokKind = "word" | "int" | "punct" | "strStart" | "strText" | "interpStart" | "interpEnd" | "strEnd" | "eof";

export interface Comment {
  /** `#…`, trailing blanks removed. */
  readonly text: string;
  /** A blank line stands between this comment and what precedes it. */
  readonly blankBefore: boolean;
}

export interface TriviaToken {
  readonly kind: TokKind;
  readonly text: string;
  readonly offset: number;
  /** A blank line stands between this token and what precedes it (token or comment). */
  readonly blankBefore: boolean;
  readonly leading: Comment[];
  trailing: Comment[];
}

const TWO_CHAR = new Set(["=>", "==", "!=", "&&", "||"]);
const ONE_CHAR = new Set(["{", "}", "[", "]", "(", ")", "<", ">", "=", "!", ".", ",", ";", ":"]);

function isIdentStart(c: string): boolean {
  return /[A-Za-z_]/.test(c);
}

export class TriviaError extends Error {}

/** Tokenises PCL text; throws TriviaError on text the lexer would refuse (never for checked input). */
export function triviaTokens(text: string): TriviaToken[] {
  const out: TriviaToken[] = [];
  /** Lexer modes as in tokens.ts: "top"/"interp" read tokens; "str" reads string parts. */
  const modes: ("top" | "str" | "interp")[] = ["top"];
  let pos = 0;
  let pending: Comment[] = [];
  let newlines = 0;
  /** The last token a trailing comment can attach to (separators are skipped). */
  let last: TriviaToken | undefined;
  let lastLineBreakFree = false;

  const push = (kind: TokKind, tokText: string, offset: number): void => {
    const tok: TriviaToken = { kind, text: tokText, offset, blankBefore: newlines >= 2, leading: pending, trailing: [] };
    pending = [];
    newlines = 0;
    if (kind === "punct" && (tokText === "," || tokText === ";") && modes[modes.length - 1] !== "str") {
      // Separators are rewritten by the formatter: their comments go to the next token.
      pendingFromSeparator = [...pendingFromSeparator, ...tok.leading];
      out.push({ ...tok, leading: [] });
      lastLineBreakFree = true;
      return;
    }
    if (pendingFromSeparator.length > 0) {
      tok.leading.unshift(...pendingFromSeparator);
      pendingFromSeparator = [];
    }
    out.push(tok);
    last = tok;
    lastLineBreakFree = true;
  };
  let pendingFromSeparator: Comment[] = [];

  while (pos < text.length || modes[modes.length - 1] === "str") {
    const mode = modes[modes.length - 1];
    if (mode === "str") {
      if (pos >= text.length) throw new TriviaError("unterminated string");
      const c = text[pos];
      if (c === '"') {
        push("strEnd", '"', pos++);
        modes.pop();
        continue;
      }
      if (c === "$" && text[pos + 1] === "{") {
        push("interpStart", "${", pos);
        pos += 2;
        modes.push("interp");
        continue;
      }
      let end = pos;
      while (end < text.length) {
        const x = text[end];
        if (x === '"') break;
        if (x === "\\") {
          end += 2;
          continue;
        }
        if (x === "$" && text[end + 1] === "{") break;
        end++;
      }
      end = Math.min(end, text.length);
      push("strText", text.slice(pos, end), pos);
      pos = end;
      continue;
    }
    const c = text[pos] as string;
    if (c === " " || c === "\t" || c === "\r") {
      pos++;
      continue;
    }
    if (c === "\n") {
      newlines++;
      lastLineBreakFree = false;
      pos++;
      continue;
    }
    if (c === "#") {
      let end = text.indexOf("\n", pos);
      if (end < 0) end = text.length;
      const comment: Comment = { text: text.slice(pos, end).trimEnd(), blankBefore: newlines >= 2 };
      if (last !== undefined && lastLineBreakFree && pending.length === 0 && pendingFromSeparator.length === 0) last.trailing.push(comment);
      else pending.push(comment);
      newlines = 0;
      pos = end;
      continue;
    }
    if (isIdentStart(c)) {
      let end = pos + 1;
      while (end < text.length && /[A-Za-z0-9_-]/.test(text[end] as string)) end++;
      push("word", text.slice(pos, end), pos);
      pos = end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(text[pos + 1] ?? ""))) {
      let end = pos + 1;
      while (end < text.length && /[0-9]/.test(text[end] as string)) end++;
      push("int", text.slice(pos, end), pos);
      pos = end;
      continue;
    }
    if (c === '"') {
      push("strStart", '"', pos++);
      modes.push("str");
      continue;
    }
    const two = text.slice(pos, pos + 2);
    if (TWO_CHAR.has(two)) {
      push("punct", two, pos);
      pos += 2;
      continue;
    }
    if (c === "{") {
      push("punct", "{", pos++);
      if (mode === "interp") modes.push("interp");
      continue;
    }
    if (c === "}") {
      if (mode === "interp") {
        modes.pop();
        // The `}` that closes `${` returns to the string.
        push(modes[modes.length - 1] === "str" ? "interpEnd" : "punct", "}", pos++);
      } else push("punct", "}", pos++);
      continue;
    }
    if (ONE_CHAR.has(c)) {
      push("punct", c, pos++);
      continue;
    }
    throw new TriviaError(`unexpected character ${JSON.stringify(c)} at offset ${pos}`);
  }
  if (pendingFromSeparator.length > 0) pending.unshift(...pendingFromSeparator);
  out.push({ kind: "eof", text: "", offset: text.length, blankBefore: newlines >= 2, leading: pending, trailing: [] });
  return out;
}
