/**
 * LocalTransport: a "host" that is a directory of this machine (`--transport-root`, tests).
 * Every target path P lands at `root + P`; nothing outside `root` is touched.
 */
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { httpGetOver, type HttpProbe } from "./loopback-http.js";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  constants as fsc,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  promises as fs,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { constants as osConstants } from "node:os";
import { basename, dirname, join, posix } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { ioReason } from "./io-error-message.js";
import { acquireLocalLock } from "./local-lock.js";
import { hermeticHome } from "./target.js";
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

export interface LocalTransportOptions {
  /** Absolute local directory standing for the target's `/`. */
  readonly root: string;
  /** The target as written in the host record. */
  readonly target: string;
  readonly user: string;
}

/** The marker a complete store path holds (SPEC §2). */
const BUILT_MARKER = ".fleet-built";

/** fsync(2) on the thread pool: the one call per write that waits on the disk (ADR 082). */
function fsyncOnPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Create an entry in `dir`, making `dir` (mkdir -p) only when the first attempt finds it missing:
 * on a re-deploy every directory exists, and even a mkdir that finds its directory costs a
 * path walk per ancestor.
 */
function inParentDir<T>(dir: string, create: () => T): T {
  try {
    return create();
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
  mkdirAll(dir);
  return create();
}

/**
 * mkdir -p. Node's recursive mkdir reports ENOENT where the parent it could not create failed
 * with EROFS or EACCES; one directory at a time then finds the real error to report.
 */
function mkdirAll(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    return;
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
  let at = "";
  for (const seg of dir.split("/").filter((s) => s !== "")) {
    at += `/${seg}`;
    try {
      mkdirSync(at);
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
    }
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** ENOENT and ENOTDIR both mean "there is nothing at this path". */
function isAbsent(e: unknown): boolean {
  const c = errno(e);
  return c === "ENOENT" || c === "ENOTDIR";
}

export class LocalTransport implements Transport {
  readonly target: string;
  readonly user: string;
  readonly root: string;
  private sent = 0;

  constructor(options: LocalTransportOptions) {
    if (!posix.isAbsolute(options.root)) {
      throw new FleetError(fleetMessages.transportRootAbsolutePass(options.root));
    }
    this.root = options.root.replace(/\/+$/, "") || "/";
    this.target = options.target;
    this.user = options.user;
  }

  get bytesSent(): number {
    return this.sent;
  }

  /**
   * `localPath` after checking, with lstat, every component of `path` below the root that exists:
   * none may be a symlink (ADR 130), so nothing fleet writes, reads or deletes can land outside
   * the host's folder. The last component is checked too when `last` is true (a directory to
   * list or create, a file to read); otherwise it is the entry the call itself acts on, which
   * lstat, unlink and rename(2) never follow. A missing component ends the walk: whatever is
   * created below it is created as a real directory.
   */
  private contained(path: string, last: boolean): string {
    const local = this.localPath(path);
    const segments = path.split("/").filter((s) => s !== "");
    const end = last ? segments.length : segments.length - 1;
    let at = this.root === "/" ? "" : this.root;
    for (let i = 0; i < end; i++) {
      at += `/${segments[i]}`;
      let st;
      try {
        st = lstatSync(at);
      } catch (e) {
        if (isAbsent(e)) break;
        throw this.ioError(`cannot look up ${path}`, e);
      }
      if (st.isSymbolicLink()) {
        let to = "?";
        try {
          to = readlinkSync(at);
        } catch {
          // Only for the message.
        }
        throw new FleetError(fleetMessages.symlinkInHostFolder(at, to, this.root));
      }
      if (!st.isDirectory()) break; // the call itself fails with ENOTDIR, reported as such
    }
    return local;
  }

  /** A local I/O error as the one-line host error the CLI prints (ENOSPC, EROFS, EACCES, …). */
  private ioError(what: string, e: unknown): FleetError {
    if (e instanceof FleetError) return e;
    return new FleetError(fleetMessages.ioFailed(what, ioReason(e)), { host: this.target, cause: e });
  }

  /**
   * Map a target path into the root. `..` segments are refused rather than normalised away so
   * that a bug upstream can never make a write escape the host's directory.
   */
  localPath(path: string): string {
    if (!path.startsWith("/")) {
      throw new FleetError(fleetMessages.targetPathAbsoluteTarget(path));
    }
    if (path.includes("\0") || path.split("/").some((seg) => seg === "..")) {
      throw new FleetError(fleetMessages.targetPathEscapesTarget(path));
    }
    return this.root === "/" ? path : this.root + path.replace(/\/+$/, "");
  }

  async home(): Promise<string> {
    return hermeticHome(this.user);
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const st = lstatSync(this.contained(path, false));
      const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
      return { type, mode: st.mode & 0o7777, size: st.size };
    } catch (e) {
      if (isAbsent(e)) return null;
      throw this.ioError(`cannot stat ${path}`, e);
    }
  }

  async readFile(path: string): Promise<Buffer | null> {
    try {
      // O_NOFOLLOW: a manifest, marker or blob that is a symlink is refused, not followed (ADR 130).
      const fd = openSync(this.contained(path, false), fsc.O_RDONLY | fsc.O_NOFOLLOW);
      try {
        return readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (isAbsent(e)) return null;
      if (errno(e) === "ELOOP") {
        throw new FleetError(fleetMessages.symlinkFileInHostFolder(this.localPath(path), this.root));
      }
      throw this.ioError(`cannot read ${path}`, e);
    }
  }

  async readlink(path: string): Promise<string | null> {
    try {
      return readlinkSync(this.contained(path, false));
    } catch (e) {
      // EINVAL: it exists but is not a symlink — for a pointer that is as good as absent.
      if (isAbsent(e) || errno(e) === "EINVAL") return null;
      throw this.ioError(`cannot read the link ${path}`, e);
    }
  }

  async readdir(path: string): Promise<string[] | null> {
    try {
      return readdirSync(this.contained(path, true)).sort();
    } catch (e) {
      if (isAbsent(e)) return null;
      throw this.ioError(`cannot list ${path}`, e);
    }
  }

  async mkdirp(path: string): Promise<void> {
    try {
      mkdirAll(this.contained(path, true));
    } catch (e) {
      throw this.ioError(`cannot create directory ${path}`, e);
    }
  }

  // The metadata calls below are synchronous and only fsync(2) goes to the thread pool (ADR 082):
  // each of these syscalls takes microseconds on a local file system, while a thread-pool round
  // trip per call cost more CPU and latency than the call itself. The order of the steps (write,
  // chmod, fsync, close, rename) is unchanged, so a crash leaves the same states as before.
  async writeFileAtomic(path: string, data: Buffer, mode: number): Promise<void> {
    try {
      await this.writeLocal(path, data, mode);
    } catch (e) {
      throw this.ioError(`cannot write ${path}`, e);
    }
  }

  private async writeLocal(path: string, data: Buffer, mode: number): Promise<void> {
    const dest = this.contained(path, false);
    const dir = dirname(dest);
    const tmp = join(dir, `.${basename(dest)}.fleet-tmp-${process.pid}`);
    const fd = inParentDir(dir, () => openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600));
    try {
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      // chmod after creation: the requested mode is exact, whatever the umask.
      fchmodSync(fd, mode);
      await fsyncOnPool(fd);
    } catch (e) {
      // A full disk must not stay fuller for the half-written temp file.
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    try {
      renameSync(tmp, dest);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  async symlinkAtomic(path: string, target: string): Promise<void> {
    try {
      const dest = this.contained(path, false);
      const dir = dirname(dest);
      const tmp = join(dir, `.${basename(dest)}.fleet-tmp-${process.pid}`);
      rmSync(tmp, { force: true });
      inParentDir(dir, () => symlinkSync(target, tmp));
      renameSync(tmp, dest);
    } catch (e) {
      throw this.ioError(`cannot point ${path} at ${target}`, e);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      renameSync(this.contained(from, false), this.contained(to, false));
    } catch (e) {
      throw this.ioError(`cannot rename ${from} to ${to}`, e);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      unlinkSync(this.contained(path, false));
    } catch (e) {
      if (isAbsent(e)) return;
      throw this.ioError(`cannot remove ${path}`, e);
    }
  }

  async removeTree(path: string): Promise<void> {
    try {
      const local = this.contained(path, false);
      await makeWritable(local);
      await fs.rm(local, { recursive: true, force: true });
    } catch (e) {
      throw this.ioError(`cannot remove ${path}`, e);
    }
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    try {
      rmdirSync(this.contained(path, false));
      return true;
    } catch (e) {
      const c = errno(e);
      if (isAbsent(e) || c === "ENOTEMPTY" || c === "EEXIST") return false;
      throw this.ioError(`cannot remove directory ${path}`, e);
    }
  }

  async digestFiles(paths: readonly string[]): Promise<(FileDigest | null)[]> {
    return Promise.all(paths.map((p) => this.digestOne(p)));
  }

  private async digestOne(path: string): Promise<FileDigest | null> {
    try {
      const local = this.contained(path, false);
      // Synchronous for small files: thousands of config files hash several times faster without
      // a thread-pool hop per syscall, and the CLI has nothing else to do meanwhile.
      const st = lstatSync(local);
      if (!st.isFile()) return null;
      const mode = st.mode & 0o7777;
      if (st.size <= 1 << 20) return { sha256: createHash("sha256").update(readFileSync(local)).digest("hex"), mode };
      const hash = createHash("sha256");
      const fh = await fs.open(local, "r");
      try {
        for await (const chunk of fh.createReadStream()) hash.update(chunk as Buffer);
      } finally {
        await fh.close().catch(() => undefined);
      }
      return { sha256: hash.digest("hex"), mode };
    } catch (e) {
      if (isAbsent(e)) return null;
      throw this.ioError(`cannot read ${path}`, e);
    }
  }

  async storePathsPresent(paths: readonly string[]): Promise<boolean[]> {
    return Promise.all(
      paths.map(async (p) => {
        const dir = await this.stat(p);
        if (dir?.type !== "dir") return false;
        return (await this.stat(posix.join(p, BUILT_MARKER))) !== null;
      }),
    );
  }

  async pushStorePaths(items: readonly StorePush[]): Promise<{ bytes: number }> {
    let bytes = 0;
    for (const item of items) {
      const [present] = await this.storePathsPresent([item.remotePath]);
      if (present) continue;
      try {
        bytes += await this.pushOne(item);
      } catch (e) {
        throw this.ioError(`cannot push store path ${item.remotePath}`, e);
      }
    }
    this.sent += bytes;
    return { bytes };
  }

  private async pushOne(item: StorePush): Promise<number> {
    const dest = this.contained(item.remotePath, false);
    const tmp = `${dest}.tmp-${process.pid}`;
    await this.removeLocalTree(tmp);
    await fs.mkdir(dirname(dest), { recursive: true });
    const bytes = await copyTree(item.localPath, tmp);
    // A half-pushed entry without its marker is garbage from a crash: replace it.
    await this.removeLocalTree(dest);
    await fs.rename(tmp, dest);
    return bytes;
  }

  private async removeLocalTree(local: string): Promise<void> {
    await makeWritable(local);
    await fs.rm(local, { recursive: true, force: true });
  }

  /** Under --transport-root the "target" is this machine: its own loopback. */
  httpGet(port: number, path: string, timeoutMs: number): Promise<HttpProbe> {
    const open = (): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1");
        s.once("connect", () => resolve(s));
        s.once("error", reject);
      });
    return httpGetOver(open, port, path, timeoutMs);
  }

  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", command], {
        cwd: this.root,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env, FLEET_TARGET_ROOT: this.root },
        stdio: ["ignore", "pipe", "pipe"],
        // Own process group, so a timeout kills the command's children too.
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              try {
                process.kill(-child.pid!, "SIGKILL");
              } catch {
                child.kill("SIGKILL");
              }
            }, options.timeoutMs);
      child.on("error", (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          code: timedOut ? 124 : (code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        });
      });
    });
  }

  async acquireLock(dir: string, holder: LockHolder): Promise<LockHandle> {
    await this.mkdirp(dir);
    try {
      return await acquireLocalLock({
        lockFile: this.contained(posix.join(dir, "lock"), false),
        holder,
        what: `${this.target}/${posix.basename(dir)}`,
      });
    } catch (e) {
      throw this.ioError(`cannot lock ${dir}`, e);
    }
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return osConstants.signals[signal];
}

/** Read-only store directories (0555) must become writable before they can be deleted. */
async function makeWritable(local: string): Promise<void> {
  let st;
  try {
    st = await fs.lstat(local);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  await fs.chmod(local, (st.mode & 0o7777) | 0o700);
  for (const name of await fs.readdir(local)) await makeWritable(join(local, name));
}

/** Copy a directory tree preserving modes and symlinks; returns the bytes of regular files. */
async function copyTree(from: string, to: string): Promise<number> {
  const st = await fs.lstat(from);
  if (st.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(from), to);
    return 0;
  }
  if (st.isFile()) {
    await fs.copyFile(from, to);
    await fs.chmod(to, st.mode & 0o7777);
    return st.size;
  }
  if (!st.isDirectory()) return 0;
  await fs.mkdir(to);
  let bytes = 0;
  for (const name of (await fs.readdir(from)).sort()) bytes += await copyTree(join(from, name), join(to, name));
  // Mode last: a read-only store directory must stay writable until its content is in.
  await fs.chmod(to, st.mode & 0o7777);
  return bytes;
}
