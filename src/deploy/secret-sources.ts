/** The local side of secret resolution (SPEC §5): environment, files, and the vault export. */
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { FleetError, UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { ioReason } from "../transport/io-error-message.js";
import { parseVaultFile, type SecretSources } from "../stack/secrets.js";

/**
 * Read `--vault-secrets FILE`. A path that does not exist is a usage error (exit 2); a file that is
 * not a flat JSON object of strings is a fleet-level error (exit 1), raised before any host.
 */
export function loadVault(file: string | undefined): ReadonlyMap<string, string> | undefined {
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new UsageError(fleetMessages.vaultFileMissing(file));
  if (!statSync(file).isFile()) throw new UsageError(fleetMessages.vaultFileNotRegular(file));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(fleetMessages.vaultFileUnreadable(file, ioReason(e)));
  }
  const parsed = parseVaultFile(text, `--vault-secrets file '${file}'`);
  if (parsed instanceof FleetError) throw parsed;
  return parsed;
}

export function localSecretSources(vault: ReadonlyMap<string, string> | undefined): SecretSources {
  return {
    env: (name) => process.env[name],
    readFile: (abs) => {
      // SPEC §5 names `from_file` by absolute path. A relative one would silently depend on the
      // directory fleet runs from, so it stays unresolved ([E11]) instead (ADR 076).
      if (!isAbsolute(abs)) return undefined;
      return readSecretFile(abs);
    },
    ...(vault ? { vault } : {}),
  };
}

/** The largest `from_file` secret read (a key or a certificate is a few KB). */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * Reads a `from_file` secret: a regular file of at most MAX_SECRET_FILE_BYTES. A device, a FIFO,
 * a socket or a directory is refused with the reason, before a byte is read: `/dev/zero` would
 * never end and a named pipe would block until a writer came (issue 12, item 8; ADR 123). The
 * file is opened non-blocking, so that opening a FIFO cannot hang, and read through the one
 * descriptor that was checked. Undefined when it does not exist or cannot be opened ([E11]).
 */
export function readSecretFile(abs: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(abs, `it is ${kindOf(st)}, not a regular file`);
    if (st.size > MAX_SECRET_FILE_BYTES) throw refused(abs, `it holds ${st.size} bytes, more than the ${MAX_SECRET_FILE_BYTES} a secret file may`);
    // Read to the end, but never past the cap, in case the file grows while it is read.
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_SECRET_FILE_BYTES) throw refused(abs, `it holds more than the ${MAX_SECRET_FILE_BYTES} bytes a secret file may`);
    }
    return buf.subarray(0, n).toString("utf8");
  } catch (e) {
    if (e instanceof FleetError) throw e;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function refused(abs: string, why: string): FleetError {
  return new FleetError(fleetMessages.secretFileUnreadable(abs, why));
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}
