/**
 * The one serialisation of everything fleet hashes or compares byte for byte (SPEC §4): sorted
 * keys, 2-space indent, trailing newline. Manifests, derivations, plans and `--json` output all
 * go through it.
 */
import stable from "fast-json-stable-stringify";

export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(JSON.parse(stable(value)), null, 2)}\n`;
}
