/**
 * `fleet rollback`: every host back one generation, in the reverse of the deploy order, with the
 * graph read from each host's current manifest (`artifact_refs`) — host files are never
 * evaluated (SPEC §6). Emits outcomes; never prints.
 */
import { hostname } from "node:os";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { stableTopologicalOrder } from "../plan/artifact-graph.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import type { Transport } from "../transport/transport.js";
import { chooseRoots, type Roots } from "./fleet-prepare.js";
import { loadFleetFile } from "../load/fleet-load.js";
import { rollbackHost } from "./host-rollback.js";
import { hostEventSink } from "./host-event-sink.js";
import { readCurrent } from "../manifest/generations.js";
import { currentPath, stackDir } from "../manifest/layout.js";
import { runHook } from "./hooks.js";
import type { CapturedOutput } from "../captured-output.js";
import { selectHosts } from "../plan/selection.js";
import { outputChunks, type HostOutcome, type OutputChunk, type ProgressEvent } from "./outcome.js";
import { checkTargets, openTransport, targetRoot, withHostSudo, type TransportOptions } from "../transport/open-transport.js";
import { mapLimit } from "./map-limit.js";
import { Activation } from "./post-deploy.js";
import { runScheduled } from "./scheduler.js";

export interface RollbackOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
  readonly failFast: boolean;
  /** Hosts rolled back (and read) at once; consumers still go before their producers. */
  readonly jobs: number;
  readonly only?: readonly string[];
  /** `--include-maintenance`: roll back `maintenance` hosts too (ADR 180). */
  readonly includeMaintenance?: boolean;
  readonly dieAt?: string;
  /** Activate the restored generation by the rules of ADR 190 (a deliberate addition to the seed). */
  readonly activate?: boolean;
  readonly enable?: boolean;
  readonly onReport?: (o: HostOutcome) => void;
  /** The selected hosts in rollback order, before the first starts (for an interrupt report). */
  readonly onPlan?: (hosts: readonly HostRecord[]) => void;
  /** Called as soon as a host finishes, in finishing order. */
  readonly onFinish?: (o: HostOutcome) => void;
  /** Stages of the host being rolled back, for the TTY's live lines. */
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Hook output as it arrives (`-v`). */
  readonly onOutput?: (c: OutputChunk) => void;
}

/** Open transports once per target and close them all at the end. */
class TransportPool {
  private readonly open = new Map<string, Promise<Transport>>();
  constructor(private readonly options: TransportOptions) {}
  get(target: string): Promise<Transport> {
    let t = this.open.get(target);
    if (!t) {
      t = openTransport(target, this.options);
      this.open.set(target, t);
    }
    return t;
  }
  async closeAll(): Promise<void> {
    for (const t of this.open.values()) {
      try {
        await (await t).close();
      } catch {
        // A transport that failed to open has nothing to close.
      }
    }
  }
}

interface HostView {
  readonly record: HostRecord;
  readonly deploymentsRoot?: string;
  readonly refs: readonly string[];
  /** The generation before the current one, as seen before the lock (a hint for rollbackHost). */
  readonly previous?: number | null;
  readonly error?: FleetError;
}

export async function rollbackFleet(options: RollbackOptions): Promise<HostOutcome[]> {
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const { model, fleetDir } = loadFleetFile(options.fleetFile, []);
  checkTargets(model.hosts, options);
  // Decommissioned hosts are never contacted (ADR 180): not selected, their manifests not read.
  const selected = new Set([...selectHosts(model.hosts, options.only)].filter((i) => lifecycleOf(model.hosts[i]!) !== "decommissioned"));
  const pool = new TransportPool(withHostSudo(model.hosts, options));
  try {
    const views = await mapLimit(model.hosts, options.jobs, (record) =>
      lifecycleOf(record) === "decommissioned" ? Promise.resolve<HostView>({ record, refs: [] }) : viewHost(pool, record, roots),
    );
    const { order, consumersOf } = rollbackOrder(views);
    const selectedOrder = order.filter((i) => selected.has(i));
    const position = new Map(order.map((host, at) => [host, at]));
    let failedOnce = false;
    const holder = { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
    const rollbackOne = async (view: HostView): Promise<HostOutcome> => {
      if (view.error) return failure(view.record, view.error);
      const hookOutput: CapturedOutput[] = [];
      const withOutput = (o: HostOutcome): HostOutcome => (hookOutput.length > 0 ? { ...o, output: hookOutput } : o);
      try {
        const pre = model.hooks.rollback.pre;
        const preResult = pre !== undefined ? await runHook(pre, view.record, fleetDir, "rollback pre hook", options.onOutput) : undefined;
        if (preResult) hookOutput.push(preResult.output);
        if (preResult && !preResult.ok) throw new FleetError(fleetMessages.rollbackPreHookFailed(preResult.detail));
        const transport = await pool.get(view.record.target);
        const warnings: string[] = [];
        const activating = Boolean(options.activate) || Boolean(options.enable);
        const act = new Activation(transport, { activate: Boolean(options.activate), enable: Boolean(options.enable) });
        const r = await rollbackHost({
          ...(activating
            ? {
                beforeStaleDeletion: act.beforeStaleDeletion,
                afterFlip: async () => {
                  warnings.push(...(await act.afterFlip()));
                },
              }
            : {}),
          onEvent: hostEventSink(warnings, (stage) => options.onProgress?.({ host: view.record, stage })),
          transport,
          stack: view.record.stack,
          target: view.record.target,
          deploymentsRoot: view.deploymentsRoot!,
          ...(view.previous !== undefined ? { previousHint: view.previous } : {}),
          holder,
          ...(options.dieAt !== undefined ? { dieAt: options.dieAt } : {}),
        });
        // What the activation scripts printed (ADR 237), whole, as they ran on the target.
        for (const c of act.output) {
          hookOutput.push(c);
          for (const chunk of outputChunks(view.record, c)) options.onOutput?.(chunk);
        }
        const outcome: HostOutcome = {
          host: view.record,
          status: "ok",
          warnings,
          generation: r.generation,
          previous: r.was,
          restored: r.restored,
          removed: r.removed,
          secretSkipped: r.secretSkipped,
          ...(activating ? { activation: act.summary() } : {}),
        };
        const post = model.hooks.rollback.post;
        const postResult = post !== undefined ? await runHook(post, view.record, fleetDir, "rollback post hook", options.onOutput) : undefined;
        if (postResult) hookOutput.push(postResult.output);
        if (postResult && !postResult.ok) return withOutput({ ...outcome, warnings: [...outcome.warnings, `rollback post hook failed (${postResult.detail})`] });
        return withOutput(outcome);
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        return withOutput(failure(view.record, e));
      }
    };
    // In rollback a host waits for its consumers (they go first); unselected hosts are not waited on.
    options.onPlan?.(selectedOrder.map((i) => views[i]!.record));
    const results = await runScheduled<HostOutcome>(selectedOrder, options.jobs, {
      // Only consumers placed earlier count, so hosts left in a cycle by old manifests cannot stall.
      producers: (i) => [...(consumersOf.get(i) ?? [])].filter((c) => position.get(c)! < position.get(i)!),
      resource: (i) => views[i]!.record.target,
      settle: (i) => {
        if (!options.includeMaintenance && lifecycleOf(views[i]!.record) === "maintenance") {
          return { host: views[i]!.record, status: "skipped", reason: "skipped (maintenance)", warnings: [] };
        }
        if (options.failFast && failedOnce) return { host: views[i]!.record, status: "not-attempted", reason: "not attempted (fail-fast)", warnings: [] };
        return undefined;
      },
      run: async (i) => {
        const outcome = await rollbackOne(views[i]!);
        options.onFinish?.(outcome);
        if (outcome.status !== "ok") failedOnce = true;
        return outcome;
      },
      report: (_i, o) => options.onReport?.(o),
    });
    return selectedOrder.map((i) => results.get(i)!);
  } finally {
    await pool.closeAll();
  }
}

function failure(host: HostRecord, e: FleetError): HostOutcome {
  return { host, status: "failed", reason: e.headline, ...(e.code !== undefined ? { code: e.code } : {}), warnings: [] };
}

async function viewHost(pool: TransportPool, record: HostRecord, roots: Roots): Promise<HostView> {
  try {
    const transport = await pool.get(record.target);
    const home = await transport.home();
    const deploymentsRoot = targetRoot(roots.deployments, home, transport);
    const dir = stackDir(deploymentsRoot, record.stack);
    // `current` and the manifest it names in one round trip where the transport can (ADR 240).
    await transport.readAhead?.({ links: [currentPath(dir)] });
    const manifest = await readCurrent(transport, dir);
    return { record, deploymentsRoot, refs: manifest ? manifest.artifact_refs : [], previous: manifest?.previous ?? null };
  } catch (e) {
    if (!(e instanceof FleetError)) throw e;
    return { record, refs: [], error: e };
  }
}

/**
 * The reverse of the deploy order the current manifests imply (consumers before producers), and
 * for each host the consumers that must be rolled back before it.
 */
export function rollbackOrder(views: readonly HostView[]): { order: number[]; consumersOf: ReadonlyMap<number, ReadonlySet<number>> } {
  const producersOf = new Map<number, Set<number>>();
  const consumersOf = new Map<number, Set<number>>();
  for (const v of views) {
    for (const ref of v.refs) {
      const machine = ref.slice(0, ref.indexOf("/"));
      for (const p of views) {
        if (p.record.machine !== machine || p.record.index === v.record.index) continue;
        (producersOf.get(v.record.index) ?? producersOf.set(v.record.index, new Set()).get(v.record.index)!).add(p.record.index);
        (consumersOf.get(p.record.index) ?? consumersOf.set(p.record.index, new Set()).get(p.record.index)!).add(v.record.index);
      }
    }
  }
  const nodes = views.map((v) => v.record.index);
  const { order, unplaced } = stableTopologicalOrder(
    nodes,
    (n) => [...(consumersOf.get(n) ?? [])],
    (n) => [...(producersOf.get(n) ?? [])],
  );
  return { order: [...order, ...unplaced].reverse(), consumersOf };
}
