/**
 * `fleet ping` and `fleet exec` (issue 14, ADR 182): connect to each selected host (host key
 * checked, as every SSH operation) and run one command through the Transport's `run()`, up to
 * `jobs` hosts at once. Results come back in fleet-file order. Emits results; never prints.
 */
import { performance } from "node:perf_hooks";
import { FleetError, UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import { loadFleetFile } from "../load/fleet-load.js";
import { mapLimit } from "./map-limit.js";
import { checkTargets, openTransport, type TransportOptions } from "../transport/open-transport.js";

export interface RemoteOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly only?: readonly string[];
  readonly jobs: number;
  /** The command name, for the --transport-root refusal. */
  readonly command: "ping" | "exec";
}

export interface RemoteResult {
  readonly host: HostRecord;
  /** Absent when the host could not be reached. */
  readonly code?: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Connect time (ping) or command time (exec), whole milliseconds. */
  readonly durationMs: number;
  readonly user?: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

/** Selected hosts that may be contacted: decommissioned ones never are (ADR 180). */
function remoteHosts(options: RemoteOptions): HostRecord[] {
  if (options.transportRoot !== undefined) {
    throw new UsageError(fleetMessages.remoteNeedsSsh(options.command));
  }
  const { model } = loadFleetFile(options.fleetFile, []);
  checkTargets(model.hosts, options);
  const selected = selectHosts(model.hosts, options.only);
  return model.hosts.filter((h) => selected.has(h.index) && lifecycleOf(h) !== "decommissioned");
}

function reachError(e: unknown): { code?: string; message: string } {
  if (e instanceof UsageError) throw e;
  if (e instanceof FleetError) return { ...(e.code !== undefined ? { code: e.code } : {}), message: e.headline };
  throw e;
}

async function onHost(host: HostRecord, options: RemoteOptions, command: string, timeConnect: boolean): Promise<RemoteResult> {
  const started = performance.now();
  try {
    const transport = await openTransport(host.target, options);
    try {
      const connected = performance.now();
      const r = await transport.run(command);
      const durationMs = Math.round((timeConnect ? connected : performance.now()) - started);
      return { host, code: r.code, stdout: r.stdout, stderr: r.stderr, durationMs, user: transport.user };
    } finally {
      await transport.close();
    }
  } catch (e) {
    return { host, stdout: "", stderr: "", durationMs: Math.round(performance.now() - started), error: reachError(e) };
  }
}

/** Connect to each host and ask who we are there (`id -un`). */
export async function fleetPing(options: RemoteOptions): Promise<RemoteResult[]> {
  const hosts = remoteHosts(options);
  return mapLimit(hosts, options.jobs, async (host) => {
    const r = await onHost(host, options, "id -un", true);
    if (r.error || r.code !== 0) return r;
    return { ...r, user: r.stdout.trim() };
  });
}

/**
 * Run `argv` on each host. The words are joined with spaces and run by the remote shell, as
 * `ssh HOST CMD ARGS…` does (ADR 182).
 */
export async function fleetExec(options: RemoteOptions & { readonly argv: readonly string[]; readonly all: boolean }): Promise<RemoteResult[]> {
  if (options.argv.length === 0) throw new UsageError(fleetMessages.execNeedsCommand());
  if ((options.only === undefined || options.only.length === 0) && !options.all) {
    throw new UsageError(fleetMessages.execNeedsAll());
  }
  const hosts = remoteHosts(options);
  return mapLimit(hosts, options.jobs, (host) => onHost(host, options, options.argv.join(" "), false));
}
