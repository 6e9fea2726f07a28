/**
 * `fleet apply`: compose every host, refuse the run on fleet-level errors, then deploy hosts in
 * the stable topological order with up to `jobs` at once (SPEC §6). Emits outcomes; never prints.
 */
import { homedir, hostname } from "node:os";
import { FleetError } from "../fleet-error.js";
import { planHash } from "../plan/plan-doc.js";
import { chooseRollout, type RolloutFlags } from "../plan/rollout.js";
import { selectHosts } from "../plan/selection.js";
import { expandRoot } from "../store/roots.js";
import type { LockHolder } from "../transport/transport.js";
import type { RunContext } from "./fleet-apply-host.js";
import { applyHooks, type ApplyRun } from "./fleet-apply-run.js";
import { prepareApply } from "./fleet-prepare.js";
import type { HostOutcome, ProgressEvent } from "./outcome.js";
import { runRollout, type RolloutEvent } from "./fleet-rollout.js";
import { runScheduled } from "./scheduler.js";
import type { TransportOptions } from "./transports.js";

export interface ApplyOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly scenarios: readonly string[];
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
  readonly dryRun: boolean;
  readonly failFast: boolean;
  readonly jobs: number;
  readonly tlsCerts?: string;
  readonly vaultSecrets?: string;
  readonly activate: boolean;
  readonly enable: boolean;
  /** Roll a host back when a health check fails (default true; `--no-auto-rollback`). */
  readonly autoRollback: boolean;
  /** `--expect-plan HASH`: refuse (exit 1, nothing touched) unless the plan hashes to this. */
  readonly expectPlan?: string;
  /** `--only` selectors; undefined = every host. */
  readonly only?: readonly string[];
  readonly clock: () => Date;
  readonly dieAt?: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Called in plan order as each host's outcome becomes final. */
  readonly onReport?: (o: HostOutcome) => void;
  /** `--waves`, `--max-failed`, `--soak` (ADR 160); each overrides the Fleet module's `rollout`. */
  readonly rollout?: RolloutFlags;
  /** `--rollback-on-halt`: a halted rollout rolls back every host it moved to a new generation. */
  readonly rollbackOnHalt?: boolean;
  /** Waves starting, rollback on halt, and the rollout's end (only when there is a rollout). */
  readonly onRollout?: (e: RolloutEvent) => void;
}

function holder(): LockHolder {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
}

export async function applyFleet(options: ApplyOptions): Promise<HostOutcome[]> {
  const { fleet, roots, vault } = prepareApply(options);
  const rollout = chooseRollout(fleet.model.rollout, { ...options.rollout, rollbackOnHalt: Boolean(options.rollbackOnHalt) });
  if (options.expectPlan !== undefined) {
    const { planFor } = await import("./fleet-plan.js");
    const actual = planHash(await planFor(fleet, roots, vault, options, rollout));
    if (actual !== options.expectPlan.toLowerCase()) {
      throw new FleetError(undefined, `the plan changed: expected plan_hash ${options.expectPlan}, the fleet now plans to ${actual}; review it with 'fleet plan' and apply again`);
    }
  }
  const selected = selectHosts(fleet.model.hosts, options.only);
  const localStore = expandRoot(roots.store.raw, homedir(), roots.store.origin);
  const lockHolder = holder();
  const ctx: RunContext = { options, localStore, roots, vault, lockHolder };
  const run: ApplyRun = { fleet, selected, ctx, failedOnce: false };
  if (rollout !== undefined) return runRollout(run, rollout);
  const results = await runScheduled<HostOutcome>(fleet.graph.order, options.jobs, applyHooks(run, (o) => options.onReport?.(o)));
  return fleet.graph.order.filter((i) => selected.has(i)).map((i) => results.get(i)!);
}

