/**
 * How every script fleet runs on a target survives the user's login shell (ADR 105).
 *
 * sshd runs an exec request as `$SHELL -c COMMAND`, after the shell has read its start-up files.
 * So COMMAND must mean the same thing to sh, bash, dash, zsh, fish and csh, and whatever those
 * start-up files print must never be taken for fleet's output. COMMAND is therefore always
 *
 *     exec /bin/sh -c 'eval "$(printf "ENCODED")"'        (sudo -n before /bin/sh when asked)
 *
 * where ENCODED is the script as a printf format of plain characters and octal escapes, which no
 * shell's quoting rules treat specially (fish, unlike sh, reads `\\` and `\'` inside single
 * quotes; ENCODED never holds either). The decoded script first
 * prints a marker line, unguessable and new for every connection, on stdout and on stderr; a
 * `MarkerGate` on each stream drops everything before it.
 */
import { randomBytes } from "node:crypto";

/** A fresh per-connection marker: `FLEET-` and 24 random hex digits. */
export function newMarker(): string {
  return `FLEET-${randomBytes(12).toString("hex")}`;
}

/** Bytes that mean nothing to any shell inside `'…"…"…'` nor to printf's format. */
const PLAIN = /[A-Za-z0-9 ,._/=+:-]/;

/**
 * `script` as a printf format that reproduces it byte for byte: plain characters as they are,
 * `%` doubled, every other byte as a three-digit octal escape. The result holds no `'`, no `"`,
 * no `$` and no backslash followed by anything but a digit, so sh, dash, bash, zsh, fish and csh
 * all pass it through a single-quoted word unchanged.
 */
export function printfEncode(script: string): string {
  let out = "";
  for (const b of Buffer.from(script, "utf8")) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && PLAIN.test(c)) out += c;
    else if (c === "%") out += "%%";
    else out += `\\${b.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/** The exec request line for `script` (POSIX sh, run by /bin/sh), optionally through `sudo -n`. */
export function wrapScript(script: string, marker: string, sudo = false): string {
  const body = `printf '%s\\n' ${marker}; printf '%s\\n' ${marker} >&2\n${script}\n`;
  // printf is a builtin of every /bin/sh: decoding costs no process of its own.
  // `exec`: the login shell is replaced, not kept waiting (sh, bash, zsh, fish and csh all have it).
  return `exec ${sudo ? "sudo -n " : ""}/bin/sh -c 'eval "$(printf "${printfEncode(body)}")"'`;
}

/**
 * Passes a stream's bytes on once the marker line has gone by; keeps what came before (the
 * greeting of a shell start-up file, or why the command never started) for error messages.
 */
export class MarkerGate {
  private pending: Buffer = Buffer.alloc(0);
  private open = false;
  private readonly needle: Buffer;

  constructor(marker: string) {
    this.needle = Buffer.from(`${marker}\n`, "utf8");
  }

  get seen(): boolean {
    return this.open;
  }

  /** What came before the marker (everything so far while it has not been seen). */
  get preamble(): string {
    return this.pending.toString("utf8");
  }

  /** The part of `chunk` that belongs to the script's own output (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (this.open) return chunk;
    this.pending = Buffer.concat([this.pending, chunk]);
    const at = this.pending.indexOf(this.needle);
    if (at < 0) return Buffer.alloc(0);
    // The marker is at the start of a line: the greeting either ended with a newline or is kept.
    this.open = true;
    const rest = this.pending.subarray(at + this.needle.length);
    this.pending = this.pending.subarray(0, at);
    return Buffer.from(rest);
  }
}

/** A one-line summary of text a shell printed instead of (or before) fleet's marker. */
export function lastLines(text: string, n = 2): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-n)
    .join("; ");
}
