/**
 * Code-point order, independent of locale and ICU version: rendered output is sorted with it so
 * that it is byte-identical on every machine (`localeCompare` is not).
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
