/**
 * What a hook, health check, activation script or `std.shell` build printed (ADR 143). Kept
 * bounded — the last OUTPUT_KEEP_BYTES of each stream — so a chatty command cannot fill memory,
 * the JSON report or the run log. Secret values are replaced before any of it leaves the process.
 */
export const OUTPUT_KEEP_BYTES = 16 * 1024;

export interface CapturedOutput {
  /** What ran: `apply pre hook`, `health check 'web'`, `activation`, `build of package 'X'`. */
  readonly step: string;
  readonly stdout: string;
  readonly stderr: string;
  /** null when killed by a signal or never started. */
  readonly exitCode: number | null;
  /** Did the step fail (a non-zero exit, or a failed systemctl call inside activation)? */
  readonly failed: boolean;
  /** Some earlier output was dropped to stay within the bound. */
  readonly truncated: boolean;
}

/** Accumulates one stream, keeping only its tail. */
export class OutputTail {
  private buf = Buffer.alloc(0);
  truncated = false;
  push(chunk: Buffer | string): void {
    this.buf = Buffer.concat([this.buf, typeof chunk === "string" ? Buffer.from(chunk) : chunk]);
    if (this.buf.length > OUTPUT_KEEP_BYTES) {
      this.buf = this.buf.subarray(this.buf.length - OUTPUT_KEEP_BYTES);
      this.truncated = true;
    }
  }
  text(): string {
    return this.buf.toString("utf8");
  }
}

/** Bound a whole string the same way (output that arrived in one piece). */
export function boundOutput(text: string): { text: string; truncated: boolean } {
  const b = Buffer.from(text);
  return b.length <= OUTPUT_KEEP_BYTES ? { text, truncated: false } : { text: b.subarray(b.length - OUTPUT_KEEP_BYTES).toString("utf8"), truncated: true };
}

export function captured(step: string, stdout: string, stderr: string, exitCode: number | null, failed: boolean): CapturedOutput {
  const o = boundOutput(stdout);
  const e = boundOutput(stderr);
  return { step, stdout: o.text, stderr: e.text, exitCode, failed, truncated: o.truncated || e.truncated };
}

/** The last `n` non-empty-at-end lines of a stream. */
export function lastLines(text: string, n: number): string[] {
  const t = text.replace(/\s+$/, "");
  return t === "" ? [] : t.split("\n").slice(-n);
}

/** Replace every occurrence of each secret value (4+ characters) with `[secret]`. */
export function redactor(values: Iterable<string>): (text: string) => string {
  const secrets = [...new Set(values)].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (t) => t;
  return (t) => secrets.reduce((acc, v) => acc.split(v).join("[secret]"), t);
}

export function redactOutput(o: CapturedOutput, redact: (t: string) => string): CapturedOutput {
  return { ...o, stdout: redact(o.stdout), stderr: redact(o.stderr) };
}
