/** Promise wrappers over ssh2's SFTP client, with SFTP status codes kept on the errors. */
import type { FileEntryWithStats, SFTPWrapper, Stats } from "ssh2";
import type { RoundTrips } from "./ssh-round-trips.js";

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

/** ssh2 reports a read at or past the end of a file as an EOF status. */
function isEof(e: unknown): boolean {
  return sftpCode(e) === 1;
}

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

/** Bytes per SFTP WRITE request and how many are in flight at once. */
const CHUNK = 32 * 1024;
const IN_FLIGHT = 16;

/** The first read of a file asks for this much, beside its fstat: most files need no second. */
const FIRST_READ = 32 * 1024;

export class Sftp {
  constructor(
    readonly raw: SFTPWrapper,
    private readonly rtt?: RoundTrips,
  ) {}

  /** One SFTP request and its answer (counted, ADR 215). */
  private req<T>(fn: (cb: Cb<T>) => void): Promise<T> {
    return this.rtt === undefined ? call(fn) : this.rtt.around(call(fn));
  }

  lstat(path: string): Promise<Stats> {
    return this.req((cb) => this.raw.lstat(path, cb));
  }

  /**
   * open, then fstat and the first read together, then (large files only) the rest in parallel:
   * two round trips for a small file instead of ssh2's open, fstat, read, read, close in turn.
   */
  async readFile(path: string): Promise<Buffer> {
    const handle = await this.req<Buffer>((cb) => this.raw.open(path, "r", cb));
    const closeIt = (): void => {
      void this.req((cb) => this.raw.close(handle, cb as Cb<void>)).catch(() => undefined);
    };
    try {
      const readAt = (pos: number, len: number): Promise<Buffer> =>
        this.req<number>((cb) => {
          const buf = Buffer.alloc(len);
          this.raw.read(handle, buf, 0, len, pos, ((err: Error | null | undefined, n: number) => {
            if (err) cb(err, 0);
            else {
              chunks.set(pos, buf.subarray(0, n));
              cb(undefined, n);
            }
          }) as never);
        }).then(() => chunks.get(pos)!);
      const chunks = new Map<number, Buffer>();
      const [st, first] = await Promise.all([this.req<Stats>((cb) => this.raw.fstat(handle, cb)), readAt(0, FIRST_READ).catch((e: unknown) => (isEof(e) ? Buffer.alloc(0) : Promise.reject(e)))]);
      // Short of what was asked and all the fstat promised: the end of the file.
      if (first.length < FIRST_READ && first.length >= st.size) {
        closeIt();
        return first;
      }
      const parts: Buffer[] = [first];
      let pos = first.length;
      for (;;) {
        const want = Math.min(Math.max(st.size - pos, FIRST_READ), CHUNK * IN_FLIGHT);
        const offsets: number[] = [];
        for (let o = pos; o < pos + want; o += CHUNK) offsets.push(o);
        const got = await Promise.all(offsets.map((o) => readAt(o, CHUNK).catch((e: unknown) => (isEof(e) ? Buffer.alloc(0) : Promise.reject(e)))));
        let done = false;
        for (const g of got) {
          parts.push(g);
          pos += g.length;
          // A short read ends this batch: at the end of the file we are done, else read on from pos.
          if (g.length < CHUNK) {
            done = g.length === 0 || pos >= st.size;
            break;
          }
        }
        if (done) break;
      }
      closeIt();
      return Buffer.concat(parts);
    } catch (e) {
      closeIt();
      throw e;
    }
  }
  readlink(path: string): Promise<string> {
    return this.req((cb) => this.raw.readlink(path, cb));
  }
  async readdir(path: string): Promise<string[]> {
    // ssh2's readdir is opendir, readdir until EOF, close: counted as three (ADR 215).
    const list = await (this.rtt === undefined ? call<FileEntryWithStats[]>((cb) => this.raw.readdir(path, cb)) : this.rtt.around(call<FileEntryWithStats[]>((cb) => this.raw.readdir(path, cb)), 3));
    return list.map((e) => e.filename).filter((n) => n !== "." && n !== "..");
  }
  mkdir(path: string): Promise<void> {
    return this.req((cb) => this.raw.mkdir(path, cb as Cb<void>));
  }
  rmdir(path: string): Promise<void> {
    return this.req((cb) => this.raw.rmdir(path, cb as Cb<void>));
  }
  unlink(path: string): Promise<void> {
    return this.req((cb) => this.raw.unlink(path, cb as Cb<void>));
  }
  /** ssh2 swaps the arguments itself for OpenSSH servers, so this is (target, linkPath). */
  symlink(target: string, linkPath: string): Promise<void> {
    return this.req((cb) => this.raw.symlink(target, linkPath, cb as Cb<void>));
  }
  /** rename(2) via posix-rename@openssh.com: replaces an existing destination atomically. */
  posixRename(from: string, to: string): Promise<void> {
    return this.req((cb) => this.raw.ext_openssh_rename(from, to, cb as Cb<void>));
  }

  /**
   * Create (truncate) `path`, write all bytes, set the mode, fsync and close. After the open,
   * everything is sent without waiting (the server handles requests of one session in order), so
   * a small file costs two round trips; every answer is still checked (ADR 215).
   */
  async writeNew(path: string, data: Buffer, mode: number): Promise<void> {
    const handle = await this.req<Buffer>((cb) => this.raw.open(path, "w", { mode }, cb));
    const sent: Promise<unknown>[] = [];
    let closed = false;
    try {
      if (data.length <= CHUNK * IN_FLIGHT) {
        for (let off = 0; off < data.length; off += CHUNK) {
          const len = Math.min(CHUNK, data.length - off);
          sent.push(this.req((cb) => this.raw.write(handle, data, off, len, off, cb as Cb<void>)));
        }
      } else {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < data.length) {
            const off = next;
            const len = Math.min(CHUNK, data.length - off);
            next += len;
            await this.req((cb) => this.raw.write(handle, data, off, len, off, cb as Cb<void>));
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      }
      // The server's umask applied to open(); set the exact mode on the handle.
      sent.push(this.req((cb) => this.raw.fchmod(handle, mode, cb as Cb<void>)));
      if (this.supportsFsync) sent.push(this.req((cb) => this.raw.ext_openssh_fsync(handle, cb as Cb<void>)));
      const close = this.req((cb) => this.raw.close(handle, cb as Cb<void>));
      closed = true;
      const results = await Promise.allSettled([...sent, close]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      if (!closed) {
        await Promise.allSettled(sent);
        await this.req((cb) => this.raw.close(handle, cb as Cb<void>)).catch(() => undefined);
      }
    }
  }

  get supportsFsync(): boolean {
    const ext = (this.raw as unknown as { _extensions?: Record<string, string> })._extensions;
    return ext?.["fsync@openssh.com"] === "1";
  }
}
