/** Structural equality of values (`==`, `[E4]` agreement of equal-priority contributions). */
import { hasField } from "./record-keys.js";
import { ArtifactRef, isRecordValue, SecretRef, Template, type Value } from "./value.js";

/**
 * Structural equality. Values share sub-values, so two values can be exponentially larger as
 * trees than in memory: every pair of lists or records compared is remembered, and a pair is
 * compared once however often it recurs (ADR 121).
 */
const compared = new WeakMap<object, WeakMap<object, boolean>>();

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof SecretRef || a instanceof ArtifactRef || a instanceof Template) {
    return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && JSON.stringify(a) === JSON.stringify(b);
  }
  let known = compared.get(a);
  const hit = known?.get(b);
  if (hit !== undefined) return hit;
  const eq = deepEqualOnce(a, b);
  if (!known) compared.set(a, (known = new WeakMap()));
  known.set(b, eq);
  return eq;
}

function deepEqualOnce(a: Value, b: Value): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i] as Value, (b as readonly Value[])[i] as Value)) return false;
    return true;
  }
  if (isRecordValue(a)) {
    if (!isRecordValue(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasField(b, k) || !deepEqual(a[k] as Value, b[k] as Value)) return false;
    return true;
  }
  return false;
}
