/** Exec channels on an ssh2 connection: run one command, feed stdin, collect output. */
import type { Client, ClientChannel } from "ssh2";
import type { Readable } from "node:stream";

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
}

export interface ExecOptions {
  readonly stdin?: Buffer | Readable;
  readonly timeoutMs?: number;
  /** Called once the channel is open (for long-lived sessions such as the lock). */
  readonly onChannel?: (ch: ClientChannel) => void;
  /** Leave stdin open (the caller ends it through `onChannel`), e.g. for the lock session. */
  readonly keepStdinOpen?: boolean;
  /** Called with each stdout chunk as it arrives. */
  readonly onStdout?: (chunk: Buffer) => void;
}

/**
 * Run `command` (already a full shell command line) and wait for the channel to close. stdout is
 * always consumed: ssh2 never emits `close` while output is left unread.
 *
 * Every listener is attached inside ssh2's exec callback, synchronously: ssh2 parses all packets
 * of one TCP read in a loop, so for a quick command the exit-status request can be handled right
 * after the channel-success that calls us back. An `exit` event emitted before a listener exists
 * is lost (the old promise-based wiring lost it about once in 40 runs and reported status 255).
 */
export function execCommand(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (openErr, ch) => {
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
      ch.on("data", (d: Buffer) => {
        out.push(d);
        options.onStdout?.(d);
      });
      ch.stderr.on("data", (d: Buffer) => err.push(d));
      ch.on("error", (e: Error) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      ch.on("close", () => {
        if (timer) clearTimeout(timer);
        resolve({
          code: timedOut ? 124 : (code ?? 255),
          ...(signal ? { signal } : {}),
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
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
