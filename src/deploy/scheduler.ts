/**
 * Runs host jobs in plan order with up to `jobs` at once (SPEC §6): a host starts only after its
 * producers finished, two records sharing a target never run together, and results are reported
 * in plan order whatever the timing.
 */
export interface SchedulerHooks<R> {
  /** Producers of a host (indexes). */
  readonly producers: (index: number) => readonly number[];
  /** The resource two hosts must not share while running (the target string). */
  readonly resource: (index: number) => string;
  /**
   * Decide, once every producer finished, whether the host runs (`undefined`) or is settled
   * without running (blocked, not attempted).
   */
  readonly settle: (index: number, results: ReadonlyMap<number, R>) => R | undefined;
  readonly run: (index: number, results: ReadonlyMap<number, R>) => Promise<R>;
  /** Called in plan order as soon as a host and every host before it have results. */
  readonly report?: (index: number, result: R) => void;
}

export async function runScheduled<R>(order: readonly number[], jobs: number, hooks: SchedulerHooks<R>): Promise<Map<number, R>> {
  const results = new Map<number, R>();
  const running = new Map<number, Promise<void>>();
  const busy = new Set<string>();
  const started = new Set<number>();
  let reported = 0;
  const flush = (): void => {
    while (reported < order.length && results.has(order[reported]!)) {
      const i = order[reported]!;
      hooks.report?.(i, results.get(i)!);
      reported++;
    }
  };
  for (;;) {
    let progressed = false;
    for (const i of order) {
      if (started.has(i)) continue;
      if (!hooks.producers(i).every((p) => results.has(p))) continue;
      const settled = hooks.settle(i, results);
      if (settled !== undefined) {
        started.add(i);
        results.set(i, settled);
        progressed = true;
        continue;
      }
      if (running.size >= Math.max(1, jobs)) continue;
      const res = hooks.resource(i);
      if (busy.has(res)) continue;
      started.add(i);
      busy.add(res);
      progressed = true;
      running.set(
        i,
        hooks.run(i, results).then((r) => {
          results.set(i, r);
          busy.delete(res);
          running.delete(i);
        }),
      );
    }
    flush();
    if (started.size === order.length && running.size === 0) break;
    if (running.size === 0) {
      if (!progressed) throw new Error("scheduler stalled: a host waits on a producer outside the plan");
      continue;
    }
    await Promise.race(running.values());
  }
  flush();
  return results;
}
