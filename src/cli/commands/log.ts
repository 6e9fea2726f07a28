/**
 * `fleet log [RUN] [--host H] [--json]`: the runs in the run log directory (newest last), or one
 * run's events — `last` for the newest, or a unique prefix of its id (ADR 144).
 */
import type { Command } from "commander";
import { UsageError } from "../../fleet-error.js";
import { fleetMessages } from "../../fleet-messages.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJsonFlag, addRunsDirFlag } from "../options.js";
import { processOutput } from "../output.js";
import { listRuns, readRun, runsDir } from "../run-log.js";

interface LogFlags {
  host?: string;
  json?: boolean;
  runsDir?: string;
}

type Event = Record<string, unknown> & { event?: string; at?: string; host?: { stack: string; target: string; machine: string | null } };

function pick(ids: readonly string[], want: string): string {
  if (want === "last") {
    const last = ids[ids.length - 1];
    if (last === undefined) throw new UsageError(fleetMessages.noRunYet());
    return last;
  }
  const found = ids.filter((id) => id.startsWith(want));
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new UsageError(fleetMessages.noSuchRun(want));
  throw new UsageError(fleetMessages.runIdAmbiguous(want, found.length));
}

function matchesHost(e: Event, host: string | undefined): boolean {
  if (host === undefined) return true;
  const h = e.host;
  return h !== undefined && (h.stack === host || h.machine === host || h.target === host);
}

function summaryOf(events: readonly Event[]): { command: string; by: string; started_at: string; exit_code: number | null; summary: unknown } {
  const start = events.find((e) => e.event === "run-start");
  const end = events.find((e) => e.event === "run-end");
  return {
    command: String(start?.["command"] ?? "?"),
    by: String(start?.["by"] ?? "?"),
    started_at: String(start?.at ?? "?"),
    exit_code: typeof end?.["exit_code"] === "number" ? end["exit_code"] : null,
    summary: end?.["summary"] ?? null,
  };
}

function line(e: Event): string {
  const who = e.host ? `${e.host.stack} → ${e.host.target}` : "";
  switch (e.event) {
    case "run-start":
      return `${e.at} ${String(e["command"])} ${String(e["fleet"])} by ${String(e["by"])}`;
    case "phase":
      return `${e.at}   ${who}: ${String(e["phase"])}`;
    case "host-done": {
      const ms = typeof e["duration_ms"] === "number" ? ` (${(e["duration_ms"] / 1000).toFixed(1)}s)` : "";
      const reason = typeof e["reason"] === "string" && e["reason"] !== "" ? `: ${e["reason"]}` : "";
      return `${e.at} ${String(e["status"])} ${who}${reason}${ms}`;
    }
    case "run-end":
      return `${e.at} end, exit ${String(e["exit_code"])}`;
    default:
      return `${e.at} ${String(e.event)}`;
  }
}

export function registerLog(program: Command): void {
  const cmd = program
    .command("log")
    .description("list past apply/rollback runs, or show one run's events ('last' for the newest)")
    .argument("[run]", "run id, a unique prefix of it, or 'last'")
    .option("--host <name>", "only this host's events (machine, stack or target)");
  addRunsDirFlag(cmd);
  addJsonFlag(cmd);
  cmd.action((run: string | undefined, flags: LogFlags) => {
    const out = processOutput();
    const dir = runsDir(flags.runsDir);
    const ids = listRuns(dir);
    if (run === undefined) {
      const runs = ids.map((id) => ({ run: id, ...summaryOf(readRun(dir, id).events as Event[]) }));
      if (flags.json) return writeJsonDocument("log", true, { runs });
      if (runs.length === 0) out.err(`fleet: no runs in ${dir}`);
      for (const r of runs) {
        const s = r.summary as Record<string, number> | null;
        const hosts = s ? ` ${s["ok"] ?? 0}/${s["total"] ?? 0} ok` : " (unfinished)";
        out.out(`${r.run} ${r.command} by ${r.by}${hosts}${r.exit_code !== null ? `, exit ${r.exit_code}` : ""}`);
      }
      return;
    }
    const id = pick(ids, run);
    const events = (readRun(dir, id).events as Event[]).filter((e) => e.event === "run-start" || e.event === "run-end" || matchesHost(e, flags.host));
    if (flags.json) return writeJsonDocument("log", true, { run: id, events });
    for (const e of events) {
      out.out(line(e));
      if (e.event === "host-done" && Array.isArray(e["output"])) {
        for (const c of e["output"] as { step: string; stdout: string; stderr: string }[]) {
          for (const [stream, text] of [["stdout", c.stdout], ["stderr", c.stderr]] as const) {
            for (const l of text.replace(/\s+$/, "").split("\n").filter((x) => x !== "")) out.out(`    ${c.step} ${stream}: ${l}`);
          }
        }
      }
    }
  });
}
