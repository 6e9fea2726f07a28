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
import { LOCK_BUSY, lockRefusal, lockScript, takeoverNote } from "./ssh-lock.js";
import { coalescer, groupByRemoteParent, packedStream, unpackScript } from "./ssh-push.js";
import {
  DIGEST_SCRIPT,
  parseDigests,
  parseReadAhead,
  readAheadScript,
  SHELL_LOCK_ABSENT,
  SHELL_LOCK_BUSY,
  shellLockScript,
  writeSequenceThenUnlockScript,
  shellUnlockScript,
  writeSequenceScript,
  type ReadAheadAnswer,
} from "./ssh-batch.js";
import { recordRoundTrips, RoundTrips } from "./ssh-round-trips.js";
import { Sftp, SFTP_FAILURE, sftpCode } from "./ssh-sftp.js";
import { parseFailureProbe, SFTP_FAILURE_PROBE, sftpReason, shellReason } from "./io-error-message.js";
import { ShellGone, ShellSession, type ShellAnswer } from "./ssh-shell.js";
import { sudoRefusal } from "./ssh-sudo.js";
import { lastLines, newMarker } from "./ssh-wrap.js";
import type {
  FileDigest,
  FileStat,
  LockHandle,
  LockHolder,
  ReadAhead,
  RunOptions,
  RunResult,
  SkippedWrite,
  StorePush,
  Transport,
  WriteStep,
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
  /** Sequential round trips since authentication (ADR 215). */
  readonly roundTrips = new RoundTrips();
  /** Directories known to exist: made or seen by this connection (ADR 215). */
  private readonly knownDirs = new Set<string>();
  /** Answers of the last read-ahead still valid (ADR 215); dropped with the lock. */
  private cache: ReadAheadAnswer | undefined;
  /**
   * Shell locks to release with the next write sequence in their directory, by directory
   * (LockHandle.releaseWithNextWrite): several stacks of one host may be locked at once.
   */
  private readonly unlockWithWrite = new Map<string, { readonly fd: number; released(): void }>();
  /** Lock fds of the remote shell in use (ADR 215). */
  private readonly lockFds = new Set<number>();
  /** Store paths this connection packed itself (not from the run's pack cache). */
  private packed = 0;

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
    this.shellSession ??= ShellSession.open(this.client, this.marker, this.sudo, this.roundTrips).catch((e: unknown) => {
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
        // Channel open, subsystem request, SFTP version exchange: three round trips (ADR 215).
        const raw = await Promise.race([
          this.roundTrips.around(new Promise<import("ssh2").SFTPWrapper>((resolve, reject) => this.client.sftp((err, s) => (err ? reject(err) : resolve(s)))), 3),
          this.gone,
        ]);
        return new SftpOps(new Sftp(raw, this.roundTrips));
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
      const r = await execCommand(this.client, this.marker, script, { ...opts, rtt: this.roundTrips });
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
    {
      return this.guard(what, async () => {
        const r = await (await this.shell()).call(script, stdin);
        if (r.code !== 0) {
          throw new FleetError(fleetMessages.failedOnTarget(what, this.target, r.stderr.trim().split("\n").slice(-3).join("; ") || `exit status ${r.code}`), { host: this.target });
        }
        return r.stdout;
      });
    }
  }

  /**
   * Home of the user fleet acts as on the target, for `~` in the roots: the login user's, or
   * root's under sudo (ADR 107: then the store and deployments are root's).
   */
  home(): Promise<string> {
    this.homeDir ??= (async () => {
      // The remote shell reports it as it starts (ADR 215): every host operation needs the shell.
      const h = await this.guard(this.sudo ? "cannot read the home directory of root" : "cannot read $HOME", async () => (await this.shell()).home);
      if (!h.startsWith("/")) {
        throw new FleetError(fleetMessages.homeAbsolutePath(this.sudo ? "root" : this.user, this.target, h), { host: this.target });
      }
      return h;
    })();
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  /**
   * Forget what is known about `path` and everything under it, and its parent's listing: a write
   * of ours is about to change it (ADR 215).
   */
  private touch(path: string): void {
    const under = (p: string): boolean => p === path || p.startsWith(`${path}/`);
    for (const d of [...this.knownDirs]) if (under(d)) this.knownDirs.delete(d);
    const c = this.cache;
    if (c === undefined) return;
    for (const m of [c.stats, c.files, c.links, c.dirs, c.digests, c.storePaths] as Map<string, unknown>[]) {
      for (const k of [...m.keys()]) if (under(k)) m.delete(k);
    }
    c.dirs.delete(posix.dirname(path));
  }

  /** A command can change anything: forget it all. */
  private forgetAll(): void {
    this.cache = undefined;
    this.knownDirs.clear();
  }

  private knowDir(path: string): void {
    for (let d = path; d !== "/" && d !== "."; d = posix.dirname(d)) this.knownDirs.add(d);
  }

  stat(path: string): Promise<FileStat | null> {
    const c = this.cache?.stats;
    if (c?.has(path)) return Promise.resolve(c.get(path)!);
    return this.op(`cannot stat ${path}`, (o) => o.lstat(path));
  }

  readFile(path: string): Promise<Buffer | null> {
    const c = this.cache?.files;
    if (c?.has(path)) return Promise.resolve(c.get(path)!);
    return this.op(`cannot read ${path}`, (o) => o.readFile(path));
  }

  readlink(path: string): Promise<string | null> {
    const c = this.cache?.links;
    if (c?.has(path)) return Promise.resolve(c.get(path)!);
    return this.op(`cannot read the link ${path}`, (o) => o.readlink(path));
  }

  async readdir(path: string): Promise<string[] | null> {
    const c = this.cache?.dirs;
    if (c?.has(path)) return c.get(path)?.slice() ?? null;
    const names = await this.op(`cannot list ${path}`, (o) => o.readdir(path));
    return names === null ? null : names.sort();
  }

  async mkdirp(path: string): Promise<void> {
    if (this.knownDirs.has(path)) return;
    await this.writeOp(`cannot create directory ${path}`, posix.dirname(path), 1, (o) => o.mkdirp(path));
    this.knowDir(path);
  }

  async writeFileAtomic(path: string, data: Buffer, mode: number): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    this.touch(path);
    await this.writeOp(`cannot write ${path}`, posix.dirname(path), data.length, (o) => o.writeFileAtomic(path, tempName(path), data, mode));
  }

  async symlinkAtomic(path: string, target: string): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    this.touch(path);
    await this.op(`cannot point ${path} at ${target}`, (o) => o.symlinkAtomic(path, tempName(path), target));
  }

  rename(from: string, to: string): Promise<void> {
    this.touch(from);
    this.touch(to);
    return this.op(`cannot rename ${from} to ${to}`, (o) => o.rename(from, to));
  }

  remove(path: string): Promise<void> {
    this.touch(path);
    return this.op(`cannot remove ${path}`, (o) => o.remove(path));
  }

  async removeTree(path: string): Promise<void> {
    this.touch(path);
    // Store trees may hold read-only directories; a non-root owner must make them writable first.
    const q = shellQuote(path);
    await this.script(`cannot remove ${path}`, `if [ -d ${q} ] && [ ! -h ${q} ]; then chmod -R u+w -- ${q} 2>/dev/null; fi; rm -rf -- ${q}`);
  }

  rmdirIfEmpty(path: string): Promise<boolean> {
    this.touch(path);
    return this.op(`cannot remove directory ${path}`, (o) => o.rmdirIfEmpty(path));
  }

  /**
   * One request on the remote shell for every read named (ADR 215); later reads of those paths
   * are answered from it until a write of this connection touches them or the lock is released.
   * A read-ahead that goes wrong only means the reads happen one by one, as before.
   */
  async readAhead(reads: ReadAhead): Promise<void> {
    this.absorb(reads, await this.script("cannot read the deployment state", readAheadScript(reads)));
  }

  /** Take a read-ahead's answer into the cache; one that does not parse is dropped. */
  private absorb(reads: ReadAhead, out: Buffer): void {
    let a: ReadAheadAnswer;
    try {
      a = parseReadAhead(reads, out);
    } catch {
      return;
    }
    for (const [p, names] of a.dirs) if (names !== null) this.knowDir(p);
    for (const [p, st] of a.stats) if (st?.type === "dir") this.knowDir(p);
    const c = this.cache;
    if (c === undefined) {
      this.cache = a;
      return;
    }
    for (const k of ["stats", "files", "links", "dirs", "digests", "storePaths"] as const) {
      for (const [p, v] of a[k] as Map<string, unknown>) (c[k] as Map<string, unknown>).set(p, v);
    }
  }

  /**
   * The steps in order as one request on the remote shell (ADR 215); each is durable before the
   * next starts and the first failure stops the rest, with the error that step alone would give.
   */
  async writeSequence(steps: readonly WriteStep[]): Promise<readonly SkippedWrite[]> {
    if (steps.length === 0) return [];
    const temps = steps.map((st) => (st.kind === "write" || st.kind === "symlink" ? tempName(st.path) : ""));
    for (const st of steps) for (const p of st.kind === "prune" ? st.dirs : [st.path]) this.touch(p);
    const { script, data } = writeSequenceScript(steps, temps);
    const what = (i: number): string => {
      const st = steps[i]!;
      return st.kind === "write" ? `cannot write ${st.path}` : st.kind === "symlink" ? `cannot point ${st.path} at ${st.target}` : `cannot remove ${st.path}`;
    };
    // The lock of the directory the sequence ends in goes with it, when asked (releaseWithNextWrite).
    const last = steps.at(-1)!.path;
    const dir = [...this.unlockWithWrite.keys()].find((d) => last.startsWith(`${d}/`));
    const unlock = dir === undefined ? undefined : this.unlockWithWrite.get(dir);
    if (dir !== undefined) this.unlockWithWrite.delete(dir);
    const r = await this.guard(what(0), async () =>
      (await this.shell()).call(unlock === undefined || dir === undefined ? script : writeSequenceThenUnlockScript(script, dir, unlock.fd), data),
    );
    if (r.code === 0) unlock?.released();
    if (r.code !== 0) {
      const i = Number(/^FAILED (\d+)$/m.exec(r.stdout.toString("utf8"))?.[1] ?? 0);
      const last = r.stderr.trim().split("\n").at(-1) ?? "";
      const why = last === "" ? `exit status ${r.code}` : shellReason(last);
      throw new FleetError(fleetMessages.ioFailed(`${what(i)} on ${this.target}`, why), { host: this.target });
    }
    const skipped = new Map<number, SkippedWrite>();
    for (const m of r.stdout.toString("utf8").matchAll(/^SKIPPED (\d+) (.*)$/gm)) {
      const i = Number(m[1]);
      const why = m[2] === "" ? "failed" : shellReason(m[2]!);
      skipped.set(i, { path: steps[i]!.path, why: new FleetError(fleetMessages.ioFailed(`${what(i)} on ${this.target}`, why)).headline });
    }
    steps.forEach((st, i) => {
      if ((st.kind === "write" || st.kind === "symlink") && !skipped.has(i)) this.knowDir(posix.dirname(st.path));
    });
    return [...skipped.values()];
  }

  /**
   * One exec for all paths: names go NUL-separated on stdin (any byte but NUL is safe), and each
   * xargs batch prints one marker line per path, then the modes and the hashes of the regular
   * files among them, so only a handful of processes run whatever the count.
   */
  async digestFiles(paths: readonly string[]): Promise<(FileDigest | null)[]> {
    if (paths.length === 0) return [];
    const c = this.cache?.digests;
    if (c !== undefined && paths.every((p) => c.has(p))) return paths.map((p) => c.get(p)!);
    const out = await this.script("cannot hash managed files", DIGEST_SCRIPT, nulJoin(paths));
    const result = parseDigests(out.toString("utf8"), paths.length);
    if (result === null) {
      throw new FleetError(fleetMessages.hashingManagedFilesGave(this.target), { host: this.target });
    }
    return result;
  }

  async storePathsPresent(paths: readonly string[]): Promise<boolean[]> {
    if (paths.length === 0) return [];
    const c = this.cache?.storePaths;
    if (c !== undefined && paths.every((p) => c.has(p))) return paths.map((p) => c.get(p)!);
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
    for (const m of missing) this.touch(m.remotePath);
    for (const [parent, group] of groupByRemoteParent(missing)) {
      // Each store path is packed once per run, however many hosts receive it (ADR 215).
      const pack = packedStream(group, () => (this.packed += 1));
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
      this.knowDir(parent);
      for (const g of group) this.cache?.storePaths.set(g.remotePath, true);
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
    this.forgetAll();
    const r = await this.exec(`cannot run '${shortCommand(command)}'`, line, { ...(backstop === undefined ? {} : { timeoutMs: backstop }), sudo });
    return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
  }

  async acquireLock(dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle> {
    const fd = [9, 8, 7].find((f) => !this.lockFds.has(f));
    if (fd !== undefined) return (await this.shellLock(dir, holder, fd, false, reads))!;
    return this.execLock(dir, holder);
  }

  async acquireLockIfPresent(dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle | null> {
    const fd = [9, 8, 7].find((f) => !this.lockFds.has(f));
    if (fd !== undefined) return this.shellLock(dir, holder, fd, true, reads);
    if ((await this.stat(dir)) === null) return null;
    return this.execLock(dir, holder);
  }

  /** The lock held by the remote shell on one of its fds (ADR 215): one round trip, no channel. */
  private async shellLock(dir: string, holder: LockHolder, fd: number, mustExist: boolean, reads?: ReadAhead): Promise<LockHandle | null> {
    this.lockFds.add(fd);
    let r: Awaited<ReturnType<ShellSession["call"]>>;
    // The read-ahead is sent right behind the lock request, unanswered: the shell runs requests in
    // order, so it reads under the lock when the lock is taken; when it is not, its answer is dropped.
    let ahead: Promise<ShellAnswer | null> | undefined;
    try {
      r = await this.guard(`cannot lock ${dir}`, async () => {
        const sh = await this.shell();
        const locked = sh.call(shellLockScript(dir, holder, fd, mustExist));
        if (reads !== undefined) ahead = sh.call(readAheadScript(reads)).catch(() => null);
        return locked;
      });
    } catch (e) {
      this.lockFds.delete(fd);
      await ahead;
      throw e;
    }
    const out = r.stdout.toString("utf8");
    const read = await ahead;
    if (r.code !== 0 || !/^LOCKED$/m.test(out)) {
      this.lockFds.delete(fd);
      if (mustExist && r.code === SHELL_LOCK_ABSENT) return null;
      throw lockRefusal(this.target, dir, r.code === SHELL_LOCK_BUSY, out, r.stderr, r.code);
    }
    this.knowDir(dir);
    // What was read before the lock (a look at the host) may be stale now: only reads made under
    // the lock are kept (ADR 240).
    this.cache = undefined;
    const readAhead = reads !== undefined && read !== undefined && read !== null && read.code === 0;
    if (readAhead) this.absorb(reads, read.stdout);
    let released = false;
    return {
      ...(readAhead ? { readAhead: true } : {}),
      releaseWithNextWrite: () => {
        if (released) return;
        this.unlockWithWrite.set(dir, {
          fd,
          released: () => {
            released = true;
            this.cache = undefined;
            this.lockFds.delete(fd);
          },
        });
      },
      ...takeoverNote(this.target, dir, out),
      release: async () => {
        if (this.unlockWithWrite.get(dir)?.fd === fd) this.unlockWithWrite.delete(dir);
        if (released) return;
        released = true;
        this.cache = undefined;
        if (this.dropped !== undefined) return; // the shell died with the connection: lock is free
        try {
          await (await this.shell()).call(shellUnlockScript(dir, fd));
        } catch {
          /* a shell that is gone holds no lock */
        }
        this.lockFds.delete(fd);
      },
    };
  }

  private async execLock(dir: string, holder: LockHolder): Promise<LockHandle> {
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
    if (first !== "locked") {
      throw lockRefusal(this.target, dir, first.code === LOCK_BUSY, first.stdout.toString("utf8"), first.stderr.toString("utf8"), first.code);
    }
    let released = false;
    const handle: LockHandle = {
      ...takeoverNote(this.target, dir, out),
      release: async () => {
        if (released) return;
        released = true;
        this.cache = undefined;
        if (this.dropped !== undefined) return; // the shell died with the connection: lock is free
        channel?.end();
        await session.catch(() => undefined);
      },
    };
    return handle;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    recordRoundTrips(this.target, this.roundTrips, { packed: this.packed });
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

