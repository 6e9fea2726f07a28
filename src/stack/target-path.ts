/**
 * Target paths a stack names (SPEC §3). Normalised absolute paths are the only ones whose
 * meaning cannot change between "the path the manifest records" and "the file the target
 * writes", and the only ones that cannot escape a `--transport-root` host directory.
 */
export function isNormalisedAbsolutePath(p: string): boolean {
  if (typeof p !== "string" || !p.startsWith("/") || p === "/") return false;
  if (p.endsWith("/") || p.includes("\0")) return false;
  return p
    .slice(1)
    .split("/")
    .every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

export const UNIT_DIR = "/etc/systemd/system";
export const SECRETS_DIR = "/etc/fleet/secrets";

export function unitPath(service: string): string {
  return `${UNIT_DIR}/${service}.service`;
}

export function envFilePath(service: string): string {
  return `${SECRETS_DIR}/${service}.env`;
}
