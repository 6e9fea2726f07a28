/**
 * The file operations SshTransport needs, done one of two ways (ADR 106): over SFTP (the fast
 * path, when the server has the subsystem and no sudo is asked for), or as small POSIX sh scripts
 * on the long-lived remote shell (no SFTP, or every step through `sudo -n`). Both throw plain
 * errors whose message is the reason; SshTransport adds the what and the host.
 */
import { posix } from "node:path";
import { shellQuote } from "./ssh-exec.js";
import type { ShellSession } from "./ssh-shell.js";
import { isNoSuchFile, Sftp, SFTP_FAILURE, SFTP_NO_SUCH_FILE, sftpCode } from "./ssh-sftp.js";
import type { FileStat } from "./transport.js";

export interface FileOps {
  readonly kind: "sftp" | "shell";
  lstat(path: string): Promise<FileStat | null>;
  readFile(path: string): Promise<Buffer | null>;
  /** null when absent or not a symlink. */
  readlink(path: string): Promise<string | null>;
  readdir(path: string): Promise<string[] | null>;
  mkdirp(path: string): Promise<void>;
  /** Write `data` to `tmp` (same directory, parent existing) with `mode`, then rename over `path`. */
  writeFileAtomic(path: string, tmp: string, data: Buffer, mode: number): Promise<void>;
  symlinkAtomic(path: string, tmp: string, target: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** No error when absent. */
  remove(path: string): Promise<void>;
  rmdirIfEmpty(path: string): Promise<boolean>;
}

const S_IFMT = 0o170000;

export function fileType(mode: number): FileStat["type"] {
  switch (mode & S_IFMT) {
    case 0o100000:
      return "file";
    case 0o040000:
      return "dir";
    case 0o120000:
      return "symlink";
    default:
      return "other";
  }
}

/** Raised for "a non-directory is in the way" so the transport can say what to do. */
export class NotADirectory extends Error {
  constructor(readonly path: string) {
    super(`a non-directory is in the way at ${path}`);
  }
}

export class SftpOps implements FileOps {
  readonly kind = "sftp";
  constructor(private readonly s: Sftp) {}

  async lstat(path: string): Promise<FileStat | null> {
    try {
      const st = await this.s.lstat(path);
      return { type: fileType(st.mode), mode: st.mode & 0o7777, size: st.size };
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw e;
    }
  }

  async readFile(path: string): Promise<Buffer | null> {
    try {
      return await this.s.readFile(path);
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw e;
    }
  }

  async readlink(path: string): Promise<string | null> {
    try {
      return await this.s.readlink(path);
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      // sftp-server maps readlink's EINVAL (not a symlink) to BAD_MESSAGE; for a pointer that is
      // as good as absent, like LocalTransport.
      const st = await this.s.lstat(path).catch(() => null);
      if (st && fileType(st.mode) !== "symlink") return null;
      throw e;
    }
  }

  async readdir(path: string): Promise<string[] | null> {
    try {
      return await this.s.readdir(path);
    } catch (e) {
      if (isNoSuchFile(e)) return null;
      throw e;
    }
  }

  async mkdirp(path: string): Promise<void> {
    const isDir = async (p: string): Promise<boolean | null> => {
      try {
        return fileType((await this.s.lstat(p)).mode) === "dir";
      } catch (e) {
        if (isNoSuchFile(e)) return null;
        throw e;
      }
    };
    const make = async (p: string): Promise<void> => {
      const d = await isDir(p);
      if (d === true) return;
      if (d === false) throw new NotADirectory(p);
      const parent = posix.dirname(p);
      if (parent !== p) await make(parent);
      try {
        await this.s.mkdir(p);
      } catch (e) {
        // Another writer may have created it meanwhile.
        if ((await isDir(p)) === true) return;
        throw e;
      }
    };
    await make(path);
  }

  async writeFileAtomic(path: string, tmp: string, data: Buffer, mode: number): Promise<void> {
    try {
      await this.s.writeNew(tmp, data, mode);
      await this.s.posixRename(tmp, path);
    } catch (e) {
      await this.s.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async symlinkAtomic(path: string, tmp: string, target: string): Promise<void> {
    try {
      await this.s.symlink(target, tmp);
      await this.s.posixRename(tmp, path);
    } catch (e) {
      await this.s.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  rename(from: string, to: string): Promise<void> {
    return this.s.posixRename(from, to);
  }

  async remove(path: string): Promise<void> {
    try {
      await this.s.unlink(path);
    } catch (e) {
      if (isNoSuchFile(e)) return;
      throw e;
    }
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    try {
      await this.s.rmdir(path);
      return true;
    } catch (e) {
      // OpenSSH maps ENOTEMPTY to the generic FAILURE status.
      const code = sftpCode(e);
      if (code === SFTP_NO_SUCH_FILE || code === SFTP_FAILURE) return false;
      throw e;
    }
  }
}

/** Exit status the shell scripts below use for "no such file". */
const ABSENT = 3;
const NOT_DIR = 4;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

export class ShellOps implements FileOps {
  readonly kind = "shell";
  constructor(private readonly sh: ShellSession) {}

  /** Run `script`; exit ABSENT gives null; any other failure throws its last stderr line. */
  private async run(script: string, data?: Buffer): Promise<Buffer | null> {
    const r = await this.sh.call(script, data);
    if (r.code === 0) return r.stdout;
    if (r.code === ABSENT) return null;
    const why = r.stderr.trim().split("\n").slice(-2).join("; ") || `exit status ${r.code}`;
    throw new Error(why);
  }

  async lstat(path: string): Promise<FileStat | null> {
    const q = shellQuote(path);
    const out = await this.run(`if [ -e ${q} ] || [ -h ${q} ]; then stat -c '%f %s' -- ${q}; else exit ${ABSENT}; fi`);
    if (out === null) return null;
    const [raw = "", size = ""] = out.toString("utf8").trim().split(" ");
    const mode = parseInt(raw, 16);
    if (!Number.isFinite(mode) || !/^\d+$/.test(size)) throw new Error(`unexpected stat output '${out.toString("utf8").trim()}'`);
    return { type: fileType(mode), mode: mode & 0o7777, size: Number(size) };
  }

  readFile(path: string): Promise<Buffer | null> {
    const q = shellQuote(path);
    return this.run(`if [ ! -e ${q} ]; then exit ${ABSENT}; fi; cat -- ${q}`);
  }

  async readlink(path: string): Promise<string | null> {
    const q = shellQuote(path);
    const out = await this.run(`if [ ! -h ${q} ]; then exit ${ABSENT}; fi; readlink -z -- ${q}`);
    if (out === null) return null;
    return out.toString("utf8").replace(/\0$/, "");
  }

  async readdir(path: string): Promise<string[] | null> {
    const q = shellQuote(path);
    const out = await this.run(
      [
        `if [ ! -d ${q} ]; then exit ${ABSENT}; fi`,
        `for f in ${q}/.[!.]* ${q}/..?* ${q}/*; do`,
        '  if [ -e "$f" ] || [ -h "$f" ]; then printf \'%s\\0\' "${f##*/}"; fi',
        "done",
      ].join("\n"),
    );
    if (out === null) return null;
    return out
      .toString("utf8")
      .split("\0")
      .filter((n) => n !== "");
  }

  async mkdirp(path: string): Promise<void> {
    const q = shellQuote(path);
    // Walk up to the first existing ancestor: a non-directory there gets its own message.
    const r = await this.sh.call(
      [
        `p=${q}`,
        'while [ ! -e "$p" ] && [ ! -h "$p" ]; do p=$(dirname -- "$p"); done',
        `if [ ! -d "$p" ]; then printf '%s' "$p"; exit ${NOT_DIR}; fi`,
        `if [ ! -d ${q} ]; then mkdir -p -- ${q} || exit 1; fi`,
      ].join("\n"),
    );
    if (r.code === NOT_DIR) throw new NotADirectory(r.stdout.toString("utf8"));
    if (r.code !== 0) throw new Error(r.stderr.trim().split("\n").slice(-2).join("; ") || `exit status ${r.code}`);
  }

  async writeFileAtomic(path: string, tmp: string, data: Buffer, mode: number): Promise<void> {
    const t = shellQuote(tmp);
    // umask 077: the temp file is private until its mode is set (each request runs in a subshell,
    // so directories keep the server's 022). dd fsyncs it.
    await this.run(
      [
        "umask 077",
        `if dd of=${t} bs=65536 conv=fsync status=none && chmod ${octal(mode)} -- ${t} && mv -f -T -- ${t} ${shellQuote(path)}; then exit 0; fi`,
        `rm -f -- ${t}`,
        "exit 1",
      ].join("\n"),
      data,
    );
  }

  async symlinkAtomic(path: string, tmp: string, target: string): Promise<void> {
    const t = shellQuote(tmp);
    await this.run(
      [
        `if ln -s -- ${shellQuote(target)} ${t} && mv -f -T -- ${t} ${shellQuote(path)}; then exit 0; fi`,
        `rm -f -- ${t}`,
        "exit 1",
      ].join("\n"),
    );
  }

  async rename(from: string, to: string): Promise<void> {
    await this.run(`mv -f -T -- ${shellQuote(from)} ${shellQuote(to)}`);
  }

  async remove(path: string): Promise<void> {
    const q = shellQuote(path);
    await this.run(`if [ -e ${q} ] || [ -h ${q} ]; then rm -f -- ${q}; fi`);
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    const out = await this.run(`if rmdir -- ${shellQuote(path)} 2>/dev/null; then echo 1; else echo 0; fi`);
    return out?.toString("utf8").trim() === "1";
  }
}
