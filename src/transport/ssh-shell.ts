/**
 * One long-lived `/bin/sh` on the target that runs many small scripts over one exec channel
 * (ADR 106): the file operations of a host without SFTP or with sudo, and the batched queries.
 * Requests are pipelined: each is written at once and answers come back in order, so a caller
 * may issue many before waiting for any (issue 18 batches this way).
 *
 * Wire format, per request: the script's lines, then `<marker> <n>`, then n bytes of data that
 * become the script's stdin. Per answer: the script's stdout, `\n<marker> <status>\n`, its stderr,
 * `\n<marker> .\n`. The marker is random per connection, so no file content or greeting can fake
 * a frame. The server reads scripts with `read` (byte by byte, never past the frame) and data
 * with `dd iflag=fullblock`, so the stream never desynchronises.
 */
import type { Client, ClientChannel } from "ssh2";
import { execCommand } from "./ssh-exec.js";
import type { RoundTrips } from "./ssh-round-trips.js";

/** A request that starts with this line runs in the server shell itself, not a subshell (the lock). */
export const IN_SERVER = ": in-server";

export interface ShellAnswer {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

interface Waiting {
  resolve(a: ShellAnswer): void;
  reject(e: Error): void;
}

/** Why the session cannot take requests any more. */
export class ShellGone extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = "ShellGone";
  }
}

function serverScript(marker: string, sudo: boolean): string {
  return [
    `M=${marker}`,
    "umask 022",
    // The home fleet acts in (root's under sudo, ADR 107) comes with READY: no round trip of its own.
    sudo ? 'h=$(getent passwd "$(id -un)" | cut -d: -f6); H=${h:-$HOME}' : 'H=$HOME',
    // Lock files this shell holds on fds 7-9 (ADR 215): removed when it ends, as the lock session did.
    "L7=; L8=; L9=",
    // Private: request data (secret files too) passes through it.
    't=$(mktemp -d "${TMPDIR:-/tmp}/fleet-ops.XXXXXX") || exit 1',
    'fleet_end() { rm -rf "$t"; for f in "$L7" "$L8" "$L9"; do if [ -n "$f" ]; then rm -f -- "$f"; fi; done; }',
    "trap fleet_end EXIT",
    "trap 'exit 1' HUP INT TERM PIPE",
    // dd never reads past the count it is given; fullblock makes short pipe reads add up.
    "take() {",
    "  if [ \"$1\" -ge 1048576 ]; then dd bs=1048576 count=$(($1 / 1048576)) iflag=fullblock status=none || return 1; fi",
    "  if [ $(($1 % 1048576)) -gt 0 ]; then dd bs=$(($1 % 1048576)) count=1 iflag=fullblock status=none || return 1; fi",
    "}",
    'printf \'%s READY %s\\n\' "$M" "$H"',
    "while :; do",
    "  s=; l=",
    '  while IFS= read -r l; do case $l in "$M "*) break ;; esac; s="$s$l',
    '"; done',
    '  case $l in "$M "*) ;; *) exit 0 ;; esac',
    '  n=${l#"$M "}',
    '  take "$n" >"$t/d" || exit 1',
    `  case $s in "${IN_SERVER}"*) eval "$s" <"$t/d" 2>"$t/e" ;; *) ( eval "$s" ) <"$t/d" 2>"$t/e" ;; esac`,
    "  rc=$?",
    '  : >"$t/d"',
    '  printf \'\\n%s %s\\n\' "$M" "$rc"',
    '  if [ -s "$t/e" ]; then cat -- "$t/e"; fi',
    '  printf \'\\n%s .\\n\' "$M"',
    "done",
  ].join("\n");
}

export class ShellSession {
  private buf: Buffer = Buffer.alloc(0);
  private ready = false;
  private readonly queue: Waiting[] = [];
  private gone: ShellGone | undefined;
  private readonly head: Buffer;
  private readonly tail: Buffer;
  private onReady: ((e?: Error) => void) | undefined;
  /** The home directory the server reported with READY. */
  home = "";

  private constructor(
    private readonly channel: ClientChannel,
    private readonly marker: string,
    private readonly rtt: RoundTrips | undefined,
  ) {
    this.head = Buffer.from(`\n${marker} `, "utf8");
    this.tail = Buffer.from(`\n${marker} .\n`, "utf8");
  }

  /**
   * Start the server and wait for its READY line. Rejects with `ShellGone` carrying what the
   * channel said on stderr when it never got there (sudo asking for a password, no /bin/sh, …).
   */
  static open(client: Client, marker: string, sudo: boolean, rtt?: RoundTrips): Promise<ShellSession> {
    return new Promise<ShellSession>((resolve, reject) => {
      let session: ShellSession | undefined;
      const ended = execCommand(client, marker, serverScript(marker, sudo), {
        sudo,
        keepStdinOpen: true,
        ...(rtt === undefined ? {} : { rtt }),
        onChannel: (ch) => {
          session = new ShellSession(ch, marker, rtt);
          session.onReady = (e) => (e ? reject(e) : resolve(session!));
        },
        onStdout: (chunk) => session?.data(chunk),
      });
      ended.then(
        (r) => {
          const why = r.started
            ? `the remote shell ended (exit status ${r.code})`
            : r.stderr.toString("utf8").trim() || `the remote shell could not start (exit status ${r.code})`;
          const e = new ShellGone(why);
          if (session) session.fail(e);
          else reject(e);
        },
        (e: unknown) => {
          const g = new ShellGone(e instanceof Error ? e.message : String(e));
          if (session) session.fail(g);
          else reject(g);
        },
      );
    });
  }

  /** Send one request; the answer comes in order with every other. */
  call(script: string, data: Buffer = Buffer.alloc(0)): Promise<ShellAnswer> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<ShellAnswer>((resolve, reject) => {
      const end = this.rtt?.start(1);
      this.queue.push({
        resolve: (a) => {
          end?.();
          resolve(a);
        },
        reject: (e) => {
          end?.();
          reject(e);
        },
      });
      const text = script.endsWith("\n") ? script : `${script}\n`;
      this.channel.write(Buffer.concat([Buffer.from(`${text}${this.marker} ${data.length}\n`, "utf8"), data]));
    });
  }

  /** Every waiting call settles with `e`; no later call is accepted. */
  fail(e: ShellGone): void {
    if (!this.gone) this.gone = e;
    this.onReady?.(e);
    this.onReady = undefined;
    for (const w of this.queue.splice(0)) w.reject(this.gone);
  }

  /** Let the server see end of input and exit. */
  end(): void {
    if (!this.gone) this.gone = new ShellGone("the remote shell was closed");
    try {
      this.channel.end();
    } catch {
      /* the channel is already gone */
    }
  }

  private data(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.ready) {
      const line = Buffer.from(`${this.marker} READY `, "utf8");
      const eol = this.buf.indexOf(0x0a);
      if (eol < 0 && this.buf.length < line.length) return;
      if (!this.buf.subarray(0, line.length).equals(line)) {
        this.fail(new ShellGone(`the remote shell printed unexpected output: ${JSON.stringify(this.buf.subarray(0, 80).toString("utf8"))}`));
        return;
      }
      if (eol < 0) return;
      this.ready = true;
      this.home = this.buf.subarray(line.length, eol).toString("utf8");
      this.buf = this.buf.subarray(eol + 1);
      this.onReady?.();
      this.onReady = undefined;
    }
    for (;;) {
      const at = this.buf.indexOf(this.head);
      if (at < 0) return;
      const eol = this.buf.indexOf(0x0a, at + this.head.length);
      if (eol < 0) return;
      const end = this.buf.indexOf(this.tail, eol);
      if (end < 0) return;
      const code = Number(this.buf.subarray(at + this.head.length, eol).toString("utf8"));
      const stdout = Buffer.from(this.buf.subarray(0, at));
      const stderr = this.buf.subarray(eol + 1, end).toString("utf8");
      this.buf = this.buf.subarray(end + this.tail.length);
      const w = this.queue.shift();
      if (!w) {
        this.fail(new ShellGone("the remote shell answered a request that was never sent"));
        return;
      }
      w.resolve({ code, stdout, stderr });
    }
  }
}
