/**
 * One host of `fleet apply`: hooks, material, build, then on the target the per-host pipeline
 * under one lock with activation, health checks and automatic rollback (SPEC §4, §7).
 */
import { stackDir } from "../manifest/layout.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { realise, storePath } from "../store/index.js";
import type { LockHolder, StorePush, Transport } from "../transport/transport.js";
import type { ApplyOptions } from "./fleet-apply.js";
import type { LoadedFleet, LoadedHost } from "./fleet-load.js";
import { splitArtifact, type Roots } from "./fleet-prepare.js";
import { applyHost, validateInput, type HostApplyInput } from "./host-apply.js";
import { hostEventSink } from "./host-bridge.js";
import { failureFromError, isFailure, loadFailure, prepareMaterial, renderTargetFiles, type HostMaterial } from "./host-material.js";
import { healthGate } from "./health-gate.js";
import { runHook } from "./hooks.js";
import type { HostOutcome } from "./outcome.js";
import { Activation } from "./post-deploy.js";
import { openTransport, targetRoot } from "./transports.js";

export interface RunContext {
  readonly options: ApplyOptions;
  readonly localStore: string;
  readonly roots: Roots;
  readonly vault: ReadonlyMap<string, string> | undefined;
  readonly lockHolder: LockHolder;
}

export function errorOutcome(host: HostRecord, e: unknown): HostOutcome {
  return { host, warnings: [], ...failureFromError(e) };
}

/** Artifact values this host consumes, from its producers' outcomes (`machine/name` → value). */
export function consumedValues(
  fleet: LoadedFleet,
  index: number,
  producedBy: (producer: number) => Readonly<Record<string, string>> | undefined,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const e of fleet.graph.incoming.get(index) ?? []) {
    const [, name] = splitArtifact(e.artifact);
    const v = producedBy(e.producer)?.[name];
    if (v !== undefined && !values.has(e.artifact)) values.set(e.artifact, v);
  }
  return values;
}

export async function deployOne(loaded: LoadedHost, fleet: LoadedFleet, done: ReadonlyMap<number, HostOutcome>, ctx: RunContext): Promise<HostOutcome> {
  const host = loaded.record;
  const { options } = ctx;
  const progress = (stage: string): void => options.onProgress?.({ host, stage });
  const early = loadFailure(loaded);
  if (early) return { host, warnings: [], ...early };
  try {
    const pre = fleet.model.hooks.apply.pre;
    if (pre !== undefined) {
      progress("pre-hook");
      const r = await runHook(pre, host, fleet.fleetDir);
      if (!r.ok) return { host, warnings: [], status: "failed", reason: `apply pre hook failed (${r.detail})` };
    }
    progress("prepare");
    const artifactValues = consumedValues(fleet, host.index, (p) => done.get(p)?.artifacts);
    const material = await prepareMaterial(loaded, fleet.fleetDir, artifactValues, {
      ...(options.tlsCerts !== undefined ? { tlsCerts: options.tlsCerts } : {}),
      dryRun: options.dryRun,
      vault: ctx.vault,
    });
    if (isFailure(material)) return { host, warnings: [], ...material };
    if (!options.dryRun) {
      progress("build");
      await realise(material.closure, ctx.localStore);
    }
    progress("connect");
    const transport = await openTransport(host.target, options);
    try {
      const outcome = await deployOnTransport(transport, loaded, material, ctx, progress);
      const post = fleet.model.hooks.apply.post;
      if (post !== undefined && outcome.status === "ok") {
        progress("post-hook");
        const r = await runHook(post, host, fleet.fleetDir);
        if (!r.ok) return { ...outcome, warnings: [...outcome.warnings, `apply post hook failed (${r.detail})`] };
      }
      return outcome;
    } finally {
      await transport.close();
    }
  } catch (e) {
    return errorOutcome(host, e);
  }
}

async function deployOnTransport(
  transport: Transport,
  loaded: LoadedHost,
  material: HostMaterial,
  ctx: RunContext,
  progress: (stage: string) => void,
): Promise<HostOutcome> {
  const host = loaded.record;
  const stack = material.stack;
  const { options } = ctx;
  const home = await transport.home();
  const targetStore = targetRoot(ctx.roots.store, home, transport);
  const deploymentsRoot = targetRoot(ctx.roots.deployments, home, transport);
  progress("render");
  const { files, storePaths, services } = renderTargetFiles(material, targetStore);
  const storePushes: StorePush[] = options.dryRun
    ? []
    : material.closure.paths.map((p) => ({ localPath: storePath(ctx.localStore, p.base), remotePath: storePath(targetStore, p.base) }));
  progress("deploy");
  const warnings: string[] = [];
  const onEvent = hostEventSink(warnings, progress);
  const input: HostApplyInput = {
    onEvent,
    storeRoot: targetStore,
    transport,
    stack: stack.name,
    target: host.target,
    machine: host.machine,
    deploymentsRoot,
    files,
    storePushes,
    storePaths,
    services,
    artifacts: material.produced,
    artifactRefs: [...new Set(stack.artifactRefs.map((r) => r.id))],
    sourceHash: loaded.sourceHash,
    backend: stack.backend,
    dryRun: options.dryRun,
    clock: options.clock,
    holder: ctx.lockHolder,
    ...(options.dieAt !== undefined ? { dieAt: options.dieAt } : {}),
  };
  validateInput(input); // before the lock: input no generation could hold leaves the host untouched
  // One lock for the whole host operation, so no other fleet process can slip in between the
  // flip, the health checks and an automatic rollback.
  const lock = await transport.acquireLock(stackDir(deploymentsRoot, stack.name), ctx.lockHolder);
  if (lock.takeover !== undefined) warnings.push(lock.takeover);
  try {
    const activating = !options.dryRun && (options.activate || options.enable);
    const flags = { activate: options.activate, enable: options.enable };
    const act = new Activation(transport, flags);
    const result = await applyHost({ ...input, heldLock: lock, ...(activating ? { beforeStaleDeletion: act.beforeStaleDeletion } : {}) });
    const done: HostOutcome = { host, status: "ok", warnings, generation: result.generation, previous: result.previous, artifacts: material.produced };
    if (options.dryRun) return done;
    progress("activate");
    if (activating) warnings.push(...(await act.afterFlip()));
    return await healthGate({
      transport,
      host,
      stack,
      deploymentsRoot,
      holder: ctx.lockHolder,
      lock,
      options,
      passed: activating ? { ...done, activation: act.summary() } : done,
      warnings,
      onEvent,
      progress,
      when: "",
    });
  } finally {
    await lock.release();
  }
}
