/**
 * `fleet ping` and `fleet exec` (issue 14, ADR 182): connect to each selected host (host key
 * checked, as every SSH operation) and run one command through the Transport's `run()`, up to
 * `jobs` hosts at once. Results come back in fleet-file order. Emits results; never prints.
 */
import { performance } from "node:perf_hooks";
import { FleetError, UsageError } from "../fleet-error.js";
import type { CapturedOutput } from "../captured-output.js";
import { lifecycleOf, type FleetModel, type HostRecord } from "../plan/fleet-model.js";
import { fleetMessages } from "../fleet-messages.js";
import { selectHosts } from "../plan/selection.js";
import { loadFleetFile } from "../load/fleet-load.js";
import { mapLimit } from "./map-limit.js";
import { withHooks } from "./operation-hooks.js";
import { checkTargets, openTransport, withHostSudo, type TransportOptions } from "../transport/open-transport.js";

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
  /** What the exec hooks printed (ADR 234). */
  readonly hookOutput?: readonly CapturedOutput[];
  /** A failed post hook. */
  readonly warning?: string;
}

/**
 * Selected hosts that may be contacted: decommissioned ones never are (ADR 180). The options
 * returned know which targets go through sudo (a record's `sudo`, else `--sudo`; ADR 235).
 */
function remoteHosts<T extends RemoteOptions>(options: T): { hosts: HostRecord[]; model: FleetModel; fleetDir: string; options: T } {
  if (options.transportRoot !== undefined) {
    throw new UsageError(fleetMessages.remoteNeedsSsh(options.command));
  }
  const { model, fleetDir } = loadFleetFile(options.fleetFile, []);
  checkTargets(model.hosts, options);
  const selected = selectHosts(model.hosts, options.only);
  const hosts = model.hosts.filter((h) => selected.has(h.index) && lifecycleOf(h) !== "decommissioned");
  return { hosts, model, fleetDir, options: withHostSudo(model.hosts, options) };
}

function reachError(e: unknown): { code?: string; message: string } {
  if (e instanceof UsageError) throw e;
  if (e instanceof FleetError) return { ...(e.code !== undefined ? { code: e.code } : {}), message: e.headline };
  throw e;
}

async function onHost(host: HostRecord, options: RemoteOptions, command: string, timeConnect: boolean, privileged = false): Promise<RemoteResult> {
  const started = performance.now();
  try {
    const transport = await openTransport(host.target, options);
    try {
      const connected = performance.now();
      const r = await transport.run(command, { privileged });
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
  // Ping asks who the login user is: no sudo, whatever the records say.
  const { hosts } = remoteHosts(options);
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
  const { hosts, model, fleetDir, options: withSudo } = remoteHosts(options);
  // On a sudo host (record or --sudo) the command runs as root through `sudo -n` (ADR 235).
  return mapLimit(hosts, options.jobs, async (host) => {
    const hooked = await withHooks("exec", model, host, fleetDir, () => onHost(host, withSudo, options.argv.join(" "), false, true), (r) => !r.error && r.code === 0);
    if (!hooked.result) return { host, stdout: "", stderr: "", durationMs: 0, error: { message: hooked.aborted! }, hookOutput: hooked.output };
    return { ...hooked.result, hookOutput: hooked.output, ...(hooked.warning !== undefined ? { warning: hooked.warning } : {}) };
  });
}
