import stable from "fast-json-stable-stringify";

/** The project's canonical JSON (sorted keys, 2-space indent, trailing newline). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(JSON.parse(stable(value)), null, 2) + "\n";
}
