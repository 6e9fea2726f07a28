/**
 * The only door to a host. Every path given to a Transport is a path *as the target sees it*
 * (absolute, `~` already expanded with `home()`); LocalTransport maps it under its root,
 * SshTransport uses it as is. Everything above this interface is written in target terms.
 */

import type { HttpProbe } from "./loopback-http.js";

export interface FileStat {
  readonly type: "file" | "dir" | "symlink" | "other";
  /** Permission bits only (e.g. 0o644). */
  readonly mode: number;
  readonly size: number;
}

export interface FileDigest {
  /** Lowercase hex sha256 of the bytes. */
  readonly sha256: string;
  readonly mode: number;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Kill the command after this long; the result then has code 124. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  /** A step that needs root (systemctl): through `sudo -n` on a host deployed with sudo. */
  readonly privileged?: boolean;
}

/** Who holds a host's lock, as reported to a second `fleet` process. */
export interface LockHolder {
  readonly host: string; // the machine running fleet (os.hostname())
  readonly pid: number;
  readonly startedAt: string; // ISO time
}

export interface LockHandle {
  /** Set when a stale lock of a dead holder was taken over (to be printed as a warning). */
  readonly takeover?: string;
  /** True when the reads given to acquireLock were read ahead with the lock, in its round trip (ADR 215). */
  readonly readAhead?: boolean;
  /**
   * Optional (ADR 215): release the lock in the same request as the next writeSequence, after
   * all its steps succeeded (release() then costs nothing); when a step fails the lock stays held.
   */
  releaseWithNextWrite?(): void;
  release(): Promise<void>;
}

/** One local store directory to copy to the target store. */
export interface StorePush {
  /** Absolute local directory `<local-store-root>/<base>`. */
  readonly localPath: string;
  /** Absolute target directory `<target-store-root>/<base>`. */
  readonly remotePath: string;
}

/**
 * Reads a host operation is about to make, asked for at once (ADR 215). A transport that can
 * answers them in one round trip and serves the later reads from what it got, until a write of
 * its own (or any command) touches the path; it forgets everything when the lock is released.
 */
export interface ReadAhead {
  /** lstat and, for a regular file, its bytes (readFile, stat). */
  readonly files?: readonly string[];
  /** readlink; a link to a plain name also reads that file of the same directory. */
  readonly links?: readonly string[];
  /** readdir. */
  readonly dirs?: readonly string[];
  /** lstat. */
  readonly stats?: readonly string[];
  /** digestFiles. */
  readonly digests?: readonly string[];
  /** storePathsPresent. */
  readonly storePaths?: readonly string[];
}

/** One step of an ordered write sequence (writeSequence). */
export type WriteStep =
  | {
      readonly kind: "write";
      readonly path: string;
      readonly data: Buffer;
      readonly mode: number;
      /**
       * A failure of this write is reported (writeSequence's result) and the steps after it go on
       * (an advisory record, ADR 240). No write step may follow one that is best effort.
       */
      readonly bestEffort?: boolean;
    }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "remove"; readonly path: string }
  /**
   * rmdir each of `dirs` in order while it is empty; stop at the first one that is still there
   * (one that is already gone is walked past). Never fails. `path` is the first of them.
   */
  | { readonly kind: "prune"; readonly path: string; readonly dirs: readonly string[] };

/** A best-effort step of a write sequence that failed, and why (the error its write alone would give). */
export interface SkippedWrite {
  readonly path: string;
  readonly why: string;
}

export interface Transport {
  /** The target as written in the host record (for messages). */
  readonly target: string;
  /** The user the target is reached as (for `~` and hooks). */
  readonly user: string;
  /** Every privileged step goes through `sudo -n`; the default roots are root's (ADR 107). */
  readonly sudo?: boolean;

  /** Home of the target user, for `~` expansion of the store and deployments roots (SPEC §2). */
  /** An HTTP GET to 127.0.0.1:port on the target (over SSH through a forwarded channel). */
  httpGet(port: number, path: string, timeoutMs: number): Promise<HttpProbe>;
  home(): Promise<string>;

  /** lstat; null when absent. */
  stat(path: string): Promise<FileStat | null>;
  readFile(path: string): Promise<Buffer | null>;
  readlink(path: string): Promise<string | null>;
  /** Entry names, sorted; null when the directory is absent. */
  readdir(path: string): Promise<string[] | null>;
  mkdirp(path: string): Promise<void>;

  /**
   * Write bytes with exactly this mode via a temp file in the same directory + rename, creating
   * parent directories. A crash leaves either the old file or the new one.
   */
  writeFileAtomic(path: string, data: Buffer, mode: number): Promise<void>;
  /** Replace (or create) `path` as a symlink to `target` via temp symlink + rename(2). */
  symlinkAtomic(path: string, target: string): Promise<void>;
  /** rename(2). */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or symlink; no error when absent. */
  remove(path: string): Promise<void>;
  /** Remove a directory tree; no error when absent. */
  removeTree(path: string): Promise<void>;
  /** rmdir; false when not empty or absent. */
  rmdirIfEmpty(path: string): Promise<boolean>;

  /** sha256 and mode of many regular files in one round trip; null for an absent path. */
  digestFiles(paths: readonly string[]): Promise<(FileDigest | null)[]>;
  /** For each absolute store path: does it exist complete (with its `.fleet-built` marker)? */
  storePathsPresent(paths: readonly string[]): Promise<boolean[]>;
  /** Copy store directories so each appears atomically (temp dir + rename). Returns bytes sent. */
  pushStorePaths(items: readonly StorePush[]): Promise<{ bytes: number }>;

  /** Optional (ADR 215): answer these reads in one round trip and keep the answers. */
  readAhead?(reads: ReadAhead): Promise<void>;
  /**
   * Optional (ADR 215): the steps in order, each complete and durable (as writeFileAtomic,
   * symlinkAtomic, remove) before the next starts; the first failure stops the rest. One round
   * trip where the transport can. Resolves with the best-effort steps that failed.
   */
  writeSequence?(steps: readonly WriteStep[]): Promise<readonly SkippedWrite[]>;

  /** Run a shell command on the target (`/bin/sh -c`). */
  run(command: string, options?: RunOptions): Promise<RunResult>;

  /**
   * Take the per-(target, stack) lock living in `dir`. Fails at once with a FleetError naming the
   * holder when a live process holds it; takes over a dead holder's lock.
   */
  /**
   * `reads`, when given, may be read ahead under the lock in the same round trip (ADR 215); the
   * handle says so with `readAhead`, else the caller calls readAhead itself.
   */
  acquireLock(dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle>;
  /**
   * Optional (ADR 215): like acquireLock, but when `dir` does not exist it is not created and
   * null is returned (rollback of a stack never deployed), in the same round trip.
   */
  acquireLockIfPresent?(dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle | null>;

  /** Bytes of store content sent so far (for benchmarks and the no-change check). */
  readonly bytesSent: number;

  close(): Promise<void>;
}
