/**
 * `fleet status` and `fleet verify`: read each host's current generation and compare its managed
 * files with the target (SPEC §7). Read-only — no lock, no evaluation of host files, nothing
 * written, not even the HMAC key or a missing --transport-root. Emits states; never prints.
 */
import { FleetError, UsageError } from "../fleet-error.js";
import { fileDrift, missingStorePaths, type FileDrift } from "../manifest/drift.js";
import { readCurrent } from "../manifest/generations.js";
import { stackDir } from "../manifest/layout.js";
import { readPending, type PendingOperation } from "../manifest/pending.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import type { Transport } from "../transport/transport.js";
import { chooseRoots } from "./fleet-prepare.js";
import { loadFleetFile } from "../load/fleet-load.js";
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
}

/** Read every selected host, in fleet-file order. Fleet-level problems throw (refusal/usage). */
export async function fleetStatus(options: StatusOptions): Promise<HostState[]> {
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const { model } = loadFleetFile(options.fleetFile, options.scenarios);
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
      const state = await readHostState(host, transportFor, roots.deployments, options.checkStorePaths, progress);
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
  progress: (stage: string) => void,
): Promise<HostState> {
  try {
    progress("connect");
    const transport = await transportFor(host.target);
    const deploymentsRoot = targetRoot(deployments, await transport.home(), transport);
    const dir = stackDir(deploymentsRoot, host.stack);
    progress("read manifest");
    const pending = await readPending(transport, dir);
    const withPending = pending ? { pending } : {};
    const manifest = await readCurrent(transport, dir);
    if (manifest === null) return { host, drift: [], missingStorePaths: [], ...withPending };
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
      },
      drift,
      missingStorePaths: missing,
      ...withPending,
    };
  } catch (e) {
    return { host, drift: [], missingStorePaths: [], error: hostError(e) };
  }
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
