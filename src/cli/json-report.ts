/**
 * The bodies of `--json` documents (SPEC §7, ADR 140), built from the same outcomes the human
 * report renders. They carry reasons and codes, never a secret value: outcomes only ever hold
 * secret *names* (ADR 061). Keys are snake_case; the same thing has the same key in every command
 * (`generation` = the host's current generation, `previous` = the one before it).
 */
import type { FileDrift } from "../manifest/drift.js";
import { FleetRefusal } from "../load/fleet-load.js";
import type { HostState } from "../deploy/fleet-status.js";
import type { ActivationSummary, CapturedOutput, HealthCheckReport, HostOutcome, HostStatus } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { writeJsonDocument, writeJsonError } from "./json-contract.js";
import type { RunLog } from "./run-log.js";
import { diagnosticJson, fleetErrorJson, plainProblem, type JsonProblem } from "./json-problem.js";

export { diagnosticJson };

/** Status of a host under `status`/`verify --json`. */
export type StateStatus = "clean" | "verified" | "drifted" | "never-deployed" | "failed";

/** `stack`, `target`, `machine`, `tags`: how every document names a host. */
export function hostFields(h: HostRecord) {
  return { stack: h.stack, target: h.target, machine: h.machine, tags: [...h.tags] };
}

const OUTCOME_STATUSES: readonly HostStatus[] = ["ok", "failed", "blocked", "not-attempted", "rolled-back", "skipped"];

function outcomeError(o: HostOutcome): JsonProblem | null {
  if (o.status === "ok") return null;
  const first = o.diagnostics?.[0];
  if ((o.reason === undefined || o.reason === "") && first) return diagnosticJson(first, o.sources ?? []);
  return plainProblem(o.code ?? null, o.reason !== undefined && o.reason !== "" ? o.reason : o.status);
}

export function outputJson(c: CapturedOutput) {
  return { step: c.step, stdout: c.stdout, stderr: c.stderr, exit_code: c.exitCode, failed: c.failed, truncated: c.truncated };
}

/** The five lists (ADR 190); whether they ran is said by the host's warnings, not here. */
function activationJson(a: ActivationSummary) {
  return { started: [...a.started], restarted: [...a.restarted], reloaded: [...a.reloaded], stopped: [...a.stopped], unchanged: [...a.unchanged] };
}

function healthJson(h: HealthCheckReport) {
  return {
    name: h.name,
    kind: h.kind,
    attempts: h.attempts,
    passed: h.passed,
    exit_code: h.exitCode,
    http_status: h.httpStatus,
    error: h.error,
    output_tail: [...h.outputTail],
  };
}

function diagnosticsOf(o: HostOutcome): JsonProblem[] {
  return (o.diagnostics ?? []).map((d) => diagnosticJson(d, o.sources ?? []));
}

/** Counts per status, keyed by the status in snake_case, plus `total`. */
export function counts<S extends string>(statuses: readonly S[], all: readonly S[]): Record<string, number> {
  const c: Record<string, number> = { total: statuses.length };
  for (const s of all) c[s.replace(/-/g, "_")] = statuses.filter((x) => x === s).length;
  return c;
}

/** One host of `fleet apply --json` / `fleet rollback --json`. */
export function outcomeJson(command: "apply" | "rollback", o: HostOutcome, durationMs: number | null = null): Record<string, unknown> {
  return {
    duration_ms: durationMs,
    ...hostFields(o.host),
    status: o.status,
    generation: o.generation ?? null,
    previous: o.previous ?? null,
    error: outcomeError(o),
    diagnostics: diagnosticsOf(o),
    warnings: [...o.warnings],
    output: (o.output ?? []).map(outputJson),
    ...(o.activation !== undefined ? { activation: activationJson(o.activation) } : {}),
    ...(o.health !== undefined ? { health: o.health.map(healthJson) } : {}),
    ...(command === "rollback" && o.status === "ok" ? { restored: o.restored ?? 0, removed: o.removed ?? 0, secret_skipped: o.secretSkipped ?? 0 } : {}),
  };
}

/** `fleet apply --json` / `fleet rollback --json`. */
export function outcomesJson(
  command: "apply" | "rollback",
  outcomes: readonly HostOutcome[],
  durationOf: (h: HostRecord) => number | null = () => null,
  runId: string | null = null,
): Record<string, unknown> {
  return {
    run: runId,
    hosts: outcomes.map((o) => outcomeJson(command, o, durationOf(o.host))),
    summary: counts(
      outcomes.map((o) => o.status),
      OUTCOME_STATUSES,
    ),
  };
}

export function writeOutcomes(command: "apply" | "rollback", outcomes: readonly HostOutcome[], log?: RunLog): void {
  writeJsonDocument(
    command,
    outcomes.every((o) => o.status === "ok"),
    outcomesJson(command, outcomes, (h) => log?.durationOf(h) ?? null, log?.id ?? null),
  );
}

/** The status a host gets in `status`/`verify` output. */
export function stateStatus(command: "status" | "verify", s: HostState): StateStatus {
  if (s.error) return "failed";
  if (!s.current) return "never-deployed";
  if (s.drift.length > 0 || s.missingStorePaths.length > 0) return "drifted";
  return command === "verify" ? "verified" : "clean";
}

function driftJson(d: FileDrift) {
  return {
    path: d.path,
    kind: d.kind,
    secret: d.secret,
    expected_mode: d.expectedMode ?? null,
    actual_mode: d.actualMode ?? null,
  };
}

/** One host of `fleet status --json` / `fleet verify --json`. */
export function stateJson(command: "status" | "verify", s: HostState): Record<string, unknown> {
  return {
    ...hostFields(s.host),
    status: stateStatus(command, s),
    generation: s.current?.generation ?? null,
    previous: s.current?.previous ?? null,
    deployed_at: s.current?.deployedAt ?? null,
    dry_run: s.current?.dryRun ?? null,
    drift: s.drift.map(driftJson),
    ...(command === "verify" ? { missing_store_paths: [...s.missingStorePaths] } : {}),
    pending: s.pending ?? null,
    error: s.error ? plainProblem(s.error.code ?? null, s.error.message) : null,
    ...(command === "status" ? historyJson(s) : {}),
  };
}

/** What `fleet status --json` adds (ADR 220–223). */
function historyJson(s: HostState): Record<string, unknown> {
  const a = s.lastAttempt;
  const h = s.health;
  const d = s.desired;
  return {
    deployed_by: s.current?.deployedBy ?? null,
    source_hash: s.current?.sourceHash ?? null,
    previous_deployed_at: s.previous?.deployedAt ?? null,
    previous_deployed_by: s.previous?.deployedBy ?? null,
    desired: d ? { state: d.state, source_hash: d.sourceHash, reason: d.reason } : null,
    health: h ? { generation: h.generation, ok: h.ok, at: h.at, checks: h.checks, failed_check: h.failed_check, detail: h.detail } : null,
    last_attempt: a
      ? { generation: a.generation, outcome: a.outcome, reason: a.reason, at: a.at, by: a.by, deployed_at: a.deployedAt, deployed_by: a.deployedBy }
      : null,
  };
}

/** `fleet status --json` / `fleet verify --json`. */
export function statesJson(command: "status" | "verify", states: readonly HostState[]): Record<string, unknown> {
  const statuses = states.map((s) => stateStatus(command, s));
  const all: StateStatus[] = [command === "verify" ? "verified" : "clean", "drifted", "never-deployed", "failed"];
  const summary = counts(statuses, all);
  if (command === "verify") return { hosts: states.map((s) => stateJson(command, s)), summary };
  const outOfDate = states.filter((s) => s.desired?.state === "out-of-date").length;
  return { hosts: states.map((s) => stateJson(command, s)), summary: { ...summary, out_of_date: outOfDate } };
}

/** A refused run (nothing touched): every error, located where it is a language diagnostic. */
export function refusalProblems(e: FleetRefusal): JsonProblem[] {
  return [...e.diagnostics.map((d) => diagnosticJson(d, e.sources)), ...e.errors.map(fleetErrorJson)];
}

export function writeRefusal(command: string, e: FleetRefusal): void {
  writeJsonError(command, "input", 1, refusalProblems(e));
}
