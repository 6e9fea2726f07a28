/** The one serialisation of everything fleet hashes or compares byte for byte (SPEC §4). */
import stable from "fast-json-stable-stringify";

/** Sorted keys, 2-space indent, trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(JSON.parse(stable(value)), null, 2)}\n`;
}
