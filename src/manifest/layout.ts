/**
 * Where a stack's generations live on a target (SPEC §4):
 * `<deployments-root>/<Stack>/{gen-NNN.json, files/<sha256>, current, pending, lock}`.
 * All paths are target paths (posix, absolute).
 */
import { posix } from "node:path";

export type GenerationNumber = number;

const GEN_RE = /^gen-(\d{3,})\.json$/;

export function stackDir(deploymentsRoot: string, stack: string): string {
  return posix.join(deploymentsRoot, stack);
}

/** `gen-001.json`: at least three digits, zero padded. */
export function generationFileName(n: GenerationNumber): string {
  return `gen-${String(n).padStart(3, "0")}.json`;
}

/** `gen-001` as output lines show it. */
export function generationLabel(n: GenerationNumber): string {
  return `gen-${String(n).padStart(3, "0")}`;
}

/** The number of a `gen-NNN.json` name, or null for any other name. */
export function parseGenerationFileName(name: string): GenerationNumber | null {
  const m = GEN_RE.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function generationPath(dir: string, n: GenerationNumber): string {
  return posix.join(dir, generationFileName(n));
}

export function filesDir(dir: string): string {
  return posix.join(dir, "files");
}

export function blobPath(dir: string, sha256: string): string {
  return posix.join(dir, "files", sha256);
}

export function currentPath(dir: string): string {
  return posix.join(dir, "current");
}

export function pendingPath(dir: string): string {
  return posix.join(dir, "pending");
}

/** The per-host HMAC key for secret-file digests, beside the stacks' directories. */
export function hmacKeyPath(deploymentsRoot: string): string {
  return posix.join(deploymentsRoot, ".fleet-hmac-key");
}

/** Per-generation outcome records (ADR 220): `<stack>/records/gen-NNN.json`. */
export function recordPath(dir: string, n: GenerationNumber): string {
  return posix.join(dir, "records", generationFileName(n));
}
