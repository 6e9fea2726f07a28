/**
 * `fleet reboot` (issue 14, ADR 183): ask each selected host to reboot, then (unless `noWait`)
 * reconnect until it answers with a new boot id, bounded by `waitTimeoutMs`. Up to `jobs` hosts
 * at once; results in fleet-file order. Emits results; never prints.
 */
import { performance } from "node:perf_hooks";
import { FleetError, UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import type { Transport } from "../transport/transport.js";
import { loadFleetFile } from "../load/fleet-load.js";
import type { CapturedOutput } from "../captured-output.js";
import { mapLimit } from "./map-limit.js";
import { withHooks } from "./operation-hooks.js";
import { checkTargets, openTransport, type TransportOptions } from "../transport/open-transport.js";

export interface RebootOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly only?: readonly string[];
  readonly all: boolean;
  readonly jobs: number;
  readonly wait: boolean;
  readonly waitTimeoutMs: number;
  /** Between two reconnection attempts. */
  readonly pollMs?: number;
  readonly onProgress?: (host: HostRecord, stage: string) => void;
}

export interface RebootResult {
  readonly host: HostRecord;
  readonly ok: boolean;
  readonly previousBootId?: string;
  /** Absent with --no-wait. */
  readonly bootId?: string;
  readonly durationMs: number;
  readonly error?: string;
  /** What the reboot hooks printed (ADR 234). */
  readonly hookOutput?: readonly CapturedOutput[];
  /** A failed post hook. */
  readonly warning?: string;
}

const BOOT_ID = "cat /proc/sys/kernel/random/boot_id";

/**
 * The reboot is scheduled a second ahead by systemd (a transient timer), so the command returns
 * cleanly before the connection goes down; a non-root user goes through `sudo -n`.
 */
function rebootCommand(user: string): string {
  const sudo = user === "root" ? "" : "sudo -n ";
  return `${sudo}systemd-run --quiet --on-active=1 --timer-property=AccuracySec=100ms systemctl reboot`;
}

async function readBootId(t: Transport): Promise<string> {
  const r = await t.run(BOOT_ID);
  const id = r.stdout.trim();
  if (r.code !== 0 || !/^[0-9a-f-]{36}$/.test(id)) throw new FleetError(fleetMessages.bootIdUnreadable(BOOT_ID, r.code));
  return id;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function rebootOne(host: HostRecord, options: RebootOptions): Promise<RebootResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let previous: string;
  try {
    options.onProgress?.(host, "connect");
    const t = await openTransport(host.target, options);
    try {
      previous = await readBootId(t);
      options.onProgress?.(host, "reboot");
      const r = await t.run(rebootCommand(t.user));
      if (r.code !== 0) {
        const why = r.stderr.trim().split("\n").pop() ?? "";
        return { host, ok: false, previousBootId: previous, durationMs: elapsed(), error: `the reboot was refused (exit ${r.code}${why ? `: ${why}` : ""})` };
      }
    } finally {
      await t.close().catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof UsageError || !(e instanceof FleetError)) throw e;
    return { host, ok: false, durationMs: elapsed(), error: e.headline };
  }
  if (!options.wait) return { host, ok: true, previousBootId: previous, durationMs: elapsed() };
  options.onProgress?.(host, "wait for boot");
  const deadline = started + options.waitTimeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    await sleep(options.pollMs ?? 1000);
    try {
      const t = await openTransport(host.target, { ...options, connectTimeoutMs: Math.max(1000, Math.min(options.connectTimeoutMs ?? 5000, deadline - performance.now())) });
      try {
        const id = await readBootId(t);
        if (id !== previous) return { host, ok: true, previousBootId: previous, bootId: id, durationMs: elapsed() };
        last = "still on the previous boot";
      } finally {
        await t.close().catch(() => undefined);
      }
    } catch (e) {
      if (e instanceof UsageError || !(e instanceof FleetError)) throw e;
      last = e.headline;
    }
  }
  const secs = Math.round(options.waitTimeoutMs / 1000);
  return { host, ok: false, previousBootId: previous, durationMs: elapsed(), error: `did not come back within ${secs} s${last ? ` (last: ${last})` : ""}` };
}

export async function fleetReboot(options: RebootOptions): Promise<RebootResult[]> {
  if (options.transportRoot !== undefined) {
    throw new UsageError(fleetMessages.rebootNeedsSsh());
  }
  if ((options.only === undefined || options.only.length === 0) && !options.all) {
    throw new UsageError(fleetMessages.rebootNeedsAll());
  }
  const { model, fleetDir } = loadFleetFile(options.fleetFile, []);
  checkTargets(model.hosts, options);
  const selected = selectHosts(model.hosts, options.only);
  const hosts = model.hosts.filter((h) => selected.has(h.index) && lifecycleOf(h) !== "decommissioned");
  // Records sharing a target are one machine: rebooted once, the result reported for each.
  const firsts = hosts.filter((h, i) => hosts.findIndex((o) => o.target === h.target) === i);
  // With hooks.reboot, each machine's reboot runs between its pre and post hooks (ADR 234).
  const done = await mapLimit(firsts, options.jobs, async (h): Promise<RebootResult> => {
    const hooked = await withHooks("reboot", model, h, fleetDir, () => rebootOne(h, options), (r) => r.ok);
    if (!hooked.result) return { host: h, ok: false, durationMs: 0, error: hooked.aborted!, hookOutput: hooked.output };
    return { ...hooked.result, hookOutput: hooked.output, ...(hooked.warning !== undefined ? { warning: hooked.warning } : {}) };
  });
  return hosts.map((h) => ({ ...done[firsts.findIndex((f) => f.target === h.target)]!, host: h }));
}
