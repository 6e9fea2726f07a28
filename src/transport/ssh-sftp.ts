/** Promise wrappers over ssh2's SFTP client, with SFTP status codes kept on the errors. */
import type { FileEntryWithStats, SFTPWrapper, Stats } from "ssh2";

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
export const SFTP_NO_SUCH_FILE = 2;
export const SFTP_PERMISSION_DENIED = 3;
export const SFTP_FAILURE = 4;

export function sftpCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "number" ? c : undefined;
}

export const isNoSuchFile = (e: unknown): boolean => sftpCode(e) === SFTP_NO_SUCH_FILE;

type Cb<T> = (err: Error | null | undefined, value: T) => void;

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

/** Bytes per SFTP WRITE request and how many are in flight at once. */
const CHUNK = 32 * 1024;
const IN_FLIGHT = 16;

export class Sftp {
  constructor(readonly raw: SFTPWrapper) {}

  lstat(path: string): Promise<Stats> {
    return call((cb) => this.raw.lstat(path, cb));
  }
  readFile(path: string): Promise<Buffer> {
    return call((cb) => this.raw.readFile(path, cb as Cb<Buffer>));
  }
  readlink(path: string): Promise<string> {
    return call((cb) => this.raw.readlink(path, cb));
  }
  async readdir(path: string): Promise<string[]> {
    const list = await call<FileEntryWithStats[]>((cb) => this.raw.readdir(path, cb));
    return list.map((e) => e.filename).filter((n) => n !== "." && n !== "..");
  }
  mkdir(path: string): Promise<void> {
    return call((cb) => this.raw.mkdir(path, cb as Cb<void>));
  }
  rmdir(path: string): Promise<void> {
    return call((cb) => this.raw.rmdir(path, cb as Cb<void>));
  }
  unlink(path: string): Promise<void> {
    return call((cb) => this.raw.unlink(path, cb as Cb<void>));
  }
  /** ssh2 swaps the arguments itself for OpenSSH servers, so this is (target, linkPath). */
  symlink(target: string, linkPath: string): Promise<void> {
    return call((cb) => this.raw.symlink(target, linkPath, cb as Cb<void>));
  }
  /** rename(2) via posix-rename@openssh.com: replaces an existing destination atomically. */
  posixRename(from: string, to: string): Promise<void> {
    return call((cb) => this.raw.ext_openssh_rename(from, to, cb as Cb<void>));
  }

  /** Create (truncate) `path`, write all bytes with pipelined requests, fsync, set the mode. */
  async writeNew(path: string, data: Buffer, mode: number): Promise<void> {
    const handle = await call<Buffer>((cb) => this.raw.open(path, "w", { mode }, cb));
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < data.length) {
          const off = next;
          const len = Math.min(CHUNK, data.length - off);
          next += len;
          await call((cb) => this.raw.write(handle, data, off, len, off, cb as Cb<void>));
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(data.length / CHUNK)) }, worker));
      // The server's umask applied to open(); set the exact mode on the handle.
      await call((cb) => this.raw.fchmod(handle, mode, cb as Cb<void>));
      if (this.supportsFsync) await call((cb) => this.raw.ext_openssh_fsync(handle, cb as Cb<void>));
    } finally {
      await call((cb) => this.raw.close(handle, cb as Cb<void>)).catch(() => undefined);
    }
  }

  get supportsFsync(): boolean {
    const ext = (this.raw as unknown as { _extensions?: Record<string, string> })._extensions;
    return ext?.["fsync@openssh.com"] === "1";
  }
}
