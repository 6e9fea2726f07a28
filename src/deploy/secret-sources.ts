/** The local side of secret resolution (SPEC §5): environment, files, and the vault export. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { FleetError, UsageError } from "../fleet-error.js";
import { ioReason } from "../transport/io-error-message.js";
import { parseVaultFile, type SecretSources } from "../stack/secrets.js";

/**
 * Read `--vault-secrets FILE`. A path that does not exist is a usage error (exit 2); a file that is
 * not a flat JSON object of strings is a fleet-level error (exit 1), raised before any host.
 */
export function loadVault(file: string | undefined): ReadonlyMap<string, string> | undefined {
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new UsageError(`--vault-secrets file '${file}' does not exist`);
  if (!statSync(file).isFile()) throw new UsageError(`--vault-secrets '${file}' is not a regular file; give the JSON export file`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--vault-secrets file '${file}' cannot be read: ${ioReason(e)}`);
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
      try {
        return readFileSync(abs, "utf8");
      } catch {
        return undefined;
      }
    },
    ...(vault ? { vault } : {}),
  };
}
