import path from "node:path";

/**
 * Written last inside a store path, just before it is renamed into place: a path without it is
 * either being built (a live lock holder) or half-built (SPEC §2).
 */
export const BUILT_MARKER = ".fleet-built";

/** `<store-root>/<base>`; the root must already be absolute (see roots.ts). */
export function storePath(storeRoot: string, base: string): string {
  return path.join(storeRoot, base);
}
