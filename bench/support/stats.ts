/** Small statistics helpers shared by the fleet and start-up benchmarks. */

/** Median of a non-empty sample (upper middle for an even count, so it is an observed value). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty sample");
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const ms = (x: number): string => `${x.toFixed(x < 100 ? 1 : 0)} ms`;
export const ratio = (x: number): string => `${x.toFixed(2)}×`;
