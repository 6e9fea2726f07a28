/** The first secret reference inside a value (secrets may not be compared or interpolated). */
import { isRecordValue, SecretRef, type RecordValue, type Value } from "./value.js";

/** The first secret reference inside a value; remembered per list or record (values are shared). */
const secretsIn = new WeakMap<object, SecretRef | null>();

export function findSecret(v: Value): SecretRef | undefined {
  if (v instanceof SecretRef) return v;
  if (typeof v !== "object" || !(Array.isArray(v) || isRecordValue(v))) return undefined;
  const known = secretsIn.get(v);
  if (known !== undefined) return known ?? undefined;
  let found: SecretRef | undefined;
  if (Array.isArray(v)) {
    for (const x of v as readonly Value[]) if ((found = findSecret(x))) break;
  } else {
    const r = v as RecordValue;
    for (const k of Object.keys(r)) if ((found = findSecret(r[k] as Value))) break;
  }
  secretsIn.set(v, found ?? null);
  return found;
}
