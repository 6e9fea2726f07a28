/**
 * How every script fleet runs on a target survives the user's login shell (ADR 105).
 *
 * sshd runs an exec request as `$SHELL -c COMMAND`, after the shell has read its start-up files.
 * So COMMAND must mean the same thing to sh, bash, dash, zsh, fish and csh, and whatever those
 * start-up files print must never be taken for fleet's output. COMMAND is therefore always
 *
 *     /bin/sh -c 'eval "$(printf %s BASE64 | base64 -d)"'        (sudo -n before it when asked)
 *
 * whose single-quoted part holds only base64 characters, which no shell's quoting rules treat
 * specially (fish, unlike sh, reads `\` and `'` inside single quotes). The decoded script first
 * prints a marker line, unguessable and new for every connection, on stdout and on stderr; a
 * `MarkerGate` on each stream drops everything before it.
 */
import { randomBytes } from "node:crypto";

/** A fresh per-connection marker: `FLEET-` and 24 random hex digits. */
export function newMarker(): string {
  return `FLEET-${randomBytes(12).toString("hex")}`;
}

/** The exec request line for `script` (POSIX sh, run by /bin/sh), optionally through `sudo -n`. */
export function wrapScript(script: string, marker: string, sudo = false): string {
  const body = `printf '%s\\n' ${marker}; printf '%s\\n' ${marker} >&2\n${script}\n`;
  const b64 = Buffer.from(body, "utf8").toString("base64");
  return `${sudo ? "sudo -n " : ""}/bin/sh -c 'eval "$(printf %s ${b64} | base64 -d)"'`;
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
