/**
 * `fleet status` and `fleet verify`: read each host's current generation and compare its managed
 * files with the target (SPEC §7). Read-only — no lock, nothing written, not even the HMAC key or
 * a missing --transport-root. `status` also reads each host's history (ADR 220: the previous
 * generation, the last attempt that did not become current, the last health result) and
 * evaluates each selected host file to say whether the fleet's PCL would change the host
 * (ADR 222; no secret is resolved, nothing is built). Emits states; never prints.
 */
import { FleetError, UsageError } from "../fleet-error.js";
import { fileDrift, missingStorePaths, type FileDrift } from "../manifest/drift.js";
import { diagnosticHeadline } from "../lang/index.js";
import { listGenerations, readCurrent, readGeneration } from "../manifest/generations.js";
import type { Manifest } from "../manifest/manifest.js";
import { readRecord, type AttemptOutcome, type HealthRecord } from "../manifest/records.js";
import { currentPath, generationPath, hmacKeyPath, pendingPath, recordPath, stackDir } from "../manifest/layout.js";
import { readPending, type PendingOperation } from "../manifest/pending.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import type { ReadAhead, Transport } from "../transport/transport.js";
import { chooseRoots } from "./fleet-prepare.js";
import { loadFleetFile, loadHost, type LoadedHost } from "../load/fleet-load.js";
import type { ProgressEvent } from "./outcome.js";
import { checkTargets, openTransport, targetRoot, withHostSudo, type TransportOptions } from "../transport/open-transport.js";
import { mapLimit } from "./map-limit.js";

export interface StatusOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly scenarios: readonly string[];
  /** Accepted for symmetry with apply and validated, but never used: store paths come from manifests. */
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
  readonly only?: readonly string[];
  /** Also check that the current generation's store paths exist on the target (verify). */
  readonly checkStorePaths: boolean;
  /** Also read history and compare with the fleet's PCL (status; ADR 220, 222). */
  readonly history?: boolean;
  /** Hosts read at once; the states come back in fleet-file order whatever the timing. */
  readonly jobs: number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** A host's read finished (to retire its live line). */
  readonly onHostDone?: (host: HostRecord) => void;
}

/** What the current manifest says about the deployed generation. */
export interface DeployedGeneration {
  readonly generation: number;
  readonly previous: number | null;
  readonly deployedAt: string;
  readonly dryRun: boolean;
  readonly fileCount: number;
  /** `user@machine` (ADR 221); null for a manifest written before fleet recorded it. */
  readonly deployedBy: string | null;
  readonly sourceHash: string;
}

/** The generation the current one replaced, as its own manifest tells. */
export interface PreviousGeneration {
  readonly generation: number;
  /** null when its manifest cannot be read. */
  readonly deployedAt: string | null;
  readonly deployedBy: string | null;
}

/**
 * The newest generation on the target when it is not current: an apply that failed, was undone
 * by recovery, was rolled back (health check, rollout halt, `fleet rollback`), or is still
 * pending. `unknown`: no record (written before fleet kept them, or the record write failed).
 */
export interface LastAttempt {
  readonly generation: number;
  readonly outcome: AttemptOutcome | "interrupted" | "unknown";
  readonly reason: string | null;
  /** When and by whom it ended (null without a record). */
  readonly at: string | null;
  readonly by: string | null;
  readonly deployedAt: string | null;
  readonly deployedBy: string | null;
}

/** Would the fleet's PCL (with these scenarios) change the host? */
export interface Desired {
  readonly state: "up-to-date" | "out-of-date" | "unknown";
  /** The source hash the fleet's PCL gives now (null when the host file does not evaluate). */
  readonly sourceHash: string | null;
  /** Why the state is unknown. */
  readonly reason: string | null;
}

export interface LastHealth extends HealthRecord {
  readonly generation: number;
}

export interface HostState {
  readonly host: HostRecord;
  /** Absent when the stack was never deployed on the target (or on error). */
  readonly current?: DeployedGeneration;
  /** Managed files of the current generation that differ from it, in path order. */
  readonly drift: readonly FileDrift[];
  /** Store paths of the current generation missing on the target (only with checkStorePaths). */
  readonly missingStorePaths: readonly string[];
  /** An interrupted apply or rollback the next run will finish or undo. */
  readonly pending?: PendingOperation;
  /** The host could not be read (unreachable, corrupt manifest, …). */
  readonly error?: { readonly code?: string; readonly message: string };
  /** Status only (ADR 220, 222). */
  readonly previous?: PreviousGeneration;
  readonly lastAttempt?: LastAttempt;
  readonly health?: LastHealth;
  readonly desired?: Desired;
}

/** Read every selected host, in fleet-file order. Fleet-level problems throw (refusal/usage). */
export async function fleetStatus(options: StatusOptions): Promise<HostState[]> {
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const { model, fleetDir } = loadFleetFile(options.fleetFile, options.scenarios);
  checkTargets(model.hosts, options);
  const selected = selectHosts(model.hosts, options.only);
  const topts = withHostSudo(model.hosts, options);
  const transports = new Map<string, Promise<Transport>>();
  const transportFor = (target: string): Promise<Transport> => {
    let t = transports.get(target);
    if (!t) {
      t = openTransport(target, topts);
      transports.set(target, t);
    }
    return t;
  };
  try {
    // Decommissioned hosts are listed by `info`/`machines` only, never contacted (ADR 180).
    const hosts = model.hosts.filter((h) => selected.has(h.index) && lifecycleOf(h) !== "decommissioned");
    return await mapLimit(hosts, options.jobs, async (host) => {
      const progress = (stage: string): void => options.onProgress?.({ host, stage });
      let state = await readHostState(host, transportFor, roots.deployments, options.checkStorePaths, options.history === true, progress);
      if (options.history === true && !state.error) {
        progress("evaluate host file");
        const desired = desiredState(loadHost(fleetDir, model, host, options.scenarios), state.current);
        if (desired !== undefined) state = { ...state, desired };
      }
      options.onHostDone?.(host);
      return state;
    });
  } finally {
    for (const t of transports.values()) {
      try {
        await (await t).close();
      } catch {
        // A transport that failed to open has nothing to close.
      }
    }
  }
}

async function readHostState(
  host: HostRecord,
  transportFor: (target: string) => Promise<Transport>,
  deployments: { readonly raw: string; readonly origin: string },
  checkStore: boolean,
  history: boolean,
  progress: (stage: string) => void,
): Promise<HostState> {
  try {
    progress("connect");
    const transport = await transportFor(host.target);
    const deploymentsRoot = targetRoot(deployments, await transport.home(), transport);
    const dir = stackDir(deploymentsRoot, host.stack);
    progress("read manifest");
    // Where the transport can: pending, `current` and its manifest (and the stack's listing) in one
    // round trip, then everything the rest reads in a second (ADR 240).
    await transport.readAhead?.({ files: [pendingPath(dir)], links: [currentPath(dir)], ...(history ? { dirs: [dir] } : {}) });
    const pending = await readPending(transport, dir);
    const withPending = pending ? { pending } : {};
    const manifest = await readCurrent(transport, dir);
    if (manifest !== null || history) await transport.readAhead?.(await restReads(transport, dir, deploymentsRoot, manifest, checkStore, history));
    const past = history ? await readHistory(transport, dir, manifest, pending) : {};
    if (manifest === null) return { host, drift: [], missingStorePaths: [], ...withPending, ...past };
    progress("hash files");
    const drift = await fileDrift(transport, manifest, deploymentsRoot);
    let missing: string[] = [];
    if (checkStore) {
      progress("check store");
      missing = await missingStorePaths(transport, manifest);
    }
    return {
      host,
      current: {
        generation: manifest.generation,
        previous: manifest.previous,
        deployedAt: manifest.deployed_at,
        dryRun: manifest.dry_run,
        fileCount: manifest.files.length,
        deployedBy: manifest.deployed_by ?? null,
        sourceHash: manifest.source_hash,
      },
      drift,
      missingStorePaths: missing,
      ...withPending,
      ...past,
    };
  } catch (e) {
    return { host, drift: [], missingStorePaths: [], error: hostError(e) };
  }
}

/**
 * What a host's status reads after the current manifest: the live digests, the pinned store paths,
 * the HMAC key when secret files are managed (their bytes are read one by one, never ahead), and
 * for the history the records and manifests it shows.
 */
async function restReads(transport: Transport, dir: string, deploymentsRoot: string, manifest: Manifest | null, checkStore: boolean, history: boolean): Promise<ReadAhead> {
  const files: string[] = [];
  if (manifest?.files.some((f) => f.secret) === true) files.push(hmacKeyPath(deploymentsRoot));
  if (history) {
    if (manifest !== null) files.push(recordPath(dir, manifest.generation));
    if (manifest?.previous !== null && manifest?.previous !== undefined) files.push(generationPath(dir, manifest.previous));
    const newest = (await listGenerations(transport, dir)).at(-1);
    if (newest !== undefined && (manifest === null || newest > manifest.generation)) files.push(generationPath(dir, newest), recordPath(dir, newest));
  }
  return {
    files,
    digests: (manifest?.files ?? []).map((f) => f.path),
    storePaths: checkStore && manifest !== null && !manifest.dry_run ? manifest.store_paths : [],
  };
}

/** A manifest that cannot be read is history we do not show, not a reason to fail the host. */
async function tryManifest(transport: Transport, dir: string, n: number): Promise<Manifest | null> {
  try {
    return await readGeneration(transport, dir, n);
  } catch (e) {
    if (e instanceof FleetError) return null;
    throw e;
  }
}

/** The previous generation, the last attempt that did not become current, the last health result. */
async function readHistory(
  transport: Transport,
  dir: string,
  current: Manifest | null,
  pending: PendingOperation | null,
): Promise<Pick<HostState, "previous" | "lastAttempt" | "health">> {
  const out: { previous?: PreviousGeneration; lastAttempt?: LastAttempt; health?: LastHealth } = {};
  if (current !== null && current.previous !== null) {
    const p = await tryManifest(transport, dir, current.previous);
    out.previous = { generation: current.previous, deployedAt: p?.deployed_at ?? null, deployedBy: p?.deployed_by ?? null };
  }
  const healths: LastHealth[] = [];
  if (current !== null) {
    const r = await readRecord(transport, dir, current.generation);
    if (r?.health) healths.push({ generation: current.generation, ...r.health });
  }
  const newest = (await listGenerations(transport, dir)).at(-1);
  if (newest !== undefined && (current === null || newest > current.generation)) {
    const [m, r] = await Promise.all([tryManifest(transport, dir, newest), readRecord(transport, dir, newest)]);
    const o = r?.outcome ?? null;
    out.lastAttempt = {
      generation: newest,
      outcome: o?.outcome ?? (pending?.to === newest ? "interrupted" : "unknown"),
      reason: o?.reason ?? null,
      at: o?.at ?? null,
      by: o?.by ?? null,
      deployedAt: m?.deployed_at ?? null,
      deployedBy: m?.deployed_by ?? null,
    };
    if (r?.health) healths.push({ generation: newest, ...r.health });
  }
  const last = healths.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.generation - b.generation)).at(-1);
  if (last !== undefined) out.health = last;
  return out;
}

/** Desired vs current (ADR 222): the source hash apply would record now against the current one. */
function desiredState(loaded: LoadedHost, current: DeployedGeneration | undefined): Desired | undefined {
  if (loaded.failure) {
    const d = loaded.failure.diagnostics[0];
    const why = d !== undefined ? diagnosticHeadline(d, loaded.sources) : loaded.failure.message;
    return { state: "unknown", sourceHash: null, reason: `the host file does not evaluate: ${why}` };
  }
  if (current === undefined) return undefined;
  return { state: loaded.sourceHash === current.sourceHash ? "up-to-date" : "out-of-date", sourceHash: loaded.sourceHash, reason: null };
}

/** A host that cannot be read is reported, not fatal; usage errors and bugs still propagate. */
export function hostError(e: unknown): { code?: string; message: string } {
  if (e instanceof UsageError) throw e;
  if (e instanceof FleetError) return { ...(e.code !== undefined ? { code: e.code } : {}), message: e.headline };
  // The target's own file-system errors (EACCES, EIO, …) say what is wrong with that host.
  const sys = e as NodeJS.ErrnoException | undefined;
  if (sys instanceof Error && typeof sys.code === "string" && typeof sys.syscall === "string") {
    return { message: `cannot read the host (${sys.code} on ${sys.syscall}); check the target's permissions and disk` };
  }
  throw e;
}
