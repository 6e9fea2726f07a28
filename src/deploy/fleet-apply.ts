/**
 * `fleet apply`: compose every host, refuse the run on fleet-level errors, then deploy hosts in
 * the stable topological order with up to `jobs` at once (SPEC §6). Emits outcomes; never prints.
 */
import { homedir, hostname } from "node:os";
import { FleetError, UsageError } from "../fleet-error.js";
import type { Diagnostic } from "../lang/diagnostic.js";
import type { ArtifactEdge } from "../plan/artifact-graph.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { planHash } from "../plan/plan-doc.js";
import { selectHosts } from "../plan/selection.js";
import { realise, storePath } from "../store/index.js";
import { chooseRoot, expandRoot, type ChosenRoot } from "../store/roots.js";
import type { LockHolder, StorePush, Transport } from "../transport/transport.js";
import { FleetRefusal, loadFleet, type LoadedFleet, type LoadedHost } from "./fleet-load.js";
import { stackDir } from "../manifest/layout.js";
import { applyHost, validateInput, type HostApplyInput } from "./host-apply.js";
import { hostEventSink, readCurrentManifest } from "./host-bridge.js";
import { failureFromError, isFailure, loadFailure, prepareMaterial, renderTargetFiles, type HostMaterial } from "./host-material.js";
import { rollbackHost } from "./host-rollback.js";
import { runHook } from "./hooks.js";
import { genName, type HostOutcome, type ProgressEvent } from "./outcome.js";
import { activate, runHealthChecks } from "./post-deploy.js";
import { runScheduled } from "./scheduler.js";
import { loadVault } from "./secret-sources.js";
import { checkTargets, openTransport, type TransportOptions } from "./transports.js";

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
}

export interface Roots {
  readonly store: ChosenRoot;
  readonly deployments: ChosenRoot;
}

export function chooseRoots(store: string | undefined, deployments: string | undefined): Roots {
  const roots = {
    store: chooseRoot(store, process.env["FLEET_STORE_DIR"], "~/.fleet/store", { flag: "--store-root", env: "FLEET_STORE_DIR" }),
    deployments: chooseRoot(deployments, process.env["FLEET_DEPLOYMENTS_DIR"], "~/.fleet/deployments", {
      flag: "--deployments-root",
      env: "FLEET_DEPLOYMENTS_DIR",
    }),
  };
  // Validate now (usage error, exit 2) with a placeholder home; each side expands for real later.
  expandRoot(roots.store.raw, "/", roots.store.origin);
  expandRoot(roots.deployments.raw, "/", roots.deployments.origin);
  return roots;
}

/** Fleet-level refusals from the artifact graph (SPEC §6): nothing is touched. */
export function refuseOnGraphProblems(fleet: LoadedFleet): void {
  const diagnostics: Diagnostic[] = [];
  const errors: FleetError[] = [];
  const name = (i: number): string => fleet.hosts[i]!.record.machine ?? fleet.hosts[i]!.record.stack;
  for (const p of fleet.graph.problems) {
    if (p.kind === "missing") {
      diagnostics.push({ code: "ARTIFACT-MISSING", message: `consumed artifact '${p.artifact}' is not produced: ${p.reason}`, span: p.span, labels: [] });
    } else if (p.kind === "no-machine") {
      const r = fleet.hosts[p.consumer]!.record;
      diagnostics.push({
        code: "E14",
        message: `host record ${r.index + 1} (${r.stack} → ${r.target}) consumes an artifact but has no 'machine'`,
        span: p.span,
        labels: [],
        hint: "add machine = \"…\" to that host record in the fleet file",
      });
    } else {
      errors.push(new FleetError("ARTIFACT-CYCLE", `artifact cycle among hosts: ${p.path.map(name).join(" → ")}`));
    }
  }
  if (diagnostics.length > 0 || errors.length > 0) {
    throw new FleetRefusal(diagnostics, [fleet.fleetSource, ...fleet.hosts.flatMap((h) => h.sources)], errors);
  }
}

/** Everything that can refuse the run, in the order a user would want to hear it. */
export function prepareApply(options: ApplyOptions): { fleet: LoadedFleet; roots: Roots; vault: ReadonlyMap<string, string> | undefined } {
  if (options.dryRun && options.transportRoot === undefined) {
    throw new UsageError("--dry-run needs --transport-root; to preview real hosts without writing anything, use 'fleet plan'");
  }
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const fleet = loadFleet(options.fleetFile, options.scenarios);
  checkTargets(fleet.model.hosts, options);
  selectHosts(fleet.model.hosts, options.only);
  const vault = loadVault(options.vaultSecrets);
  refuseOnGraphProblems(fleet);
  return { fleet, roots, vault };
}

function holder(): LockHolder {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
}

/** The first upstream edge whose producer did not end ok, for the `blocked` line. */
function blockedBy(edges: readonly ArtifactEdge[], results: ReadonlyMap<number, HostOutcome>): ArtifactEdge | undefined {
  return edges.find((e) => results.get(e.producer)?.status !== "ok");
}

export async function applyFleet(options: ApplyOptions): Promise<HostOutcome[]> {
  const { fleet, roots, vault } = prepareApply(options);
  if (options.expectPlan !== undefined) {
    const { planFor } = await import("./fleet-plan.js");
    const actual = planHash(await planFor(fleet, roots, vault, options));
    if (actual !== options.expectPlan.toLowerCase()) {
      throw new FleetError(undefined, `the plan changed: expected plan_hash ${options.expectPlan}, the fleet now plans to ${actual}; review it with 'fleet plan' and apply again`);
    }
  }
  const selected = selectHosts(fleet.model.hosts, options.only);
  const localStore = expandRoot(roots.store.raw, homedir(), roots.store.origin);
  let failedOnce = false;
  const lockHolder = holder();
  const ctx: RunContext = { options, localStore, roots, vault, lockHolder };
  const results = await runScheduled<HostOutcome>(fleet.graph.order, options.jobs, {
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
      if (options.failFast && failedOnce) return { host, status: "not-attempted", reason: "not attempted (fail-fast)", warnings: [] };
      return undefined;
    },
    run: async (i, done) => {
      if (!selected.has(i)) return currentArtifacts(fleet.hosts[i]!.record, ctx);
      const outcome = await deployOne(fleet.hosts[i]!, fleet, done, ctx);
      if (outcome.status !== "ok") failedOnce = true;
      return outcome;
    },
    report: (i: number, o: HostOutcome) => {
      if (selected.has(i)) options.onReport?.(o);
    },
  });
  return fleet.graph.order.filter((i) => selected.has(i)).map((i) => results.get(i)!);
}

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

function splitArtifact(id: string): [string, string] {
  const slash = id.indexOf("/");
  return [id.slice(0, slash), id.slice(slash + 1)];
}

interface RunContext {
  readonly options: ApplyOptions;
  readonly localStore: string;
  readonly roots: Roots;
  readonly vault: ReadonlyMap<string, string> | undefined;
  readonly lockHolder: LockHolder;
}

function errorOutcome(host: HostRecord, e: unknown): HostOutcome {
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

async function deployOne(loaded: LoadedHost, fleet: LoadedFleet, done: ReadonlyMap<number, HostOutcome>, ctx: RunContext): Promise<HostOutcome> {
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
  const targetStore = expandRoot(ctx.roots.store.raw, home, ctx.roots.store.origin);
  const deploymentsRoot = expandRoot(ctx.roots.deployments.raw, home, ctx.roots.deployments.origin);
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
    const result = await applyHost({ ...input, heldLock: lock });
    const done: HostOutcome = { host, status: "ok", warnings, generation: result.generation, previous: result.previous, artifacts: material.produced };
    if (options.dryRun) return done;
    progress("activate");
    warnings.push(...(await activate(transport, stack, options)));
    progress("health");
    const check = await runHealthChecks(transport, stack);
    if (!check) return done;
    const what = `health check '${check.name}' failed`;
    if (!options.autoRollback) return { ...done, status: "failed", reason: `${what} (${check.detail})` };
    if (result.previous === null) return { ...done, status: "failed", reason: `${what}; no previous generation` };
    progress("rollback");
    const rb = await rollbackHost({ transport, stack: stack.name, target: host.target, deploymentsRoot, holder: ctx.lockHolder, heldLock: lock, onEvent });
    warnings.push(...(await activate(transport, stack, options)));
    return { ...done, status: "rolled-back", reason: `rolled back to ${genName(rb.generation)} (${what})`, generation: rb.generation, previous: rb.was };
  } finally {
    await lock.release();
  }
}
