/**
 * Map over items with at most `limit` calls in flight, keeping the results in input order. Used for
 * the read-only passes over every host (rollback's manifest reads, status, verify) so that a
 * large fleet waits on its slowest hosts, not on the sum of them.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  return results;
}
