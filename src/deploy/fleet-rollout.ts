/**
 * A staged rollout (ADR 160): the selected hosts, in plan order, cut into waves; each wave deploys
 * with the usual `--jobs`, soaks and re-checks its health, and the failure budget decides whether
 * the next wave starts. A halted rollout reports every host it did not reach and, with
 * `--rollback-on-halt`, rolls back every host it moved to a new generation, consumers first.
 * Emits outcomes and events; never prints.
 */
import { FleetError } from "../fleet-error.js";
import { cutWaves, failureBudget, type RolloutSpec } from "../plan/rollout.js";
import { expandRoot } from "../store/roots.js";
import type { RunContext } from "./fleet-apply-host.js";
import type { LoadedFleet } from "../load/fleet-load.js";
import { hostEventSink } from "./host-event-sink.js";
import { rollbackHost } from "./host-rollback.js";
import { genName, outputChunks, type HostOutcome } from "./outcome.js";
import { redactOutput, redactor } from "../captured-output.js";
import type { RolloutEvent, RolloutHalt } from "./rollout-events.js";
import { Activation } from "./post-deploy.js";
import { runScheduled, type SchedulerHooks } from "./scheduler.js";
import { soakRecheck, soaks } from "./soak.js";
import { openTransport } from "../transport/open-transport.js";

/** What a rollout shares with a plain apply (fleet-apply.ts builds it). */
export interface RolloutRun {
  readonly fleet: LoadedFleet;
  /** The `--only` selection (every host without it). */
  readonly selected: ReadonlySet<number>;
  readonly ctx: RunContext;
  /** The apply's scheduler hooks; `report` gets each selected host's outcome in plan order. */
  readonly hooks: (report: (o: HostOutcome) => void) => SchedulerHooks<HostOutcome>;
  /** A host did not end ok after all (a failed soak re-check), for `--fail-fast`. */
  readonly markFailed: () => void;
}

/** Statuses that count against the failure budget: the host's own deploy or health went wrong. */
function countsAsFailed(o: HostOutcome | undefined): boolean {
  return o !== undefined && (o.status === "failed" || o.status === "rolled-back");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The hosts a rollout deploys (the `--only` selection in plan order), its waves and its budget in
 * hosts. `fleet plan` shows exactly these.
 */
export function rolloutWaves(fleet: LoadedFleet, selected: ReadonlySet<number>, spec: RolloutSpec): { order: number[]; waves: number[][]; budget: number } {
  // Hosts another rule keeps out of a rollout (lifecycle `maintenance`, issue 14) are to be
  // filtered here, before the cut, so that percentages count only hosts the rollout deploys.
  const order = fleet.graph.order.filter((i) => selected.has(i));
  const producers = (i: number) => [...new Set((fleet.graph.incoming.get(i) ?? []).map((e) => e.producer))];
  return { order, waves: cutWaves(order, spec.waves, producers), budget: failureBudget(spec.maxFailed, order.length) };
}

export async function runRollout(run: RolloutRun, spec: RolloutSpec): Promise<HostOutcome[]> {
  const { fleet, selected, ctx } = run;
  const { options } = ctx;
  const emit = (e: RolloutEvent): void => options.onRollout?.(e);
  const report = (o: HostOutcome): void => options.onReport?.(o);
  const { order, waves, budget } = rolloutWaves(fleet, selected, spec);
  const results = new Map<number, HostOutcome>();
  let halt: RolloutHalt | null = null;

  for (const [k, wave] of waves.entries()) {
    const hosts = wave.map((i) => fleet.hosts[i]!.record);
    emit({ kind: "wave", wave: k + 1, waves: waves.length, hosts });
    if (halt !== null) {
      for (const host of hosts) {
        const o: HostOutcome = { host, status: "not-attempted", reason: `not attempted (rollout halted after wave ${halt.afterWave})`, warnings: [] };
        results.set(host.index, o);
        report(o);
      }
      continue;
    }
    await deployWave(run, wave, results, spec.soak > 0 ? () => undefined : report);
    if (spec.soak > 0) await soakWave(run, wave, results, spec.soak, report);
    const failed = order.filter((i) => countsAsFailed(results.get(i))).length;
    if (failed > budget) halt = { afterWave: k + 1, failed, budget };
  }
  if (halt !== null && options.rollbackOnHalt) await rollbackOnHalt(run, order, results, halt);
  emit({ kind: "end", summary: { spec, budget, waves: waves.map((w) => w.map((i) => fleet.hosts[i]!.record)), halt } });
  return order.map((i) => results.get(i)!);
}

/**
 * Deploy one wave through the scheduler. Producers outside `--only` that feed a host of this wave
 * and were not read yet run with it (their artifacts come from their current manifests).
 */
async function deployWave(run: RolloutRun, wave: readonly number[], results: Map<number, HostOutcome>, report: (o: HostOutcome) => void): Promise<void> {
  const { fleet, selected } = run;
  const members = new Set(wave);
  for (const i of wave) {
    for (const e of fleet.graph.incoming.get(i) ?? []) if (!selected.has(e.producer) && !results.has(e.producer)) members.add(e.producer);
  }
  const waveOrder = fleet.graph.order.filter((i) => members.has(i));
  await runScheduled(waveOrder, run.ctx.options.jobs, run.hooks(report), results);
}

/** Wait the soak, then re-run every health check of the wave's ok hosts (`--jobs` at once). */
async function soakWave(run: RolloutRun, wave: readonly number[], results: Map<number, HostOutcome>, soak: number, report: (o: HostOutcome) => void): Promise<void> {
  const { fleet, ctx } = run;
  const { options } = ctx;
  const soaking = wave.filter((i) => soaks(fleet.hosts[i]!, results.get(i)!, options.dryRun));
  if (soaking.length > 0) {
    for (const i of soaking) options.onProgress?.({ host: fleet.hosts[i]!.record, stage: `soaking ${soak}s` });
    await sleep(soak * 1000);
  }
  const soaked = new Set(soaking);
  await runScheduled<HostOutcome>(
    wave,
    options.jobs,
    {
      producers: () => [],
      resource: (i) => fleet.hosts[i]!.record.target,
      settle: (i) => (soaked.has(i) ? undefined : results.get(i)!),
      run: (i) => soakRecheck(fleet.hosts[i]!, results.get(i)!, ctx, soak),
      report: (_i, o) => report(o),
    },
    new Map(),
  ).then((rechecked) => {
    for (const [i, o] of rechecked) {
      if (o.status !== "ok" && o.status !== "skipped") run.markFailed(); // --fail-fast counts a failed re-check too
      results.set(i, o);
    }
  });
}

/**
 * Every host this rollout left on a generation it wrote (ok, or failed with the new generation
 * current), rolled back in the reverse of plan order — consumers before their producers — and
 * re-activated when the apply activated. Hosts that rolled back already are left alone.
 */
async function rollbackOnHalt(run: RolloutRun, order: readonly number[], results: Map<number, HostOutcome>, halt: RolloutHalt): Promise<void> {
  const { fleet, ctx } = run;
  const { options } = ctx;
  const moved = order.filter((i) => {
    const o = results.get(i)!;
    return (o.status === "ok" || o.status === "failed") && o.generation !== undefined;
  });
  moved.reverse();
  options.onRollout?.({ kind: "halt-rollback", hosts: moved.map((i) => fleet.hosts[i]!.record) });
  for (const i of moved) {
    const o = results.get(i)!;
    const loaded = fleet.hosts[i]!;
    const host = loaded.record;
    const warnings = [...o.warnings];
    options.onProgress?.({ host, stage: "rollback on halt" });
    try {
      const transport = await openTransport(host.target, options);
      try {
        const home = await transport.home();
        const deploymentsRoot = expandRoot(ctx.roots.deployments.raw, home, ctx.roots.deployments.origin);
        const back = new Activation(transport, { activate: options.activate, enable: options.enable });
        const activating = options.activate || options.enable;
        const rb = await rollbackHost({
          ...(activating
            ? {
                beforeStaleDeletion: back.beforeStaleDeletion,
                afterFlip: async () => {
                  warnings.push(...(await back.afterFlip()));
                },
              }
            : {}),
          transport,
          stack: host.stack,
          target: host.target,
          deploymentsRoot,
          holder: ctx.lockHolder,
          onEvent: hostEventSink(warnings, (stage) => options.onProgress?.({ host, stage })),
          record: { reason: `rollout halted after wave ${halt.afterWave}` },
        });
        // The re-activation's own output and lists replace the wave's (ADR 239).
        const redact = redactor(ctx.secretValues);
        const reactivated = activating ? back.output.map((c) => redactOutput(c, redact)) : [];
        for (const c of reactivated) for (const chunk of outputChunks(host, c)) options.onOutput?.(chunk);
        const done: HostOutcome = {
          ...o,
          ...(activating ? { activation: back.summary() } : {}),
          ...(reactivated.length > 0 ? { output: [...(o.output ?? []), ...reactivated] } : {}),
          status: "rolled-back",
          reason: `rolled back to ${genName(rb.generation)} (rollout halted after wave ${halt.afterWave})`,
          warnings,
          generation: rb.generation,
          previous: rb.was,
          restored: rb.restored,
          removed: rb.removed,
          secretSkipped: rb.secretSkipped,
        };
        results.set(i, done);
        options.onRollout?.({ kind: "halt-rolled-back", outcome: done, ok: true });
      } finally {
        await transport.close();
      }
    } catch (e) {
      if (!(e instanceof FleetError)) throw e;
      const kept: HostOutcome = { ...o, warnings: [...warnings, `rollback on halt failed: ${e.headline}`] };
      results.set(i, kept);
      options.onRollout?.({ kind: "halt-rolled-back", outcome: kept, ok: false, reason: e.headline });
    }
  }
}
