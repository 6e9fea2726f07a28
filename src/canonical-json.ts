/**
 * The one serialisation of everything fleet hashes or compares byte for byte (SPEC §4): keys in
 * code-point order, 2-space indent, trailing newline. Manifests, derivations, plans and `--json`
 * output all go through it.
 *
 * One pass (ADR 208). It prints what `JSON.stringify(v, null, 2)` would print for a copy of `v`
 * with sorted keys: `toJSON` is honoured, `undefined` and functions are left out of records and
 * are `null` in lists, non-finite numbers are `null`, a cycle throws. Unlike a sort followed by
 * `JSON.parse`, integer-like keys ("10", "9") are not moved first in numeric order: every key is
 * in code-point order.
 */
import { codePointCompare } from "./code-point-order.js";

export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const onPath = new Set<object>();
  if (!write(value, "", out, onPath)) out.push("null");
  out.push("\n");
  return out.join("");
}

/** Appends `v` at indentation `indent`; false (and nothing appended) when `v` has no JSON form. */
function write(v: unknown, indent: string, out: string[], onPath: Set<object>): boolean {
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof v) {
    case "string":
      out.push(JSON.stringify(v));
      return true;
    case "number":
      out.push(Number.isFinite(v) ? String(v) : "null");
      return true;
    case "boolean":
      out.push(v ? "true" : "false");
      return true;
    case "object":
      break;
    default:
      // undefined, functions, symbols: no JSON form. A bigint throws, as in JSON.stringify.
      if (typeof v === "bigint") throw new TypeError("Do not know how to serialize a BigInt");
      return false;
  }
  if (v === null) {
    out.push("null");
    return true;
  }
  if (onPath.has(v)) throw new TypeError("Converting circular structure to JSON");
  onPath.add(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) out.push("[]");
    else {
      out.push("[");
      for (let i = 0; i < v.length; i++) {
        out.push(i === 0 ? `\n${inner}` : `,\n${inner}`);
        if (!write(v[i], inner, out, onPath)) out.push("null");
      }
      out.push(`\n${indent}]`);
    }
  } else {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec).sort(codePointCompare);
    let first = true;
    for (const k of keys) {
      const mark = out.length;
      out.push(first ? `{\n${inner}` : `,\n${inner}`, JSON.stringify(k), ": ");
      if (write(rec[k], inner, out, onPath)) first = false;
      else out.length = mark;
    }
    out.push(first ? "{}" : `\n${indent}}`);
  }
  onPath.delete(v);
  return true;
}
