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

export function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
  });
}

/**
 * Run `command` (already a full shell command line) and wait for the channel to close. stdout is
 * always consumed: ssh2 never emits `close` while output is left unread.
 */
export async function execCommand(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const ch = await openExec(client, command);
  options.onChannel?.(ch);
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let code: number | undefined;
    let signal: string | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
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
    ch.on("data", (d: Buffer) => {
      out.push(d);
      options.onStdout?.(d);
    });
    ch.stderr.on("data", (d: Buffer) => err.push(d));
    ch.on("exit", (c: number | null, sig?: string) => {
      if (typeof c === "number") code = c;
      if (sig) signal = sig;
    });
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
    const stdin = options.stdin;
    if (stdin === undefined) {
      if (!options.keepStdinOpen) ch.end();
    }
    else if (Buffer.isBuffer(stdin)) ch.end(stdin);
    else {
      stdin.on("error", (e) => {
        ch.close();
        reject(e);
      });
      stdin.pipe(ch);
    }
  });
}
