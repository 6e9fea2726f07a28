/**
 * `fleet plan`: what `apply` would do, without writing anything (SPEC §7). Composes every host as
 * apply does, reads each target's current manifest and live files when reachable, and lists per
 * host the files to add, change or remove and the store paths to push.
 */
import { createHash } from "node:crypto";
import { FleetError } from "../fleet-error.js";
import { type Diagnostic, diagnosticHeadline, type SourceFile, locationOf } from "../lang/index.js";
import { fileDiff, type FileDiff } from "../plan/file-diff.js";
import { levelsOf, type PlanDoc, type PlanEdge, type PlanFile, type PlanHost, type PlanHostId, type PlanRollout } from "../plan/plan-doc.js";
import { chooseRollout, hostCountText, type RolloutSpec } from "../plan/rollout.js";
import { selectHosts } from "../plan/selection.js";
import { lifecycleOf } from "../plan/fleet-model.js";
import { modeString } from "../manifest/manifest.js";
import { storePath } from "../store/index.js";
import type { Transport } from "../transport/transport.js";
import { consumedValues } from "../plan/artifact-values.js";
import { prepareRun, type Roots } from "./fleet-prepare.js";
import type { LoadedFleet, LoadedHost } from "../load/fleet-load.js";
import { rolloutWaves } from "./fleet-rollout.js";
import { readCurrentManifest } from "../manifest/generations.js";
import { isFailure, prepareMaterial, renderTargetFiles, type HostMaterial } from "./host-material.js";
import type { PlanOptions } from "./run-options.js";
import { runScheduled } from "./scheduler.js";
import { openTransport, targetRoot, withHostSudo, type TransportOptions } from "../transport/open-transport.js";

/**
 * What a plan knows beyond its hashed document, keyed by host position: the diagnostics of a
 * host that would fail (to render them as apply does) and the file diffs under `diff`.
 */
export interface PlanHostDetail {
  /** The reason apply's `✗` line would give ("" when it is the first diagnostic's headline). */
  readonly reason?: string;
  readonly code?: string;
  readonly diagnostics?: readonly Diagnostic[];
  readonly sources?: readonly SourceFile[];
  readonly diffs?: readonly FileDiff[];
  /** Under `diff`: store path base names of the current generation and of the planned one, sorted. */
  readonly store?: { readonly before: readonly string[]; readonly after: readonly string[] };
}
export type PlanDetails = Map<number, PlanHostDetail>;

function id(h: LoadedHost): PlanHostId {
  return { stack: h.record.stack, target: h.record.target };
}

export async function computePlan(options: PlanOptions, details?: PlanDetails): Promise<PlanDoc> {
  const { fleet, roots, vault } = prepareRun(options);
  return planFor(fleet, roots, vault, options, chooseRollout(fleet.model.rollout, options.rollout ?? {}), details);
}

export async function planFor(
  fleet: LoadedFleet,
  roots: Roots,
  vault: ReadonlyMap<string, string> | undefined,
  planOptions: PlanOptions,
  rollout: RolloutSpec | undefined,
  details: PlanDetails = new Map(),
): Promise<PlanDoc> {
  const options = withHostSudo(fleet.model.hosts, planOptions);
  // As apply: decommissioned hosts are never read, maintenance hosts are skipped (ADR 180, 236).
  const selected = new Set([...selectHosts(fleet.model.hosts, options.only)].filter((i) => lifecycleOf(fleet.model.hosts[i]!) !== "decommissioned"));
  const skipped = (i: number): boolean => !options.includeMaintenance && lifecycleOf(fleet.model.hosts[i]!) === "maintenance";
  const sources = [fleet.fleetSource, ...fleet.hosts.flatMap((h) => h.sources)];
  const producers = (i: number) => [...new Set((fleet.graph.incoming.get(i) ?? []).map((e) => e.producer))];
  const level = levelsOf(fleet.graph.order, producers);
  const produced = new Map<number, Readonly<Record<string, string>>>();
  const status = new Map<number, PlanHost["status"]>();
  // Hosts are read concurrently (a consumer after its producers); the document is in plan order.
  const planned = await runScheduled<PlanHost | null>(fleet.graph.order, options.jobs ?? 1, {
    producers,
    resource: (i) => fleet.hosts[i]!.record.target,
    settle: () => undefined,
    run: async (i) => {
      const loaded = fleet.hosts[i]!;
      if (!selected.has(i) || skipped(i)) {
        // Producers outside --only, and maintenance hosts, are read from their current manifests, never redeployed.
        const m =
          lifecycleOf(loaded.record) === "decommissioned"
            ? null
            : await withTransport(loaded.record.target, options, async (t) => {
                const home = await t.home();
                return readCurrentManifest(t, targetRoot(roots.deployments, home, t), loaded.record.stack);
              }).catch(() => null);
        if (m) produced.set(i, m.artifacts);
        status.set(i, m ? "ready" : "failed");
        if (!selected.has(i)) return null;
        return skippedHost(loaded, level.get(i) ?? 0, m?.generation ?? null);
      }
      const host = await planHost(fleet, loaded, level.get(i) ?? 0, roots, vault, options, produced, status, sources, details);
      status.set(i, host.status);
      return host;
    },
  });
  const hosts = fleet.graph.order.map((i) => planned.get(i)).filter((h): h is PlanHost => h !== null && h !== undefined);
  const edges: PlanEdge[] = fleet.graph.edges
    .filter((e) => selected.has(e.consumer))
    .map((e) => ({ producer: id(fleet.hosts[e.producer]!), consumer: id(fleet.hosts[e.consumer]!), artifact: e.artifact, at: locationOf(e.span, sources) }));
  const maxLevel = Math.max(-1, ...hosts.map((h) => h.level));
  const levels = Array.from({ length: maxLevel + 1 }, (_, l) => hosts.filter((h) => h.level === l).map((h) => ({ stack: h.stack, target: h.target })));
  return {
    fleet: fleet.fleetSource.path,
    scenarios: [...options.scenarios].sort(),
    only: [...(options.only ?? [])].sort(),
    levels,
    edges,
    hosts,
    ...(rollout !== undefined ? { rollout: planRollout(fleet, selected, rollout) } : {}),
  };
}

/** A maintenance host in the plan: `skipped (maintenance)`, as apply's ⊘ line says (ADR 236). */
function skippedHost(loaded: LoadedHost, level: number, generation: number | null): PlanHost {
  const r = loaded.record;
  return {
    stack: r.stack,
    target: r.target,
    machine: r.machine,
    tags: [...r.tags],
    position: r.index,
    level,
    status: "skipped",
    error: "skipped (maintenance)", // apply's ⊘ reason, word for word
    generation,
    add: [],
    change: [],
    remove: [],
    push: [],
    artifacts_consumed: loaded.stack ? [...new Set(loaded.stack.artifactRefs.map((a) => a.id))].sort() : [],
    artifacts_produced: loaded.stack ? loaded.stack.producesArtifacts.map((a) => a.name).sort() : [],
  };
}

/** The waves apply would cut, exactly as fleet-rollout.ts cuts them. */
function planRollout(fleet: LoadedFleet, selected: ReadonlySet<number>, spec: RolloutSpec): PlanRollout {
  const { waves, budget } = rolloutWaves(fleet, selected, spec);
  return {
    waves: waves.map((w) => w.map((i) => id(fleet.hosts[i]!))),
    sizes: spec.waves.map(hostCountText),
    max_failed: hostCountText(spec.maxFailed),
    budget,
    soak: spec.soak,
  };
}

async function withTransport<T>(target: string, options: TransportOptions, f: (t: Transport) => Promise<T>): Promise<T> {
  const t = await openTransport(target, options);
  try {
    return await f(t);
  } finally {
    await t.close();
  }
}

async function planHost(
  fleet: LoadedFleet,
  loaded: LoadedHost,
  level: number,
  roots: Roots,
  vault: ReadonlyMap<string, string> | undefined,
  options: PlanOptions,
  produced: Map<number, Readonly<Record<string, string>>>,
  status: ReadonlyMap<number, PlanHost["status"]>,
  sources: readonly SourceFile[],
  details: PlanDetails,
): Promise<PlanHost> {
  const r = loaded.record;
  const base = {
    stack: r.stack,
    target: r.target,
    machine: r.machine,
    tags: [...r.tags],
    position: r.index,
    level,
    generation: null,
    add: [],
    change: [],
    remove: [],
    push: [],
    artifacts_consumed: loaded.stack ? [...new Set(loaded.stack.artifactRefs.map((a) => a.id))].sort() : [],
    artifacts_produced: loaded.stack ? loaded.stack.producesArtifacts.map((a) => a.name).sort() : [],
  };
  const blocked = (fleet.graph.incoming.get(r.index) ?? []).find((e) => status.get(e.producer) !== "ready");
  if (blocked) {
    const [m, n] = [blocked.artifact.slice(0, blocked.artifact.indexOf("/")), blocked.artifact.slice(blocked.artifact.indexOf("/") + 1)];
    return { ...base, status: "blocked", error: `blocked — upstream ${m}:${n} unavailable` };
  }
  const material = await prepareMaterial(loaded, fleet.fleetDir, consumedValues(fleet.graph, r.index, (p) => produced.get(p)), {
    ...(options.tlsCerts !== undefined ? { tlsCerts: options.tlsCerts } : {}),
    dryRun: false,
    vault,
  });
  if (isFailure(material)) {
    const error =
      material.reason !== undefined && material.reason !== ""
        ? material.reason
        : material.diagnostics && material.diagnostics.length > 0
          ? diagnosticHeadline(material.diagnostics[0]!, sources)
          : "failed";
    details.set(r.index, {
      reason: material.reason ?? "",
      ...(material.code !== undefined ? { code: material.code } : {}),
      ...(material.diagnostics ? { diagnostics: material.diagnostics, sources: material.sources ?? sources } : {}),
    });
    return { ...base, status: "failed", error };
  }
  produced.set(r.index, material.produced);
  try {
    return await withTransport(r.target, options, (t) => diffTarget(t, material, roots, base, options.diff === true ? details : undefined));
  } catch (e) {
    if (!(e instanceof FleetError)) throw e;
    details.set(r.index, { reason: e.headline, ...(e.code !== undefined ? { code: e.code } : {}) });
    return { ...base, status: "failed", error: e.headline };
  }
}

async function diffTarget(
  t: Transport,
  material: HostMaterial,
  roots: Roots,
  base: Omit<PlanHost, "status">,
  details: PlanDetails | undefined,
): Promise<PlanHost> {
  const home = await t.home();
  const targetStore = targetRoot(roots.store, home, t);
  const deploymentsRoot = targetRoot(roots.deployments, home, t);
  const { files } = renderTargetFiles(material, targetStore);
  const current = await readCurrentManifest(t, deploymentsRoot, base.stack);
  const digests = await t.digestFiles(files.map((f) => f.path));
  const add: PlanFile[] = [];
  const change: PlanFile[] = [];
  for (const [k, f] of files.entries()) {
    const mode = modeString(f.mode);
    const entry: PlanFile = f.secret ? { path: f.path, mode, secret: true } : { path: f.path, mode, sha256: sha256(f.content) };
    const live = digests[k];
    if (!live) add.push(entry);
    else if (live.mode !== f.mode || live.sha256 !== sha256(f.content)) change.push(entry);
  }
  const declared = new Set(files.map((f) => f.path));
  const remove = (current?.files ?? []).filter((f) => !declared.has(f.path)).map((f) => ({ path: f.path }));
  const bases = material.closure.paths.map((p) => p.base);
  const present = await t.storePathsPresent(bases.map((b) => storePath(targetStore, b)));
  const push = bases.filter((_, k) => !present[k]).sort();
  if (details) {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const diffs: FileDiff[] = [];
    for (const e of [...add, ...change]) {
      const f = byPath.get(e.path)!;
      // A secret file's live bytes are never read, so they cannot reach the output.
      const before = add.includes(e) ? null : f.secret ? Buffer.alloc(0) : ((await t.readFile(f.path)) ?? Buffer.alloc(0));
      diffs.push(fileDiff({ path: f.path, secret: f.secret, before, after: f.content }));
    }
    for (const rm of remove) {
      const secret = current?.files.find((f) => f.path === rm.path)?.secret === true;
      diffs.push(fileDiff({ path: rm.path, secret, before: secret ? Buffer.alloc(0) : ((await t.readFile(rm.path)) ?? Buffer.alloc(0)), after: null }));
    }
    const before = (current?.store_paths ?? []).map((p) => p.slice(p.lastIndexOf("/") + 1)).sort();
    details.set(base.position, { diffs, store: { before, after: [...bases].sort() } });
  }
  return { ...base, status: "ready", generation: current?.generation ?? null, add, change, remove, push };
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}
