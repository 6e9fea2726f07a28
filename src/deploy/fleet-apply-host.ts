/**
 * One host of `fleet apply`: hooks, material, build, then on the target the per-host pipeline
 * under one lock with activation, health checks and automatic rollback (SPEC §4, §7).
 */
import { stackDir } from "../manifest/layout.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { realise, storePath } from "../store/index.js";
import type { LockHolder, StorePush, Transport } from "../transport/transport.js";
import type { ApplyOptions } from "./run-options.js";
import type { LoadedFleet, LoadedHost } from "../load/fleet-load.js";
import { consumedValues } from "../plan/artifact-values.js";
import type { Roots } from "./fleet-prepare.js";
import { applyHost, applyReads, validateInput, type HostApplyInput } from "./host-apply.js";
import { hostEventSink } from "./host-event-sink.js";
import { failureFromError, isFailure, loadFailure, prepareMaterial, renderTargetFiles, type HostMaterial } from "./host-material.js";
import { healthGate } from "./health-gate.js";
import { runHook } from "./hooks.js";
import { outputChunks, type HostOutcome, type OutputChunk } from "./outcome.js";
import { BuildFailedError } from "../store/build-shell.js";
import { redactOutput, redactor, type CapturedOutput } from "../captured-output.js";
import { Activation } from "./post-deploy.js";
import { openTransport, targetRoot } from "../transport/open-transport.js";
import { deployerName } from "./deployer.js";
import { recordFailedApply } from "./attempt-record.js";

export interface RunContext {
  readonly options: ApplyOptions;
  readonly localStore: string;
  readonly roots: Roots;
  readonly vault: ReadonlyMap<string, string> | undefined;
  readonly lockHolder: LockHolder;
  /** Every secret value the fleet's hosts reference that fleet can see (env, vault): redacted from captured output. */
  readonly secretValues: readonly string[];
}

/** The from_env and from_vault values every host of the fleet references (their union). */
export function fleetSecretValues(fleet: LoadedFleet, vault: ReadonlyMap<string, string> | undefined): string[] {
  const values = new Set<string>(vault?.values() ?? []);
  for (const h of fleet.hosts) {
    for (const r of h.stack?.secretRefs ?? []) {
      const v = r.ref === "from_env" ? process.env[r.name] : undefined;
      if (v !== undefined) values.add(v);
    }
  }
  return [...values];
}

export function errorOutcome(host: HostRecord, e: unknown): HostOutcome {
  return { host, warnings: [], ...failureFromError(e), ...(e instanceof BuildFailedError ? { output: [e.output] } : {}) };
}

export async function deployOne(loaded: LoadedHost, fleet: LoadedFleet, done: ReadonlyMap<number, HostOutcome>, ctx: RunContext): Promise<HostOutcome> {
  const host = loaded.record;
  const { options } = ctx;
  const progress = (stage: string): void => options.onProgress?.({ host, stage });
  const early = loadFailure(loaded);
  if (early) return { host, warnings: [], ...early };
  // Hooks inherit fleet's environment, so anything they print is redacted with every secret value
  // of the fleet fleet can see, and this host's resolved material once known.
  let secretValues: Iterable<string> = ctx.secretValues;
  const output: CapturedOutput[] = [];
  const finish = (o: HostOutcome): HostOutcome => {
    const redact = redactor(secretValues);
    const all = [...output, ...(o.output ?? [])].map((c) => redactOutput(c, redact));
    // A hook's reason quotes its last stderr line, which may hold what it printed.
    const said = {
      ...o,
      warnings: o.warnings.map(redact),
      ...(o.reason !== undefined ? { reason: redact(o.reason) } : {}),
      ...(o.health !== undefined ? { health: o.health.map((h) => ({ ...h, outputTail: h.outputTail.map(redact), error: h.error === null ? null : redact(h.error) })) } : {}),
    };
    return all.length > 0 ? { ...said, output: all } : said;
  };
  const live = (c: OutputChunk): void => {
    if (!options.onOutput) return;
    const redact = redactor(secretValues);
    options.onOutput({ ...c, text: redact(c.text) });
  };
  try {
    const pre = fleet.model.hooks.apply.pre;
    if (pre !== undefined) {
      progress("running apply pre hook");
      const r = await runHook(pre, host, fleet.fleetDir, "apply pre hook", live);
      output.push(r.output);
      if (!r.ok) return finish({ host, warnings: [], status: "failed", reason: `apply pre hook failed (${r.detail})` });
    }
    progress("preparing");
    const artifactValues = consumedValues(fleet.graph, host.index, (p) => done.get(p)?.artifacts);
    const material = await prepareMaterial(loaded, fleet.fleetDir, artifactValues, {
      ...(options.tlsCerts !== undefined ? { tlsCerts: options.tlsCerts } : {}),
      dryRun: options.dryRun,
      vault: ctx.vault,
    });
    if (isFailure(material)) return finish({ host, warnings: [], ...material });
    secretValues = [...ctx.secretValues, ...material.secrets.values()];
    if (!options.dryRun) {
      progress(`building ${material.closure.paths.length} store path(s)`);
      await realise(material.closure, ctx.localStore, {
        onEvent: (e) => {
          if (e.type === "build-start") progress(`building ${e.module}`);
          else if (e.type === "build-output") live({ host, step: `build of package '${e.module}'`, stream: e.stream, text: e.text });
        },
      });
    }
    progress("connecting");
    const transport = await openTransport(host.target, options);
    try {
      const outcome = await deployOnTransport(transport, loaded, material, ctx, progress, output, live);
      const post = fleet.model.hooks.apply.post;
      if (post !== undefined && outcome.status === "ok") {
        progress("running apply post hook");
        const r = await runHook(post, host, fleet.fleetDir, "apply post hook", live);
        output.push(r.output);
        if (!r.ok) return finish({ ...outcome, warnings: [...outcome.warnings, `apply post hook failed (${r.detail})`] });
      }
      return finish(outcome);
    } finally {
      await transport.close();
    }
  } catch (e) {
    return finish(errorOutcome(host, e));
  }
}

async function deployOnTransport(
  transport: Transport,
  loaded: LoadedHost,
  material: HostMaterial,
  ctx: RunContext,
  progress: (stage: string) => void,
  output: CapturedOutput[],
  live: (c: OutputChunk) => void,
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
  const onEvent = hostEventSink(warnings, progress, { storePaths: storePushes.length, files: files.length });
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
    deployedBy: deployerName(),
    holder: ctx.lockHolder,
    ...(options.dieAt !== undefined ? { dieAt: options.dieAt } : {}),
  };
  validateInput(input); // before the lock: input no generation could hold leaves the host untouched
  // One lock for the whole host operation, so no other fleet process can slip in between the
  // flip, the health checks and an automatic rollback.
  const lock = await transport.acquireLock(stackDir(deploymentsRoot, stack.name), ctx.lockHolder, applyReads(input));
  if (lock.takeover !== undefined) warnings.push(lock.takeover);
  try {
    const activating = !options.dryRun && (options.activate || options.enable);
    const flags = { activate: options.activate, enable: options.enable };
    const act = new Activation(transport, flags);
    const redact = redactor([...ctx.secretValues, ...material.secrets.values()]);
    const result = await applyHost({
      ...input,
      heldLock: lock,
      readAheadWithLock: lock.readAhead === true,
      releaseWithFlip: !activating && stack.healthChecks.length === 0,
      ...(activating ? { beforeStaleDeletion: act.beforeStaleDeletion } : {}) }).catch(
      async (e: unknown) => {
        // The generation this run wrote stays pending; say why for `fleet status` (ADR 220).
        await recordFailedApply(transport, stackDir(deploymentsRoot, stack.name), e, redact);
        throw e;
      },
    );
    const done: HostOutcome = { host, status: "ok", warnings, generation: result.generation, previous: result.previous, artifacts: material.produced };
    if (options.dryRun) return done;
    if (activating) {
      progress("activating units");
      warnings.push(...(await act.afterFlip()));
      for (const c of act.output) {
        output.push(c);
        emitLines(live, host, c);
      }
    }
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
      redact,
      by: input.deployedBy!,
      output,
      onOutput: (c) => emitLines(live, host, c),
    });
  } finally {
    await lock.release();
  }
}

/** Output of a remote command arrives whole: `-v` gets it when the command ends. */
function emitLines(live: (c: OutputChunk) => void, host: HostRecord, c: CapturedOutput): void {
  for (const chunk of outputChunks(host, c)) live(chunk);
}
