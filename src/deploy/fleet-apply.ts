/**
 * `fleet apply`: compose every host, refuse the run on fleet-level errors, then deploy hosts in
 * the stable topological order with up to `jobs` at once (SPEC §6). Emits outcomes; never prints.
 */
import { homedir, hostname } from "node:os";
import { FleetError, UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { ArtifactEdge } from "../plan/artifact-graph.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { planHash } from "../plan/plan-doc.js";
import { chooseRollout } from "../plan/rollout.js";
import { selectHosts } from "../plan/selection.js";
import { expandRoot } from "../store/roots.js";
import type { LockHolder } from "../transport/transport.js";
import { deployOne, errorOutcome, fleetSecretValues, type RunContext } from "./fleet-apply-host.js";
import type { LoadedFleet } from "../load/fleet-load.js";
import { splitArtifact } from "../plan/artifact-values.js";
import { prepareRun } from "./fleet-prepare.js";
import { planFor } from "./fleet-plan.js";
import { readCurrentManifest } from "../manifest/generations.js";
import type { HostOutcome } from "./outcome.js";
import { runRollout } from "./fleet-rollout.js";
import type { ApplyOptions } from "./run-options.js";
import { runScheduled, type SchedulerHooks } from "./scheduler.js";
import { openTransport, targetRoot, withHostSudo } from "../transport/open-transport.js";

function holder(): LockHolder {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
}

/**
 * The first upstream edge whose producer did not end ok, for the `blocked` line. A producer
 * skipped for maintenance whose current manifest was read counts as ok (ADR 180).
 */
function blockedBy(edges: readonly ArtifactEdge[], results: ReadonlyMap<number, HostOutcome>): ArtifactEdge | undefined {
  return edges.find((e) => {
    const r = results.get(e.producer);
    return !(r?.status === "ok" || (r?.status === "skipped" && r.artifacts !== undefined));
  });
}

export async function applyFleet(options: ApplyOptions): Promise<HostOutcome[]> {
  if (options.dryRun && options.transportRoot === undefined) {
    throw new UsageError(fleetMessages.dryRunNeedsTransportRoot());
  }
  const { fleet, roots, vault } = prepareRun(options);
  const rollout = chooseRollout(fleet.model.rollout, { ...options.rollout, rollbackOnHalt: Boolean(options.rollbackOnHalt) });
  if (options.expectPlan !== undefined) {
    const actual = planHash(await planFor(fleet, roots, vault, options, rollout));
    if (actual !== options.expectPlan.toLowerCase()) {
      throw new FleetError(fleetMessages.planChanged(options.expectPlan, actual));
    }
  }
  // Decommissioned hosts are never contacted (ADR 180): out of the selection, and never read.
  const selected = new Set([...selectHosts(fleet.model.hosts, options.only)].filter((i) => lifecycleOf(fleet.hosts[i]!.record) !== "decommissioned"));
  const skipped = (i: number): boolean => !options.includeMaintenance && lifecycleOf(fleet.hosts[i]!.record) === "maintenance";
  const localStore = expandRoot(roots.store.raw, homedir(), roots.store.origin);
  let failedOnce = false;
  const lockHolder = holder();
  const ctx: RunContext = { options: withHostSudo(fleet.model.hosts, options), localStore, roots, vault, lockHolder, secretValues: fleetSecretValues(fleet, vault) };
  options.onPlan?.(fleet.graph.order.filter((i) => selected.has(i)).map((i) => fleet.hosts[i]!.record));
  // The scheduler hooks of this run: a plain apply uses them once, a rollout once per wave.
  const hooks = (report: (o: HostOutcome) => void): SchedulerHooks<HostOutcome> => ({
    producers: (i) => [...new Set((fleet.graph.incoming.get(i) ?? []).map((e) => e.producer))],
    resource: (i) => fleet.hosts[i]!.record.target,
    settle: (i, done) => {
      const host = fleet.hosts[i]!.record;
      if (lifecycleOf(host) === "decommissioned") return { host, status: "skipped", reason: "decommissioned", warnings: [] };
      if (!selected.has(i) && !feedsSelection(fleet, i, selected)) return { host, status: "ok", warnings: [] };
      if (skipped(i)) return feedsSelection(fleet, i, selected) ? undefined : { host, status: "skipped", reason: MAINTENANCE, warnings: [] };
      const edge = blockedBy(fleet.graph.incoming.get(i) ?? [], done);
      if (edge) {
        const [machine, name] = splitArtifact(edge.artifact);
        return { host, status: "blocked", reason: `blocked — upstream ${machine}:${name} unavailable`, warnings: [] };
      }
      if (options.failFast && failedOnce) return { host, status: "not-attempted", reason: "not attempted (fail-fast)", warnings: [] };
      return undefined;
    },
    run: async (i, done) => {
      if (!selected.has(i)) return currentArtifacts(fleet.hosts[i]!.record, ctx);
      if (skipped(i)) {
        // Skipped, yet its consumers read its artifacts from its current manifest, as under --only.
        const current = await currentArtifacts(fleet.hosts[i]!.record, ctx);
        const artifacts = current.status === "ok" && current.artifacts ? { artifacts: current.artifacts } : {};
        return { host: fleet.hosts[i]!.record, status: "skipped", reason: MAINTENANCE, warnings: [], ...artifacts };
      }
      const outcome = await deployOne(fleet.hosts[i]!, fleet, done, ctx);
      options.onFinish?.(outcome);
      if (outcome.status !== "ok") failedOnce = true;
      return outcome;
    },
    report: (i: number, o: HostOutcome) => {
      if (selected.has(i)) report(o);
    },
  });
  if (rollout !== undefined) {
    return runRollout({ fleet, selected, ctx, hooks, markFailed: () => void (failedOnce = true) }, rollout);
  }
  const results = await runScheduled<HostOutcome>(fleet.graph.order, options.jobs, hooks((o) => options.onReport?.(o)));
  return fleet.graph.order.filter((i) => selected.has(i)).map((i) => results.get(i)!);
}

export const MAINTENANCE = "skipped (maintenance)";

/** Does an unselected host produce an artifact a selected host consumes? */
function feedsSelection(fleet: LoadedFleet, index: number, selected: ReadonlySet<number>): boolean {
  return fleet.graph.edges.some((e) => e.producer === index && selected.has(e.consumer));
}

/**
 * A producer outside `--only` is not redeployed: its artifacts are read from its current manifest
 * (SPEC §7). Without one, its consumers are blocked.
 */
async function currentArtifacts(host: HostRecord, ctx: RunContext): Promise<HostOutcome> {
  try {
    const transport = await openTransport(host.target, ctx.options);
    try {
      const home = await transport.home();
      const deploymentsRoot = targetRoot(ctx.roots.deployments, home, transport);
      const manifest = await readCurrentManifest(transport, deploymentsRoot, host.stack);
      if (!manifest) return { host, status: "failed", reason: "not selected and never deployed", warnings: [] };
      return { host, status: "ok", warnings: [], artifacts: manifest.artifacts };
    } finally {
      await transport.close();
    }
  } catch (e) {
    return errorOutcome(host, e);
  }
}

