/**
 * One run of `fleet apply` as the scheduler sees it: the hooks that settle, run and report each
 * host. Shared by a plain apply and by every wave of a staged rollout (ADR 160).
 */
import { expandRoot } from "../store/roots.js";
import type { ArtifactEdge } from "../plan/artifact-graph.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { deployOne, errorOutcome, type RunContext } from "./fleet-apply-host.js";
import type { LoadedFleet } from "./fleet-load.js";
import { splitArtifact } from "./fleet-prepare.js";
import { readCurrentManifest } from "./host-bridge.js";
import type { HostOutcome } from "./outcome.js";
import type { SchedulerHooks } from "./scheduler.js";
import { openTransport } from "./transports.js";

/** The first upstream edge whose producer did not end ok, for the `blocked` line. */
function blockedBy(edges: readonly ArtifactEdge[], results: ReadonlyMap<number, HostOutcome>): ArtifactEdge | undefined {
  return edges.find((e) => results.get(e.producer)?.status !== "ok");
}

/** One apply run: what every host job shares, a plain apply and each wave of a rollout alike. */
export interface ApplyRun {
  readonly fleet: LoadedFleet;
  /** The `--only` selection (every host without it). */
  readonly selected: ReadonlySet<number>;
  readonly ctx: RunContext;
  /** A host did not end ok (for `--fail-fast`). */
  failedOnce: boolean;
}

/** The scheduler hooks of an apply; `report` gets each selected host's outcome in plan order. */
export function applyHooks(run: ApplyRun, report: (o: HostOutcome) => void): SchedulerHooks<HostOutcome> {
  const { fleet, selected, ctx } = run;
  const { options } = ctx;
  return {
    producers: (i) => [...new Set((fleet.graph.incoming.get(i) ?? []).map((e) => e.producer))],
    resource: (i) => fleet.hosts[i]!.record.target,
    settle: (i, done) => {
      const host = fleet.hosts[i]!.record;
      if (!selected.has(i) && !feedsSelection(fleet, i, selected)) return { host, status: "ok", warnings: [] };
      const edge = blockedBy(fleet.graph.incoming.get(i) ?? [], done);
      if (edge) {
        const [machine, name] = splitArtifact(edge.artifact);
        return { host, status: "blocked", reason: `blocked — upstream ${machine}:${name} unavailable`, warnings: [] };
      }
      if (options.failFast && run.failedOnce) return { host, status: "not-attempted", reason: "not attempted (fail-fast)", warnings: [] };
      return undefined;
    },
    run: async (i, done) => {
      if (!selected.has(i)) return currentArtifacts(fleet.hosts[i]!.record, ctx);
      const outcome = await deployOne(fleet.hosts[i]!, fleet, done, ctx);
      if (outcome.status !== "ok") run.failedOnce = true;
      return outcome;
    },
    report: (i: number, o: HostOutcome) => {
      if (selected.has(i)) report(o);
    },
  };
}

/** Does an unselected host produce an artifact a selected host consumes? */
export function feedsSelection(fleet: LoadedFleet, index: number, selected: ReadonlySet<number>): boolean {
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
      const deploymentsRoot = expandRoot(ctx.roots.deployments.raw, home, ctx.roots.deployments.origin);
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

