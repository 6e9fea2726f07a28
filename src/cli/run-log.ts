/**
 * The run log (ADR 144): every apply and rollback appends its events as JSON lines to
 * `<runs dir>/<run id>.jsonl` (default ~/.fleet/runs, `--runs-dir` or FLEET_RUNS_DIR), keeping
 * the newest FLEET_RUNS_KEEP (default 50) runs. It holds what the report and `--json` hold —
 * reasons, codes, redacted captured output — and never a secret value. Writing it never fails a
 * run: a log that cannot be written is one warning on stderr.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import path from "node:path";
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { HostOutcome, OutputChunk, ProgressEvent } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";

export const DEFAULT_KEEP = 50;

export interface RunLog {
  readonly id: string;
  phase(e: ProgressEvent): void;
  hostDone(o: HostOutcome): void;
  end(summary: Record<string, number>, exitCode: number): void;
  /** Milliseconds from a host's first phase to its outcome (null when it never started). */
  durationOf(host: HostRecord): number | null;
}

export function runsDir(flag: string | undefined): string {
  const raw = flag ?? process.env["FLEET_RUNS_DIR"] ?? "~/.fleet/runs";
  const expanded = raw === "~" || raw.startsWith("~/") ? path.join(homedir(), raw.slice(1)) : raw;
  return path.resolve(expanded);
}

function keep(): number {
  const v = process.env["FLEET_RUNS_KEEP"];
  if (v === undefined || v === "") return DEFAULT_KEEP;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(fleetMessages.badRunsKeep(v));
  return Number(v);
}

function hostId(h: HostRecord) {
  return { stack: h.stack, target: h.target, machine: h.machine };
}

/** `20261201T225400.123Z-4242`: sorts by time; the pid tells apart runs started the same millisecond. */
function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "")}-${process.pid}`;
}

export function openRunLog(command: "apply" | "rollback", fleetFile: string, dirFlag: string | undefined, warn: (line: string) => void): RunLog {
  const dir = runsDir(dirFlag);
  const limit = keep();
  const started = new Date();
  const id = newRunId(started);
  const file = path.join(dir, `${id}.jsonl`);
  let broken = false;
  const write = (event: Record<string, unknown>): void => {
    if (broken) return;
    try {
      appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`, { mode: 0o600 });
    } catch (e) {
      broken = true;
      warn(`fleet: warning: cannot write the run log ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); the run goes on without it`);
    }
  };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // write() reports it.
  }
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // A uid without a passwd entry.
  }
  write({ event: "run-start", run: id, command, fleet: fleetFile, by: `${user}@${hostname()}`, pid: process.pid });
  prune(dir, limit, id);
  const firstSeen = new Map<number, number>();
  const durations = new Map<number, number>();
  return {
    id,
    phase(e) {
      if (!firstSeen.has(e.host.index)) firstSeen.set(e.host.index, Date.now());
      write({ event: "phase", host: hostId(e.host), phase: e.stage });
    },
    hostDone(o) {
      const start = firstSeen.get(o.host.index);
      const duration = start === undefined ? null : Date.now() - start;
      if (duration !== null) durations.set(o.host.index, duration);
      write({
        event: "host-done",
        host: hostId(o.host),
        status: o.status,
        reason: o.reason ?? null,
        code: o.code ?? null,
        generation: o.generation ?? null,
        previous: o.previous ?? null,
        duration_ms: duration,
        warnings: o.warnings,
        output: (o.output ?? []).map((c) => ({ step: c.step, stdout: c.stdout, stderr: c.stderr, exit_code: c.exitCode, failed: c.failed, truncated: c.truncated })),
      });
    },
    end(summary, exitCode) {
      write({ event: "run-end", summary, exit_code: exitCode, duration_ms: Date.now() - started.getTime() });
    },
    durationOf(host) {
      return durations.get(host.index) ?? null;
    },
  };
}

/** Keep the newest `limit` logs (by name, which sorts by start time); never the current one. */
function prune(dir: string, limit: number, current: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort();
  } catch {
    return;
  }
  for (const n of names.slice(0, Math.max(0, names.length - limit))) {
    if (n === `${current}.jsonl`) continue;
    rmSync(path.join(dir, n), { force: true });
  }
}

/** Output chunks are not logged one by one: each host's captured output is in its host-done event. */
export type { OutputChunk };

export interface LoggedRun {
  readonly id: string;
  readonly events: readonly Record<string, unknown>[];
}

/** Every run in the directory, oldest first. */
export function listRuns(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith(".jsonl"))
      .sort()
      .map((n) => n.slice(0, -".jsonl".length));
  } catch {
    return [];
  }
}

/** One run's events; a torn last line (a crash mid-write) is skipped. */
export function readRun(dir: string, id: string): LoggedRun {
  const text = readFileSync(path.join(dir, `${id}.jsonl`), "utf8");
  const events: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut short by a crash.
    }
  }
  return { id, events };
}
