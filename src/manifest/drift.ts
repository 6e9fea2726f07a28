/**
 * Drift: managed files of a generation whose bytes or mode on the target differ from what its
 * manifest records (SPEC §7). Read-only: never writes, never creates the HMAC key, and never keeps
 * a secret file's bytes beyond the HMAC computed from them.
 */
import { createHmac } from "node:crypto";
import type { Transport } from "../transport/transport.js";
import { hmacKeyPath } from "./layout.js";
import { modeString, type Manifest, type ManifestFile } from "./manifest.js";

/**
 * `missing`: nothing (or not a regular file) at the path. `changed`: the bytes differ (the mode
 * may differ too). `mode`: same bytes, different mode. `unverifiable`: a secret file, but the
 * host's HMAC key is gone, so its bytes cannot be compared.
 */
export type DriftKind = "missing" | "changed" | "mode" | "unverifiable";

export interface FileDrift {
  readonly path: string;
  readonly kind: DriftKind;
  readonly secret: boolean;
  /** Mode the manifest records, e.g. "0644" (set when the modes differ). */
  readonly expectedMode?: string;
  /** Mode found on the target (set when the modes differ). */
  readonly actualMode?: string;
}

/** The HMAC key of a host's deployments root, or null when absent. Never creates it. */
export async function readHmacKey(transport: Transport, deploymentsRoot: string): Promise<Buffer | null> {
  const key = await transport.readFile(hmacKeyPath(deploymentsRoot));
  return key !== null && key.length >= 32 ? key : null;
}

/**
 * Compare every managed file of `manifest` with the target, in manifest (path) order. Non-secret
 * files are hashed on the target in one round trip; secret files are read and compared by HMAC
 * with `key` (read only when the manifest has secret files).
 */
export async function fileDrift(transport: Transport, manifest: Manifest, deploymentsRoot: string): Promise<FileDrift[]> {
  const files = manifest.files;
  if (files.length === 0) return [];
  const digests = await transport.digestFiles(files.map((f) => f.path));
  const key = files.some((f) => f.secret) ? await readHmacKey(transport, deploymentsRoot) : null;
  const drift: FileDrift[] = [];
  for (const [i, file] of files.entries()) {
    const found = digests[i] ?? null;
    if (found === null) {
      drift.push({ path: file.path, kind: "missing", secret: file.secret });
      continue;
    }
    const actualMode = modeString(found.mode);
    const modes = actualMode === file.mode ? {} : { expectedMode: file.mode, actualMode };
    const same = file.secret ? await secretMatches(transport, file, key) : found.sha256 === file.sha256;
    if (same === null) drift.push({ path: file.path, kind: "unverifiable", secret: true, ...modes });
    else if (!same) drift.push({ path: file.path, kind: "changed", secret: file.secret, ...modes });
    else if (actualMode !== file.mode) drift.push({ path: file.path, kind: "mode", secret: file.secret, ...modes });
  }
  return drift;
}

/** True/false when the HMAC of the live bytes matches; null without a key (cannot tell). */
async function secretMatches(transport: Transport, file: ManifestFile, key: Buffer | null): Promise<boolean | null> {
  if (key === null) return null;
  const bytes = await transport.readFile(file.path);
  if (bytes === null) return false;
  const digest = createHmac("sha256", key).update(bytes).digest("hex");
  // Overwrite the secret's bytes as soon as they are digested: they must not linger in memory dumps.
  bytes.fill(0);
  return digest === file.sha256;
}

/** Store paths the manifest pins that are not complete on the target (empty for a dry run). */
export async function missingStorePaths(transport: Transport, manifest: Manifest): Promise<string[]> {
  if (manifest.dry_run || manifest.store_paths.length === 0) return [];
  const present = await transport.storePathsPresent(manifest.store_paths);
  return manifest.store_paths.filter((_, i) => present[i] !== true);
}
