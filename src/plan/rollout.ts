/**
 * Staged rollouts (ADR 160): wave sizes and failure budgets as data, the cut of the plan order
 * into waves, and the budget in hosts. Pure: the deploy side runs the waves.
 */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";

/** A wave size or a failure budget: a number of hosts, or a percentage of the selected hosts. */
export type HostCount = { readonly hosts: number } | { readonly percent: number };

/** The rollout as asked for (flags over the Fleet module's `rollout` record). */
export interface RolloutSpec {
  /** At least one; the last one repeats until every host is placed. */
  readonly waves: readonly HostCount[];
  /** Failed hosts the rollout tolerates; more halts it. Default 0. */
  readonly maxFailed: HostCount;
  /** Seconds to wait after a wave before its health checks run again; 0 = no soak. */
  readonly soak: number;
}

/** `rollout = { waves maxFailed? soak? }` in the Fleet module, as written. */
export interface FleetRollout {
  readonly waves: readonly HostCount[];
  readonly maxFailed?: HostCount;
  readonly soak?: number;
}

/** The rollout flags of apply and plan; each overrides the same field of the Fleet module. */
export interface RolloutFlags {
  readonly waves?: readonly HostCount[];
  readonly maxFailed?: HostCount;
  readonly soak?: number;
  /** Only checked here: it needs waves like the others. */
  readonly rollbackOnHalt?: boolean;
}

/**
 * The rollout to run, or undefined for a plain apply (no `--waves`, no `rollout` record). The
 * other rollout flags without waves from either place are a usage error.
 */
export function chooseRollout(module: FleetRollout | undefined, flags: RolloutFlags): RolloutSpec | undefined {
  const waves = flags.waves ?? module?.waves;
  if (waves === undefined) {
    const given = [
      flags.maxFailed !== undefined ? "--max-failed" : undefined,
      flags.soak !== undefined ? "--soak" : undefined,
      flags.rollbackOnHalt ? "--rollback-on-halt" : undefined,
    ].filter((f): f is string => f !== undefined);
    if (given.length > 0) {
      throw new UsageError(fleetMessages.rolloutFlagsNeedWaves(given.join(", ")));
    }
    return undefined;
  }
  return {
    waves,
    maxFailed: flags.maxFailed ?? module?.maxFailed ?? { hosts: 0 },
    soak: flags.soak ?? module?.soak ?? 0,
  };
}

/**
 * `"3"` or `"10%"` (as a flag or a list element is written). `min` is the smallest value allowed
 * (1 for a wave, 0 for a budget); a percentage is at most 100. Undefined when malformed.
 */
export function parseHostCount(text: string, min: 0 | 1): HostCount | undefined {
  const m = /^(\d+)(%?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < min) return undefined;
  if (m[2] === "%") return n <= 100 ? { percent: n } : undefined;
  return { hosts: n };
}

/** The inverse of parseHostCount: `3`, `10%`. */
export function hostCountText(c: HostCount): string {
  return "hosts" in c ? String(c.hosts) : `${c.percent}%`;
}

/** A wave's size among `total` hosts: a percentage is rounded up, and a wave has at least 1. */
export function waveSize(c: HostCount, total: number): number {
  const n = "hosts" in c ? c.hosts : Math.ceil((c.percent * total) / 100);
  return Math.max(1, n);
}

/**
 * The budget in hosts among `total`: a percentage is rounded down, so the rollout halts exactly
 * when the failed share exceeds the percentage (Ansible's `max_fail_percentage`).
 */
export function failureBudget(c: HostCount, total: number): number {
  return "hosts" in c ? c.hosts : Math.floor((c.percent * total) / 100);
}

/**
 * Cut `order` (the selected hosts in plan order) into waves of the given sizes, the last size
 * repeating. A host is never placed in an earlier wave than any of its producers: it moves to its
 * latest producer's wave. Plan order already puts producers first, so with it nothing moves; the
 * rule keeps the guarantee for any order (it is applied until nothing changes). Each wave lists
 * its hosts in plan order. `producers` may name hosts outside `order` (not selected): ignored.
 */
export function cutWaves(order: readonly number[], sizes: readonly HostCount[], producers: (host: number) => readonly number[]): number[][] {
  if (sizes.length === 0) throw new Error("cutWaves: no wave sizes");
  const total = order.length;
  const waveOf = new Map<number, number>();
  let wave = 0;
  let room = total > 0 ? waveSize(sizes[0]!, total) : 0;
  for (const host of order) {
    while (room === 0) {
      wave++;
      room = waveSize(sizes[Math.min(wave, sizes.length - 1)]!, total);
    }
    room--;
    waveOf.set(host, wave);
  }
  // In plan order one pass settles everything; a pass per chain link otherwise.
  for (let changed = true, passes = 0; changed && passes <= total; passes++) {
    changed = false;
    for (const host of order) {
      let w = waveOf.get(host)!;
      for (const p of producers(host)) {
        const pw = waveOf.get(p);
        if (pw !== undefined && pw > w) w = pw;
      }
      if (w !== waveOf.get(host)) {
        waveOf.set(host, w);
        changed = true;
      }
    }
  }
  const waves: number[][] = [];
  for (const host of order) {
    const w = waveOf.get(host)!;
    while (waves.length <= w) waves.push([]);
    waves[w]!.push(host);
  }
  return waves.filter((w) => w.length > 0);
}
