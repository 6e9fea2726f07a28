/**
 * The soak re-check of a rollout wave (ADR 160): after the wait, every health check of a host that
 * ended ok runs again, under the host's lock; a failure ends the host exactly as a failed check
 * right after the flip does (health-gate.ts).
 */
import { FleetError } from "../fleet-error.js";
import { stackDir } from "../manifest/layout.js";
import { expandRoot } from "../store/roots.js";
import type { RunContext } from "./fleet-apply-host.js";
import type { LoadedHost } from "../load/fleet-load.js";
import { healthGate } from "./health-gate.js";
import { hostEventSink } from "./host-event-sink.js";
import { readCurrentManifest } from "../manifest/generations.js";
import { genName, type HostOutcome } from "./outcome.js";
import { openTransport } from "../transport/open-transport.js";
import { redactor } from "../captured-output.js";

/** Does this outcome get a soak re-check? An ok host with health checks, on a real apply. */
export function soaks(loaded: LoadedHost, outcome: HostOutcome, dryRun: boolean): boolean {
  return !dryRun && outcome.status === "ok" && outcome.generation !== undefined && (loaded.stack?.healthChecks.length ?? 0) > 0;
}

export async function soakRecheck(loaded: LoadedHost, outcome: HostOutcome, ctx: RunContext, soakSeconds: number): Promise<HostOutcome> {
  const stack = loaded.stack;
  if (!stack || !soaks(loaded, outcome, ctx.options.dryRun)) return outcome;
  const host = loaded.record;
  const progress = (stage: string): void => ctx.options.onProgress?.({ host, stage: `soak ${stage}` });
  const warnings = [...outcome.warnings];
  try {
    const transport = await openTransport(host.target, ctx.options);
    try {
      const home = await transport.home();
      const deploymentsRoot = expandRoot(ctx.roots.deployments.raw, home, ctx.roots.deployments.origin);
      const lock = await transport.acquireLock(stackDir(deploymentsRoot, stack.name), ctx.lockHolder);
      if (lock.takeover !== undefined) warnings.push(lock.takeover);
      try {
        // Another fleet process may have deployed or rolled back between the wave and its soak:
        // its generation is not this rollout's to judge or roll back.
        const current = await readCurrentManifest(transport, deploymentsRoot, stack.name);
        if (current?.generation !== outcome.generation) {
          const now = current ? `now ${genName(current.generation)}` : "now none";
          const { generation: _g, previous: _p, ...rest } = outcome;
          return { ...rest, warnings, status: "failed", reason: `the current generation changed during the soak (${now}); not re-checked` };
        }
        return await healthGate({
          transport,
          host,
          stack,
          deploymentsRoot,
          holder: ctx.lockHolder,
          lock,
          options: ctx.options,
          passed: { ...outcome, warnings },
          warnings,
          onEvent: hostEventSink(warnings, progress),
          progress,
          when: ` after ${soakSeconds}s soak`,
          redact: redactor(ctx.secretValues),
        });
      } finally {
        await lock.release();
      }
    } finally {
      await transport.close();
    }
  } catch (e) {
    if (!(e instanceof FleetError)) throw e;
    return { ...outcome, warnings, status: "failed", reason: `soak re-check: ${e.headline}`, ...(e.code !== undefined ? { code: e.code } : {}) };
  }
}
