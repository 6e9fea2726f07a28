/**
 * What a failed file-system call says to an operator (ADR 131): one table from errno codes (local
 * I/O) and SFTP statuses to a short reason, shared by LocalTransport, the SSH op layer and the
 * orchestrators, so "disk full" reads the same whichever way a host is reached.
 */

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "is a directory",
  ENAMETOOLONG: "file name too long",
  ENOENT: "no such file or directory",
  EEXIST: "file exists",
  ENOTEMPTY: "directory not empty",
  ELOOP: "too many levels of symbolic links",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EBUSY: "device or resource busy",
  EXDEV: "crosses a file-system boundary",
  EFBIG: "file too large",
  EMLINK: "too many links",
};

/** A Node system error (has a string `code` and a `syscall`), e.g. from node:fs. */
export interface SystemError {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
}

export function isSystemError(e: unknown): e is SystemError & Error {
  const x = e as { code?: unknown; syscall?: unknown } | null;
  return e instanceof Error && typeof x?.code === "string" && /^E[A-Z0-9]+$/.test(x.code) && typeof x.syscall === "string";
}

/** `no space left on device (ENOSPC)`; the code alone for one the table does not know. */
export function errnoReason(code: string): string {
  const text = ERRNO_TEXT[code];
  return text === undefined ? code : `${text} (${code})`;
}

/** The reason of any error a file-system call raised (system error, or its message). */
export function ioReason(e: unknown): string {
  if (isSystemError(e)) return errnoReason(e.code);
  return e instanceof Error ? e.message : String(e);
}

/** SFTP statuses (draft-ietf-secsh-filexfer-02 §7) as reasons; 4 is the generic FAILURE. */
const SFTP_TEXT: Readonly<Record<number, string>> = {
  2: "no such file or directory",
  3: "permission denied",
  4: "the SFTP server reported a generic failure",
  5: "bad message",
  8: "operation unsupported by the SFTP server",
};

export function sftpReason(status: number): string {
  return SFTP_TEXT[status] ?? `SFTP status ${status}`;
}

/** The strerror(3) texts a target's shell tools print, mapped back to their errno code. */
const STRERROR_CODE: Readonly<Record<string, string>> = {
  "no space left on device": "ENOSPC",
  "disk quota exceeded": "EDQUOT",
  "read-only file system": "EROFS",
  "permission denied": "EACCES",
  "operation not permitted": "EPERM",
  "not a directory": "ENOTDIR",
  "is a directory": "EISDIR",
  "file name too long": "ENAMETOOLONG",
  "no such file or directory": "ENOENT",
  "input/output error": "EIO",
  "file too large": "EFBIG",
};

/**
 * A shell script that, run on the target after an SFTP write to `dir` failed with the generic
 * FAILURE status, repeats a write of `bytes` bytes there and prints the reason the kernel gives
 * (`FLEET-PROBE <text>`), or `FLEET-PROBE ok` when the write now succeeds. OpenSSH's sftp-server
 * maps ENOSPC, EROFS, EDQUOT and others to FAILURE; the shell keeps the errno text.
 * `$1` is the directory, `$2` the byte count.
 */
export const SFTP_FAILURE_PROBE = [
  'd=$1; n=$2; p="$d/.fleet-probe-$$"',
  'if [ ! -e "$d" ]; then echo "FLEET-PROBE No such file or directory"; exit 0; fi',
  'if [ ! -d "$d" ]; then echo "FLEET-PROBE Not a directory"; exit 0; fi',
  'err=$( { head -c "$n" /dev/zero > "$p"; } 2>&1 ); rc=$?',
  'rm -f -- "$p"',
  'if [ $rc -eq 0 ]; then echo "FLEET-PROBE ok"; else printf "FLEET-PROBE %s\\n" "$err" | head -n 1; fi',
].join("\n");

/** The reason a probe found (`no space left on device (ENOSPC)`), or undefined when it found none. */
export function parseFailureProbe(out: string): string | undefined {
  const line = /^FLEET-PROBE (.*)$/m.exec(out)?.[1]?.trim();
  if (line === undefined || line === "ok") return undefined;
  // "sh: 1: cannot create /x/.fleet-probe-1: Read-only file system" → "read-only file system"
  const text = (line.split(": ").at(-1) ?? line).toLowerCase();
  const code = STRERROR_CODE[text];
  return code === undefined ? text : errnoReason(code);
}

/** A shell tool's error line (`dd: error writing 'x': No space left on device`) as a reason, when the errno text is known. */
export function shellReason(line: string): string {
  const text = (line.trim().split(": ").at(-1) ?? line).toLowerCase();
  const code = STRERROR_CODE[text];
  return code === undefined ? line : errnoReason(code);
}
