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

/** NAME_MAX and PATH_MAX of Linux file systems, in bytes. */
const NAME_MAX = 255;
const PATH_MAX = 4095;
/**
 * Room a managed file's name must leave for the names fleet writes beside it (its temp file
 * `.<name>.fleet-tmp-<pid>-<n>`, a staged secret `.<name>.fleet-secret-stage`).
 */
export const NAME_ROOM = 40;

/**
 * Why no file system could hold `p` (a normalised absolute path), or undefined (ADR 132): a
 * component longer than NAME_MAX, a last component without room for its temp name, or the
 * whole longer than PATH_MAX. Checked before anything is written, so such a path never leaves
 * a host with a generation it cannot finish.
 */
export function pathLengthProblem(p: string): string | undefined {
  const bytes = Buffer.byteLength(p);
  if (bytes > PATH_MAX) return `is ${bytes} bytes long, more than the ${PATH_MAX} a path may have`;
  const parts = p.split("/").filter((s) => s !== "");
  for (const [i, part] of parts.entries()) {
    const n = Buffer.byteLength(part);
    const max = i === parts.length - 1 ? NAME_MAX - NAME_ROOM : NAME_MAX;
    if (n > max) {
      return i === parts.length - 1
        ? `has a file name of ${n} bytes; at most ${max} fit (a file name may have ${NAME_MAX}, and fleet writes a temp name beside it)`
        : `has a directory name of ${n} bytes, more than the ${NAME_MAX} a file name may have`;
    }
  }
  return undefined;
}

/**
 * The pairs (file, descendant) where one managed path is a directory on the way to another:
 * no target can hold `/etc/a` as a file and `/etc/a/b` at once. Each path's ancestors are looked
 * up in a set, so the check is linear in the total length of the paths.
 */
export function nestedPaths(paths: readonly string[]): [string, string][] {
  const set = new Set(paths);
  const out: [string, string][] = [];
  for (const p of [...set].sort()) {
    for (let d = p.slice(0, p.lastIndexOf("/")); d.length > 0; d = d.slice(0, d.lastIndexOf("/"))) {
      if (set.has(d)) {
        out.push([d, p]);
        break;
      }
    }
  }
  return out;
}
