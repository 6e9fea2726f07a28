/** Safe own-key access on evaluated records: PCL names such as `__proto__` or `toString` are data. */
import type { RecordValue, Value } from "./value.js";

export function hasField(r: RecordValue, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(r, key);
}

export function getField(r: RecordValue, key: string): Value | undefined {
  return hasField(r, key) ? r[key] : undefined;
}

export function setField(r: Record<string, unknown>, key: string, v: unknown): void {
  if (key === "__proto__") Object.defineProperty(r, key, { value: v, enumerable: true, writable: true, configurable: true });
  else r[key] = v;
}
