/**
 * SIGINT and SIGTERM during `fleet apply` / `fleet rollback` (ADR 138): say which hosts finished,
 * which were interrupted and what the next run does about them, release every host lock this
 * process holds, and exit 130 (SIGINT) or 143 (SIGTERM). Hosts already reported keep their lines;
 * hosts that finished but were not yet reported (plan order) are reported now.
 */
import { releaseHeldLocks } from "../transport/open-transport.js";
import type { HostOutcome, ProgressEvent } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import type { Output } from "./output.js";

export interface InterruptWatch {
  /** Pass to the orchestrator's onPlan / onProgress / onFinish / onReport. */
  plan(hosts: readonly HostRecord[]): void;
  progress(e: ProgressEvent): void;
  finished(o: HostOutcome): void;
  reported(o: HostOutcome): void;
  /** Remove the signal handlers (the run ended on its own). */
  stop(): void;
}

const EXIT: Readonly<Record<"SIGINT" | "SIGTERM", number>> = { SIGINT: 130, SIGTERM: 143 };

export function watchInterrupts(
  command: "apply" | "rollback",
  out: Output,
  render: (o: HostOutcome) => void,
  options: { beforeReport?: () => void; json?: boolean } = {},
): InterruptWatch {
  let hosts: readonly HostRecord[] = [];
  const stage = new Map<number, string>();
  const finished = new Map<number, HostOutcome>();
  const reported = new Set<number>();
  let interrupted = false;

  const onSignal = (signal: "SIGINT" | "SIGTERM"): void => {
    if (interrupted) return; // a second Ctrl-C while the report is written changes nothing
    interrupted = true;
    options.beforeReport?.();
    const verb = command === "apply" ? "deployed" : "rolled back";
    let ok = 0;
    const lines: string[] = [];
    for (const h of hosts) {
      const done = finished.get(h.index);
      if (done !== undefined) {
        if (!reported.has(h.index)) render(done);
        if (done.status === "ok") ok++;
        continue;
      }
      const label = `${h.stack} → ${h.target}`;
      const at = stage.get(h.index);
      if (at === undefined) lines.push(`${out.dim("⊘")} ${label}: not attempted (interrupted by ${signal})`);
      else {
        lines.push(
          `${out.red("✗")} ${label}: interrupted by ${signal} during ${at}; the next 'fleet apply' or 'fleet rollback' finishes or undoes what it left`,
        );
      }
    }
    for (const l of lines) out.err(l);
    void releaseHeldLocks().finally(() => {
      // Under --json stdout holds one JSON document or nothing; the ✗/⊘ lines went to stderr.
      if (options.json !== true) out.out(`fleet: ${ok}/${hosts.length} host(s) ${verb} (interrupted by ${signal})`);
      process.exit(EXIT[signal]);
    });
    // A lock release that hangs (a dead connection) must not keep the process alive.
    setTimeout(() => process.exit(EXIT[signal]), 5000).unref();
  };
  const int = (): void => onSignal("SIGINT");
  const term = (): void => onSignal("SIGTERM");
  process.on("SIGINT", int);
  process.on("SIGTERM", term);

  return {
    plan: (h) => {
      hosts = h;
    },
    progress: (e) => {
      stage.set(e.host.index, e.stage);
    },
    finished: (o) => {
      finished.set(o.host.index, o);
    },
    reported: (o) => {
      reported.add(o.host.index);
      finished.set(o.host.index, o);
    },
    stop: () => {
      process.off("SIGINT", int);
      process.off("SIGTERM", term);
    },
  };
}
