/**
 * Runs host jobs in plan order with up to `jobs` at once (SPEC §6): a host starts only after its
 * producers finished, two records sharing a target never run together, and results are reported
 * in plan order whatever the timing. Work per finished host is proportional to its consumers and
 * to the hosts ready at that moment, not to the size of the plan.
 */
export interface SchedulerHooks<R> {
  /** Producers of a host (indexes). */
  readonly producers: (index: number) => readonly number[];
  /** The resource two hosts must not share while running (the target string). */
  readonly resource: (index: number) => string;
  /**
   * Decide, once every producer finished, whether the host runs (`undefined`) or is settled
   * without running (blocked, not attempted). Asked again each time the host could start.
   */
  readonly settle: (index: number, results: ReadonlyMap<number, R>) => R | undefined;
  readonly run: (index: number, results: ReadonlyMap<number, R>) => Promise<R>;
  /** Called in plan order as soon as a host and every host before it have results. */
  readonly report?: (index: number, result: R) => void;
}

/** Insert into an ascending array, keeping it ascending. */
function insertSorted(a: number[], x: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, x);
}

/**
 * `results` may already hold hosts finished before (an earlier wave of a rollout, ADR 160): hooks
 * see them, and the hosts of `order` are added to it.
 */
export async function runScheduled<R>(
  order: readonly number[],
  jobs: number,
  hooks: SchedulerHooks<R>,
  results: Map<number, R> = new Map(),
): Promise<Map<number, R>> {
  const position = new Map(order.map((host, i) => [host, i]));
  const unfinishedProducers = new Map<number, number>();
  const consumers = new Map<number, number[]>();
  for (const host of order) {
    const producers = [...new Set(hooks.producers(host))].filter((p) => position.has(p));
    unfinishedProducers.set(host, producers.length);
    for (const p of producers) (consumers.get(p) ?? consumers.set(p, []).get(p)!).push(host);
  }
  /** Plan positions of hosts whose producers all finished and that have not started. */
  const ready: number[] = [];
  for (const host of order) if (unfinishedProducers.get(host) === 0) ready.push(position.get(host)!);

  let finished = 0;
  const running = new Map<number, Promise<void>>();
  const busy = new Set<string>();
  let reported = 0;
  const flush = (): void => {
    while (reported < order.length && results.has(order[reported]!)) {
      const host = order[reported]!;
      hooks.report?.(host, results.get(host)!);
      reported++;
    }
  };
  const finish = (host: number, result: R): void => {
    results.set(host, result);
    finished++;
    for (const c of consumers.get(host) ?? []) {
      const left = unfinishedProducers.get(c)! - 1;
      unfinishedProducers.set(c, left);
      if (left === 0) insertSorted(ready, position.get(c)!);
    }
  };

  while (finished < order.length) {
    let progressed = false;
    let i = 0;
    while (i < ready.length) {
      const host = order[ready[i]!]!;
      const settled = hooks.settle(host, results);
      if (settled !== undefined) {
        ready.splice(i, 1);
        finish(host, settled);
        progressed = true;
        continue;
      }
      if (running.size >= Math.max(1, jobs)) break;
      const resource = hooks.resource(host);
      if (busy.has(resource)) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      progressed = true;
      busy.add(resource);
      running.set(
        host,
        hooks.run(host, results).then((r) => {
          running.delete(host);
          busy.delete(resource);
          finish(host, r);
        }),
      );
    }
    flush();
    if (finished === order.length) break;
    if (running.size === 0) {
      if (progressed) continue;
      throw new Error("scheduler stalled: a host waits on a producer that can never finish");
    }
    await Promise.race(running.values());
  }
  flush();
  return results;
}
