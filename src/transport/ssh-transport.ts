/**
 * SshTransport: the Transport interface over one ssh2 connection per host. Files go over one
 * reused SFTP session; batched queries, the store push, commands and the lock use exec channels.
 * Paths are target paths, used as is.
 */
import { basename, posix } from "node:path";
import type { Client } from "ssh2";
import { FleetError } from "../fleet-error.js";
import { connectClient, type SshConnectOptions } from "./ssh-connect.js";
import { execCommand, shellQuote, type ExecResult } from "./ssh-exec.js";
import { LOCK_BUSY, lockScript, parseHolder } from "./ssh-lock.js";
import { coalescer, groupByRemoteParent, packStorePaths, unpackScript } from "./ssh-push.js";
import { isNoSuchFile, Sftp, SFTP_FAILURE, SFTP_NO_SUCH_FILE, sftpCode } from "./ssh-sftp.js";
import { parseFailureProbe, SFTP_FAILURE_PROBE, sftpReason } from "./io-error-message.js";
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

/** Must match the store's BUILT_MARKER (src/store); duplicated to keep transport below store. */
const BUILT_MARKER = ".fleet-built";

/** Per-process counter so concurrent temp names in one directory never collide. */
let tempCounter = 0;
function tempName(path: string): string {
  tempCounter += 1;
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.fleet-tmp-${process.pid}-${tempCounter}`);
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function fileType(mode: number): FileStat["type"] {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "symlink";
    default:
      return "other";
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class SshTransport implements Transport {
  readonly target: string;
  readonly user: string;
  private sent = 0;
  private dropped: string | undefined;
  private closing = false;
  private sftpSession: Promise<Sftp> | undefined;
  private homeDir: Promise<string> | undefined;

  private constructor(private readonly client: Client, target: string, user: string) {
    this.target = target;
    this.user = user;
    const onDrop = (why: string): void => {
      if (!this.closing && this.dropped === undefined) this.dropped = why;
    };
    client.on("error", (e: Error) => onDrop(e.message));
    client.on("close", () => onDrop("the connection closed"));
    client.on("end", () => onDrop("the server ended the connection"));
  }

  /** Connect, verify the host key and authenticate; one connection for the whole run. */
  static async connect(opts: SshConnectOptions): Promise<SshTransport> {
    const { client, ssh } = await connectClient(opts);
    return new SshTransport(client, opts.target, ssh.user);
  }

  get bytesSent(): number {
    return this.sent;
  }

  /** A dropped connection fails this host only; the message says to re-run. */
  private droppedError(cause?: unknown): FleetError {
    return new FleetError(undefined, `connection to ${this.target} dropped (${this.dropped}); re-run to finish this host`, {
      host: this.target,
      cause,
    });
  }

  private fail(what: string, e: unknown): FleetError {
    if (e instanceof FleetError) return e;
    if (this.dropped !== undefined) return this.droppedError(e);
    return new FleetError(undefined, `${what} on ${this.target}: ${reason(e)}`, { host: this.target, cause: e });
  }

  /**
   * OpenSSH's sftp-server reports ENOSPC, EROFS, EDQUOT and more as the generic FAILURE status;
   * repeat the write with the target's shell to learn which (ADR 131), so the host's ✗ line says
   * "no space left on device" rather than "Failure".
   */
  private async explainFailure(what: string, dir: string, bytes: number, e: unknown): Promise<FleetError> {
    if (e instanceof FleetError || sftpCode(e) !== SFTP_FAILURE || this.dropped !== undefined) return this.fail(what, e);
    const n = Math.max(1, Math.min(bytes, 1 << 20));
    const probe = await execCommand(this.client, `sh -c ${shellQuote(SFTP_FAILURE_PROBE)} sh ${shellQuote(dir)} ${n}`, {}).catch(() => null);
    const why = probe === null ? undefined : parseFailureProbe(probe.stdout.toString("utf8"));
    return new FleetError(undefined, `${what} on ${this.target}: ${why ?? sftpReason(SFTP_FAILURE)}`, { host: this.target, cause: e });
  }

  private alive(): void {
    if (this.dropped !== undefined) throw this.droppedError();
  }

  private sftp(): Promise<Sftp> {
    this.alive();
    this.sftpSession ??= new Promise<Sftp>((resolve, reject) => {
      this.client.sftp((err, s) => (err ? reject(err) : resolve(new Sftp(s))));
    }).catch((e: unknown) => {
      this.sftpSession = undefined;
      throw this.fail("cannot open an SFTP session", e);
    });
    return this.sftpSession;
  }

  private async exec(what: string, command: string, opts: Parameters<typeof execCommand>[2] = {}): Promise<ExecResult> {
    this.alive();
    let r: ExecResult;
    try {
      r = await execCommand(this.client, command, opts);
    } catch (e) {
      throw this.fail(what, e);
    }
    // A channel cut by a dropped connection closes without an exit status.
    if (this.dropped !== undefined) throw this.droppedError();
    return r;
  }

  private async execOk(what: string, command: string, opts: Parameters<typeof execCommand>[2] = {}): Promise<Buffer> {
    const r = await this.exec(what, command, opts);
    if (r.code !== 0) {
      const msg = r.stderr.toString("utf8").trim().split("\n").slice(-3).join("; ") || `exit status ${r.code}`;
      throw new FleetError(undefined, `${what} on ${this.target}: ${msg}`, { host: this.target });
    }
    return r.stdout;
  }

  home(): Promise<string> {
    this.homeDir ??= this.execOk("cannot read $HOME", `printf '%s' "$HOME"`).then((b) => {
      const h = b.toString("utf8");
      if (!h.startsWith("/")) throw new FleetError(undefined, `$HOME of ${this.user} on ${this.target} is not an absolute path ('${h}')`);
      return h;
    });
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  async stat(path: string): Promise<FileStat | null> {
    const s = await this.sftp();
    try {
      const st = await s.lstat(path);
      return { type: fileType(st.mode), mode: st.mode & 0o7777, size: st.size };
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw this.fail(`cannot stat ${path}`, e);
    }
  }

  async readFile(path: string): Promise<Buffer | null> {
    const s = await this.sftp();
    try {
      return await s.readFile(path);
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw this.fail(`cannot read ${path}`, e);
    }
  }

  async readlink(path: string): Promise<string | null> {
    const s = await this.sftp();
    try {
      return await s.readlink(path);
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      // sftp-server maps readlink's EINVAL (not a symlink) to BAD_MESSAGE; for a pointer that is
      // as good as absent, like LocalTransport.
      const st = await s.lstat(path).catch(() => null);
      if (st && fileType(st.mode) !== "symlink") return null;
      throw this.fail(`cannot read the link ${path}`, e);
    }
  }

  async readdir(path: string): Promise<string[] | null> {
    const s = await this.sftp();
    try {
      return (await s.readdir(path)).sort();
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw this.fail(`cannot list ${path}`, e);
    }
  }

  async mkdirp(path: string): Promise<void> {
    const s = await this.sftp();
    const isDir = async (p: string): Promise<boolean | null> => {
      try {
        return fileType((await s.lstat(p)).mode) === "dir";
      } catch (e) {
        if (isNoSuchFile(e)) return null;
        throw this.fail(`cannot stat ${p}`, e);
      }
    };
    const make = async (p: string): Promise<void> => {
      const d = await isDir(p);
      if (d === true) return;
      if (d === false) throw new FleetError(undefined, `cannot create directory ${p} on ${this.target}: a non-directory is in the way; remove it`, { host: this.target });
      const parent = posix.dirname(p);
      if (parent !== p) await make(parent);
      try {
        await s.mkdir(p);
      } catch (e) {
        // Another writer may have created it meanwhile.
        if ((await isDir(p)) === true) return;
        throw await this.explainFailure(`cannot create directory ${p}`, parent, 1, e);
      }
    };
    await make(path);
  }

  async writeFileAtomic(path: string, data: Buffer, mode: number): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    const s = await this.sftp();
    const tmp = tempName(path);
    try {
      await s.writeNew(tmp, data, mode);
      await s.posixRename(tmp, path);
    } catch (e) {
      await s.unlink(tmp).catch(() => undefined);
      throw await this.explainFailure(`cannot write ${path}`, posix.dirname(path), data.length, e);
    }
  }

  async symlinkAtomic(path: string, target: string): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    const s = await this.sftp();
    const tmp = tempName(path);
    try {
      await s.symlink(target, tmp);
      await s.posixRename(tmp, path);
    } catch (e) {
      await s.unlink(tmp).catch(() => undefined);
      throw this.fail(`cannot point ${path} at ${target}`, e);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const s = await this.sftp();
    try {
      await s.posixRename(from, to);
    } catch (e) {
      throw this.fail(`cannot rename ${from} to ${to}`, e);
    }
  }

  async remove(path: string): Promise<void> {
    const s = await this.sftp();
    try {
      await s.unlink(path);
    } catch (e) {
      if (isNoSuchFile(e)) return;
      throw this.fail(`cannot remove ${path}`, e);
    }
  }

  async removeTree(path: string): Promise<void> {
    // Store trees may hold read-only directories; a non-root owner must make them writable first.
    const q = shellQuote(path);
    await this.execOk(`cannot remove ${path}`, `if [ -d ${q} ] && [ ! -h ${q} ]; then chmod -R u+w -- ${q} 2>/dev/null; fi; rm -rf -- ${q}`);
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    const s = await this.sftp();
    try {
      await s.rmdir(path);
      return true;
    } catch (e) {
      // OpenSSH maps ENOTEMPTY to the generic FAILURE status.
      const code = sftpCode(e);
      if (code === SFTP_NO_SUCH_FILE || code === SFTP_FAILURE) return false;
      throw this.fail(`cannot remove directory ${path}`, e);
    }
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
    const out = await this.execOk("cannot hash managed files", `xargs -0 -r sh -c ${shellQuote(batch)} sh`, {
      stdin: nulJoin(paths),
    });
    const lines = out.toString("utf8").split("\n");
    const result: (FileDigest | null)[] = [];
    let i = 0;
    const bad = (): FleetError =>
      new FleetError(undefined, `hashing managed files on ${this.target} gave unexpected output (a file changed meanwhile?); re-run`, {
        host: this.target,
      });
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
    const out = await this.execOk("cannot check store paths", `xargs -0 -r sh -c ${shellQuote(script)} sh`, {
      stdin: nulJoin(paths),
    });
    const lines = out.toString("utf8").split("\n").filter((l) => l !== "");
    if (lines.length !== paths.length) {
      throw new FleetError(undefined, `checking store paths on ${this.target} gave ${lines.length} answers for ${paths.length} paths; re-run`, { host: this.target });
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
      });
    }
    return { bytes };
  }

  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const env = Object.entries(options.env ?? {});
    for (const [k] of env) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new FleetError(undefined, `environment variable name '${k}' is not valid for a command on ${this.target}`);
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
    const r = await this.exec(`cannot run '${command}'`, line, backstop === undefined ? {} : { timeoutMs: backstop });
    return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
  }

  async acquireLock(dir: string, holder: LockHolder): Promise<LockHandle> {
    this.alive();
    let channel: import("ssh2").ClientChannel | undefined;
    let out = "";
    let onLocked: (() => void) | undefined;
    const locked = new Promise<"locked">((resolve) => (onLocked = () => resolve("locked")));
    const session = this.exec(`cannot lock ${dir}`, lockScript(dir, holder), {
      keepStdinOpen: true,
      onChannel: (ch) => (channel = ch),
      onStdout: (chunk) => {
        out += chunk.toString("utf8");
        if (/^LOCKED$/m.test(out)) onLocked?.();
      },
    });
    const first = await Promise.race([locked, session]);
    const what = `${this.target}/${basename(dir)}`;
    if (first !== "locked") {
      const r = first;
      if (r.code === LOCK_BUSY) {
        const info = /^BUSY (.*)$/m.exec(r.stdout.toString("utf8"))?.[1] ?? "";
        const h = parseHolder(info);
        const by = h ? `pid ${h.pid} on host ${h.host} since ${h.startedAt}` : "another fleet process";
        throw new FleetError(undefined, `${what} is locked by ${by}; wait for it to finish`, { host: this.target });
      }
      const msg = r.stderr.toString("utf8").trim() || `exit status ${r.code}`;
      throw new FleetError(undefined, `cannot lock ${dir} on ${this.target}: ${msg}`, { host: this.target });
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
    await new Promise<void>((resolve) => {
      this.client.once("close", () => resolve());
      this.client.end();
    });
  }
}

function nulJoin(paths: readonly string[]): Buffer {
  for (const p of paths) {
    if (p.includes("\0")) throw new FleetError(undefined, `path ${JSON.stringify(p)} contains a NUL byte`);
  }
  return Buffer.from(paths.map((p) => `${p}\0`).join(""), "utf8");
}

/** The factory the CLI calls for `ssh://` targets (flags: --key, --known-hosts, …). */
export function openSshTransport(opts: SshConnectOptions): Promise<SshTransport> {
  return SshTransport.connect(opts);
}

