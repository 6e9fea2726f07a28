/**
 * Decoding of literal tokens, shared by the fast parser and the diagnosing Chevrotain parser so
 * that both read integers and string escapes exactly alike.
 */
import { messages } from "./messages.js";

const MAX_INT = Number.MAX_SAFE_INTEGER;

/** The value of an integer literal, or undefined when it is outside ±(2^53−1). `-0` reads as 0. */
export function intLiteralValue(image: string): number | undefined {
  const value = Number(image);
  if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_INT) return undefined;
  return value === 0 ? 0 : value;
}

/** A bad escape, located in the file: `offset` is where its backslash is. */
export interface EscapeError {
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * Decodes the escapes of one run of string text that starts at `startOffset` of its file; each
 * bad escape is reported (it becomes an `[E8]` at the escape) and decoding goes on after it.
 */
export function decodeEscapes(s: string, startOffset: number, report: (e: EscapeError) => void): string {
  if (s.indexOf("\\") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = s[i + 1];
    const at = startOffset + i;
    switch (e) {
      case '"': out += '"'; i++; break;
      case "\\": out += "\\"; i++; break;
      case "n": out += "\n"; i++; break;
      case "t": out += "\t"; i++; break;
      case "r": out += "\r"; i++; break;
      case "$": out += "$"; i++; break;
      case "u": {
        const m = /^u\{([0-9A-Fa-f]{1,6})\}/.exec(s.slice(i + 1, i + 11));
        const cp = m ? parseInt(m[1] ?? "", 16) : NaN;
        if (!m || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          const len = m ? m[0].length + 1 : 2;
          report({ message: messages.badUnicodeEscape(s.slice(i, i + len)), offset: at, length: len });
          i += len - 1;
        } else {
          out += String.fromCodePoint(cp);
          i += m[0].length;
        }
        break;
      }
      default:
        report({ message: messages.badEscape(`\\${e ?? ""}`), offset: at, length: 2 });
        i++;
    }
  }
  return out;
}
