/** Exec channels on an ssh2 connection: run one command, feed stdin, collect output. */
import type { Client, ClientChannel } from "ssh2";
import type { Readable } from "node:stream";
import type { RoundTrips } from "./ssh-round-trips.js";
import { MarkerGate, wrapScript } from "./ssh-wrap.js";

/** Single-quote for POSIX sh: safe for any byte string without NUL. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ExecResult {
  /** Exit status; 124 after a timeout; 255 when the channel closed without a status. */
  readonly code: number;
  readonly signal?: string;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /**
   * False when the script never started: the marker never came on stdout (no /bin/sh,
   * a sudo that refused, …). Then `stderr` holds everything the channel printed on stderr.
   */
  readonly started: boolean;
}

export interface ExecOptions {
  readonly stdin?: Buffer | Readable;
  readonly timeoutMs?: number;
  /** Called once the channel is open (for long-lived sessions such as the lock). */
  readonly onChannel?: (ch: ClientChannel) => void;
  /** Leave stdin open (the caller ends it through `onChannel`), e.g. for the lock session. */
  readonly keepStdinOpen?: boolean;
  /** Called with each stdout chunk of the script's own output as it arrives. */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Run through `sudo -n` (ADR 107). */
  readonly sudo?: boolean;
  /**
   * Counted as two round trips until the channel runs (open, exec request; output that needs no
   * input comes with the exec reply), and one more when stdin is sent (ADR 215).
   */
  readonly rtt?: RoundTrips;
}

/**
 * Run `script` (POSIX sh) wrapped against the login shell and its greetings (ssh-wrap.ts, ADR
 * 105) and wait for the channel to close. Output before the marker is dropped. stdout is
 * always consumed: ssh2 never emits `close` while output is left unread.
 *
 * Every listener is attached inside ssh2's exec callback, synchronously: ssh2 parses all packets
 * of one TCP read in a loop, so for a quick command the exit-status request can be handled right
 * after the channel-success that calls us back. An `exit` event emitted before a listener exists
 * is lost (the old promise-based wiring lost it about once in 40 runs and reported status 255).
 */
export function execCommand(client: Client, marker: string, script: string, options: ExecOptions = {}): Promise<ExecResult> {
  const outGate = new MarkerGate(marker);
  const errGate = new MarkerGate(marker);
  return new Promise((resolve, reject) => {
    const opened = options.rtt?.start(2);
    client.exec(wrapScript(script, marker, options.sudo), (openErr, ch) => {
      opened?.();
      const fed = options.stdin === undefined ? undefined : options.rtt?.start(1);
      if (openErr) {
        reject(openErr);
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | undefined;
      let signal: string | undefined;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      ch.on("exit", (c: number | null, sig?: string) => {
        if (typeof c === "number") code = c;
        if (sig) signal = sig;
      });
      ch.on("data", (raw: Buffer) => {
        const d = outGate.push(raw);
        if (d.length === 0) return;
        out.push(d);
        options.onStdout?.(d);
      });
      ch.stderr.on("data", (raw: Buffer) => {
        const d = errGate.push(raw);
        if (d.length > 0) err.push(d);
      });
      ch.on("error", (e: Error) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      ch.on("close", () => {
        if (timer) clearTimeout(timer);
        fed?.();
        resolve({
          code: timedOut ? 124 : (code ?? 255),
          ...(signal ? { signal } : {}),
          stdout: Buffer.concat(out),
          // A script that never started: what the channel said is the only clue.
          stderr: errGate.seen ? Buffer.concat(err) : Buffer.from(errGate.preamble, "utf8"),
          started: outGate.seen,
        });
      });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          try {
            ch.signal("KILL");
          } catch {
            /* the server may not support signals; closing the channel is the backstop */
          }
          ch.close();
        }, options.timeoutMs);
      }
      options.onChannel?.(ch);
      const stdin = options.stdin;
      if (stdin === undefined) {
        if (!options.keepStdinOpen) ch.end();
      } else if (Buffer.isBuffer(stdin)) ch.end(stdin);
      else {
        stdin.on("error", (e) => {
          ch.close();
          reject(e);
        });
        stdin.pipe(ch);
      }
    });
  });
}
