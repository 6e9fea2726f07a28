/**
 * SshTransport: the Transport interface over one ssh2 connection per host. File operations go
 * over one reused SFTP session, or, without SFTP or with sudo, over one long-lived remote shell
 * (ADR 106); the store push, commands and the lock use exec channels. Every script is wrapped
 * against the login shell and its greetings (ADR 105). Paths are target paths, used as is.
 *
 * Nothing waits forever on a host: every operation settles when the connection closes or stops
 * answering its keepalives (ADR 108), with a "dropped" error naming what was under way.
 */
import { basename, posix } from "node:path";
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { httpGetOver, type HttpProbe } from "./loopback-http.js";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { connectClient, type SshConnectOptions } from "./ssh-connect.js";
import { execCommand, shellQuote, type ExecOptions, type ExecResult } from "./ssh-exec.js";
import { NotADirectory, SftpOps, ShellOps, type FileOps } from "./ssh-file-ops.js";
import { LOCK_BUSY, lockScript, parseHolder } from "./ssh-lock.js";
import { coalescer, groupByRemoteParent, packStorePaths, unpackScript } from "./ssh-push.js";
import { Sftp, SFTP_FAILURE, sftpCode } from "./ssh-sftp.js";
import { parseFailureProbe, SFTP_FAILURE_PROBE, sftpReason } from "./io-error-message.js";
import { ShellGone, ShellSession } from "./ssh-shell.js";
import { sudoRefusal } from "./ssh-sudo.js";
import { lastLines, newMarker } from "./ssh-wrap.js";
import type {
  FileDigest,
  FileStat,
  LockHandle,
  LockHolder,
  RunOptions,
  RunResult,
  StorePush,
  Transport,
} from "./transport.js";

export type { SshConnectOptions } from "./ssh-connect.js";

export interface SshTransportOptions extends SshConnectOptions {
  /** Every privileged step (files, the flip, the lock, systemctl) through `sudo -n` (ADR 107). */
  readonly sudo?: boolean;
  /** How files travel: SFTP when the server offers it (default), or always the remote shell. */
  readonly fileOps?: "auto" | "shell";
}

/** Must match the store's BUILT_MARKER (src/store); duplicated to keep transport below store. */
const BUILT_MARKER = ".fleet-built";

/** Per-process counter so concurrent temp names in one directory never collide. */
let tempCounter = 0;
function tempName(path: string): string {
  tempCounter += 1;
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.fleet-tmp-${process.pid}-${tempCounter}`);
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** ssh2's message when the server has no such subsystem. */
const NO_SUBSYSTEM = /subsystem/i;

export class SshTransport implements Transport {
  readonly target: string;
  readonly user: string;
  readonly sudo: boolean;
  private sent = 0;
  private dropped: string | undefined;
  private closing = false;
  private fileOps: Promise<FileOps> | undefined;
  private shellSession: Promise<ShellSession> | undefined;
  private homeDir: Promise<string> | undefined;
  /** Rejects once the connection is gone; every operation races it. */
  private readonly gone: Promise<never>;
  private markGone!: (why: string) => void;
  /** Fresh per connection: what fleet's scripts print before their own output (ADR 105). */
  private readonly marker = newMarker();

  private constructor(
    private readonly client: Client,
    target: string,
    user: string,
    private readonly options: SshTransportOptions,
  ) {
    this.target = target;
    this.user = user;
    this.sudo = options.sudo === true;
    this.gone = new Promise<never>((_, reject) => {
      this.markGone = (why) => reject(new ShellGone(why));
    });
    this.gone.catch(() => undefined);
    const onDrop = (why: string): void => {
      if (this.closing || this.dropped !== undefined) return;
      this.dropped = why;
      this.markGone(why);
      void this.shellSession?.then((s) => s.fail(new ShellGone(why)), () => undefined);
    };
    client.on("error", (e: Error) => onDrop(/keepalive/i.test(e.message) ? "no answer to keepalives" : e.message));
    client.on("close", () => onDrop("the connection closed"));
    client.on("end", () => onDrop("the server ended the connection"));
  }

  /**
   * Connect, verify the host key and authenticate; one connection for the whole run. With sudo,
   * the root shell is started at once, so a sudo that wants a password fails the host before
   * anything is read or written.
   */
  static async connect(opts: SshTransportOptions): Promise<SshTransport> {
    const { client, ssh } = await connectClient(opts);
    const t = new SshTransport(client, opts.target, ssh.user, opts);
    if (t.sudo) {
      try {
        await t.shell();
      } catch (e) {
        await t.close().catch(() => undefined);
        throw e;
      }
    }
    return t;
  }

  get bytesSent(): number {
    return this.sent;
  }

  /** How file operations travel on this host (for tests and benchmarks). */
  async fileOpsKind(): Promise<FileOps["kind"]> {
    return (await this.ops()).kind;
  }

  /** A dropped connection fails this host only; the message says what was under way. */
  private droppedError(what: string, cause?: unknown): FleetError {
    const during = what.replace(/^cannot /, "");
    return new FleetError(fleetMessages.connectionDroppedDuringNext(this.target, this.dropped, during), { host: this.target, cause });
  }

  private fail(what: string, e: unknown): FleetError {
    if (this.dropped !== undefined) return this.droppedError(what, e);
    if (e instanceof FleetError) return e;
    if (e instanceof NotADirectory) {
      return new FleetError(fleetMessages.notADirectoryOnTarget(what, this.target, e.path), { host: this.target, cause: e });
    }
    return new FleetError(fleetMessages.failedOnTarget(what, this.target, reason(e)), { host: this.target, cause: e });
  }

  /** Run `f`, settling when the connection goes even if `f` never would. */
  private async guard<T>(what: string, f: () => Promise<T>): Promise<T> {
    if (this.dropped !== undefined) throw this.droppedError(what);
    try {
      return await Promise.race([f(), this.gone]);
    } catch (e) {
      throw this.fail(what, e);
    }
  }

  /** The long-lived remote shell (through sudo when asked); started once. */
  private shell(): Promise<ShellSession> {
    this.shellSession ??= ShellSession.open(this.client, this.marker, this.sudo).catch((e: unknown) => {
      this.shellSession = undefined;
      if (this.dropped !== undefined) throw this.droppedError("start of the remote shell", e);
      const why = e instanceof ShellGone ? e.why : reason(e);
      if (this.sudo) throw sudoRefusal(this.target, this.user, why);
      throw new FleetError(fleetMessages.cannotStartBinSh(this.target, lastLines(why)), { host: this.target, cause: e });
    });
    return this.shellSession;
  }

  /** SFTP when it is there and no sudo is wanted, else the remote shell (ADR 106). */
  private ops(): Promise<FileOps> {
    this.fileOps ??= (async (): Promise<FileOps> => {
      if (this.sudo || this.options.fileOps === "shell") return new ShellOps(await this.shell());
      try {
        const raw = await Promise.race([
          new Promise<import("ssh2").SFTPWrapper>((resolve, reject) => this.client.sftp((err, s) => (err ? reject(err) : resolve(s)))),
          this.gone,
        ]);
        return new SftpOps(new Sftp(raw));
      } catch (e) {
        if (this.dropped === undefined && NO_SUBSYSTEM.test(reason(e))) return new ShellOps(await this.shell());
        throw this.fail("cannot open an SFTP session", e);
      }
    })();
    this.fileOps.catch(() => (this.fileOps = undefined));
    return this.fileOps;
  }

  private op<T>(what: string, f: (o: FileOps) => Promise<T>): Promise<T> {
    return this.guard(what, async () => f(await this.ops()));
  }

  /**
   * A write through `op`. OpenSSH's sftp-server reports ENOSPC, EROFS, EDQUOT and more as the
   * generic FAILURE status; repeat the write with the target's shell to learn which (ADR 131), so
   * the host's ✗ line says "no space left on device" rather than "Failure".
   */
  private async writeOp<T>(what: string, dir: string, bytes: number, f: (o: FileOps) => Promise<T>): Promise<T> {
    try {
      return await this.op(what, f);
    } catch (e) {
      const cause = e instanceof FleetError ? e.options.cause : e;
      if (this.dropped !== undefined || sftpCode(cause) !== SFTP_FAILURE) throw e;
      const n = Math.max(1, Math.min(bytes, 1 << 20));
      const probe = await this.exec("probe a failed write", `set -- ${shellQuote(dir)} ${n}\n${SFTP_FAILURE_PROBE}`).catch(() => null);
      const why = probe === null ? undefined : parseFailureProbe(probe.stdout.toString("utf8"));
      throw new FleetError(fleetMessages.failedOnTarget(what, this.target, why ?? sftpReason(SFTP_FAILURE)), { host: this.target, cause });
    }
  }

  private exec(what: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.guard(what, async () => {
      const r = await execCommand(this.client, this.marker, script, opts);
      // A channel cut by a dropped connection closes without an exit status.
      if (this.dropped !== undefined) throw new ShellGone(this.dropped);
      if (!r.started && opts.sudo) throw sudoRefusal(this.target, this.user, r.stderr.toString("utf8"));
      if (!r.started) {
        const said = lastLines(r.stderr.toString("utf8")) || `exit status ${r.code}`;
        throw new FleetError(fleetMessages.commandNeverStartedTarget(what, this.target, said), { host: this.target });
      }
      return r;
    });
  }

  private async execOk(what: string, script: string, opts: ExecOptions = {}): Promise<Buffer> {
    const r = await this.exec(what, script, opts);
    if (r.code !== 0) {
      const msg = r.stderr.toString("utf8").trim().split("\n").slice(-3).join("; ") || `exit status ${r.code}`;
      throw new FleetError(fleetMessages.failedOnTarget(what, this.target, msg), { host: this.target });
    }
    return r.stdout;
  }

  /**
   * A short script with optional stdin: on the remote shell when this host uses it (one round
   * trip, no new channel), else on an exec channel of its own.
   */
  private async script(what: string, script: string, stdin?: Buffer): Promise<Buffer> {
    if ((await this.ops()).kind === "shell") {
      return this.guard(what, async () => {
        const r = await (await this.shell()).call(script, stdin);
        if (r.code !== 0) {
          throw new FleetError(fleetMessages.failedOnTarget(what, this.target, r.stderr.trim().split("\n").slice(-3).join("; ") || `exit status ${r.code}`), { host: this.target });
        }
        return r.stdout;
      });
    }
    return this.execOk(what, script, stdin === undefined ? {} : { stdin });
  }

  /**
   * Home of the user fleet acts as on the target, for `~` in the roots: the login user's, or
   * root's under sudo (ADR 107: then the store and deployments are root's).
   */
  home(): Promise<string> {
    this.homeDir ??= (async () => {
      const b = this.sudo
        ? await this.script("cannot read the home directory of root", `h=$(getent passwd "$(id -un)" | cut -d: -f6); printf '%s' "\${h:-$HOME}"`)
        : await this.execOk("cannot read $HOME", `printf '%s' "$HOME"`);
      const h = b.toString("utf8");
      if (!h.startsWith("/")) {
        throw new FleetError(fleetMessages.homeAbsolutePath(this.sudo ? "root" : this.user, this.target, h), { host: this.target });
      }
      return h;
    })();
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  stat(path: string): Promise<FileStat | null> {
    return this.op(`cannot stat ${path}`, (o) => o.lstat(path));
  }

  readFile(path: string): Promise<Buffer | null> {
    return this.op(`cannot read ${path}`, (o) => o.readFile(path));
  }

  readlink(path: string): Promise<string | null> {
    return this.op(`cannot read the link ${path}`, (o) => o.readlink(path));
  }

  async readdir(path: string): Promise<string[] | null> {
    const names = await this.op(`cannot list ${path}`, (o) => o.readdir(path));
    return names === null ? null : names.sort();
  }

  mkdirp(path: string): Promise<void> {
    return this.writeOp(`cannot create directory ${path}`, posix.dirname(path), 1, (o) => o.mkdirp(path));
  }

  async writeFileAtomic(path: string, data: Buffer, mode: number): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    await this.writeOp(`cannot write ${path}`, posix.dirname(path), data.length, (o) => o.writeFileAtomic(path, tempName(path), data, mode));
  }

  async symlinkAtomic(path: string, target: string): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    await this.op(`cannot point ${path} at ${target}`, (o) => o.symlinkAtomic(path, tempName(path), target));
  }

  rename(from: string, to: string): Promise<void> {
    return this.op(`cannot rename ${from} to ${to}`, (o) => o.rename(from, to));
  }

  remove(path: string): Promise<void> {
    return this.op(`cannot remove ${path}`, (o) => o.remove(path));
  }

  async removeTree(path: string): Promise<void> {
    // Store trees may hold read-only directories; a non-root owner must make them writable first.
    const q = shellQuote(path);
    await this.script(`cannot remove ${path}`, `if [ -d ${q} ] && [ ! -h ${q} ]; then chmod -R u+w -- ${q} 2>/dev/null; fi; rm -rf -- ${q}`);
  }

  rmdirIfEmpty(path: string): Promise<boolean> {
    return this.op(`cannot remove directory ${path}`, (o) => o.rmdirIfEmpty(path));
  }

  /**
   * One exec for all paths: names go NUL-separated on stdin (any byte but NUL is safe), and each
   * xargs batch prints one marker line per path, then the modes and the hashes of the regular
   * files among them, so only a handful of processes run whatever the count.
   */
  async digestFiles(paths: readonly string[]): Promise<(FileDigest | null)[]> {
    if (paths.length === 0) return [];
    const batch = [
      'for p do if [ -f "$p" ] && [ ! -h "$p" ]; then echo F; else echo N; fi; done',
      "echo --",
      `for p do if [ -f "$p" ] && [ ! -h "$p" ]; then printf '%s\\0' "$p"; fi; done | xargs -0 -r stat -c %a --`,
      "echo --",
      `for p do if [ -f "$p" ] && [ ! -h "$p" ]; then printf '%s\\0' "$p"; fi; done | xargs -0 -r sha256sum --`,
      "echo ==",
    ].join("\n");
    const out = await this.script("cannot hash managed files", `xargs -0 -r sh -c ${shellQuote(batch)} sh`, nulJoin(paths));
    const lines = out.toString("utf8").split("\n");
    const result: (FileDigest | null)[] = [];
    let i = 0;
    const bad = (): FleetError =>
      new FleetError(fleetMessages.hashingManagedFilesGave(this.target), { host: this.target });
    while (result.length < paths.length) {
      const markers: string[] = [];
      while (i < lines.length && lines[i] !== "--") markers.push(lines[i++]!);
      i++;
      const modes: string[] = [];
      while (i < lines.length && lines[i] !== "--") modes.push(lines[i++]!);
      i++;
      const hashes: string[] = [];
      while (i < lines.length && lines[i] !== "==") hashes.push(lines[i++]!);
      i++;
      const files = markers.filter((m) => m === "F").length;
      if (markers.length === 0 || modes.length !== files || hashes.length !== files) throw bad();
      let f = 0;
      for (const m of markers) {
        if (m === "N") {
          result.push(null);
          continue;
        }
        const h = hashes[f]!.replace(/^\\/, "").slice(0, 64);
        if (!/^[0-9a-f]{64}$/.test(h)) throw bad();
        result.push({ sha256: h, mode: parseInt(modes[f]!, 8) });
        f++;
      }
    }
    if (result.length !== paths.length) throw bad();
    return result;
  }

  async storePathsPresent(paths: readonly string[]): Promise<boolean[]> {
    if (paths.length === 0) return [];
    const script = `for p do if [ -f "$p/${BUILT_MARKER}" ]; then echo 1; else echo 0; fi; done`;
    const out = await this.script("cannot check store paths", `xargs -0 -r sh -c ${shellQuote(script)} sh`, nulJoin(paths));
    const lines = out.toString("utf8").split("\n").filter((l) => l !== "");
    if (lines.length !== paths.length) {
      throw new FleetError(fleetMessages.checkingStorePathsGave(this.target, lines.length, paths.length), { host: this.target });
    }
    return lines.map((l) => l === "1");
  }

  async pushStorePaths(items: readonly StorePush[]): Promise<{ bytes: number }> {
    if (items.length === 0) return { bytes: 0 };
    const present = await this.storePathsPresent(items.map((i) => i.remotePath));
    const missing = items.filter((_, k) => !present[k]);
    let bytes = 0;
    for (const [parent, group] of groupByRemoteParent(missing)) {
      const pack = packStorePaths(group);
      const counter = coalescer((n) => {
        bytes += n;
        this.sent += n;
      });
      pack.on("error", (e: Error) => counter.destroy(e));
      pack.pipe(counter);
      const names = group.map((g) => basename(g.remotePath));
      await this.execOk(`cannot push ${names.length} store path(s) to ${parent}`, unpackScript(parent, names, BUILT_MARKER), {
        stdin: counter,
        sudo: this.sudo,
      });
    }
    return { bytes };
  }

  httpGet(port: number, path: string, timeoutMs: number): Promise<HttpProbe> {
    const open = (): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        this.client.forwardOut("127.0.0.1", 0, "127.0.0.1", port, (err, channel) => (err ? reject(new Error(`connection refused on the target's 127.0.0.1:${port} (${err.message})`)) : resolve(channel)));
      });
    return httpGetOver(open, port, path, timeoutMs);
  }

  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const env = Object.entries(options.env ?? {});
    for (const [k] of env) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new FleetError(fleetMessages.environmentVariableNameValid(k, this.target));
    }
    const envPrefix = env.length ? `env ${env.map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ")} ` : "";
    let line = `${envPrefix}/bin/sh -c ${shellQuote(command)}`;
    let backstop: number | undefined;
    if (options.timeoutMs !== undefined) {
      // The remote `timeout` kills the command itself (exit 124); the local timer is a backstop
      // for a target without coreutils' timeout or a wedged channel.
      const secs = Math.max(0.001, options.timeoutMs / 1000).toFixed(3);
      line = `timeout -k 2 ${secs} ${line}`;
      backstop = options.timeoutMs + 5000;
    }
    const sudo = this.sudo && options.privileged === true;
    const r = await this.exec(`cannot run '${shortCommand(command)}'`, line, { ...(backstop === undefined ? {} : { timeoutMs: backstop }), sudo });
    return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
  }

  async acquireLock(dir: string, holder: LockHolder): Promise<LockHandle> {
    let channel: import("ssh2").ClientChannel | undefined;
    let out = "";
    let onLocked: (() => void) | undefined;
    const locked = new Promise<"locked">((resolve) => (onLocked = () => resolve("locked")));
    const session = this.exec(`cannot lock ${dir}`, lockScript(dir, holder), {
      sudo: this.sudo,
      keepStdinOpen: true,
      onChannel: (ch) => (channel = ch),
      onStdout: (chunk) => {
        out += chunk.toString("utf8");
        if (/^LOCKED$/m.test(out)) onLocked?.();
      },
    });
    const first = await Promise.race([locked, session, this.gone]).catch((e: unknown) => {
      throw this.fail(`cannot lock ${dir}`, e);
    });
    const what = `${this.target}/${basename(dir)}`;
    if (first !== "locked") {
      const r = first;
      if (r.code === LOCK_BUSY) {
        const info = /^BUSY (.*)$/m.exec(r.stdout.toString("utf8"))?.[1] ?? "";
        const h = parseHolder(info);
        const by = h ? `pid ${h.pid} on host ${h.host} since ${h.startedAt}` : "another fleet process";
        throw new FleetError(fleetMessages.lockHeld(what, by), { host: this.target });
      }
      const msg = r.stderr.toString("utf8").trim() || `exit status ${r.code}`;
      throw new FleetError(fleetMessages.cannotLock(dir, this.target, msg), { host: this.target });
    }
    const stale = /^STALE (.*)$/m.exec(out)?.[1];
    const old = stale === undefined ? null : parseHolder(stale);
    let released = false;
    const handle: LockHandle = {
      ...(stale !== undefined
        ? {
            takeover: old
              ? `took over the lock of ${what} left by pid ${old.pid} on host ${old.host} (started ${old.startedAt}), which is gone`
              : `took over a stale lock of ${what}`,
          }
        : {}),
      release: async () => {
        if (released) return;
        released = true;
        if (this.dropped !== undefined) return; // the shell died with the connection: lock is free
        channel?.end();
        await session.catch(() => undefined);
      },
    };
    return handle;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.dropped !== undefined) return;
    void this.shellSession?.then((s) => s.end(), () => undefined);
    await new Promise<void>((resolve) => {
      this.client.once("close", () => resolve());
      this.client.end();
    });
  }
}

/** A command as messages name it: its first line, cut to 60 characters. */
function shortCommand(command: string): string {
  const first = command.split("\n", 1)[0]!;
  return first.length > 60 || first.length < command.length ? `${first.slice(0, 60)}…` : first;
}

function nulJoin(paths: readonly string[]): Buffer {
  for (const p of paths) {
    if (p.includes("\0")) throw new FleetError(fleetMessages.pathContainsNulByte(JSON.stringify(p)));
  }
  return Buffer.from(paths.map((p) => `${p}\0`).join(""), "utf8");
}

/** The factory the CLI calls for `ssh://` targets (flags: --key, --known-hosts, …). */
export function openSshTransport(opts: SshTransportOptions): Promise<SshTransport> {
  return SshTransport.connect(opts);
}

