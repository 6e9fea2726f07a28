/**
 * `--json` (SPEC §7): one canonical JSON document on stdout per command run (sorted keys, 2-space
 * indent, trailing newline), built from the same outcomes the human report renders. It carries
 * reasons and codes, never a secret value: outcomes only ever hold secret *names* (ADR 061).
 */
import type { FileDrift } from "../manifest/drift.js";
import { canonicalJson } from "../canonical-json.js";
import { FleetRefusal } from "../deploy/fleet-load.js";
import type { HostState } from "../deploy/fleet-status.js";
import type { HostOutcome, HostStatus } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { lineColOf, type SourceFile } from "../lang/source.js";
import { diagnosticHeadline, type Diagnostic } from "../lang/index.js";

export type JsonCommand = "apply" | "rollback" | "status" | "verify";

/** Status of a host under `status`/`verify --json`. */
export type StateStatus = "clean" | "verified" | "drifted" | "never-deployed" | "failed";

interface JsonError {
  readonly code: string | null;
  readonly message: string;
}

function hostFields(h: HostRecord) {
  return { stack: h.stack, target: h.target, machine: h.machine };
}

const OUTCOME_STATUSES: readonly HostStatus[] = ["ok", "failed", "blocked", "not-attempted", "rolled-back"];

function outcomeError(o: HostOutcome): JsonError | null {
  if (o.status === "ok") return null;
  const first = o.diagnostics?.[0];
  const message = o.reason !== undefined && o.reason !== "" ? o.reason : first ? diagnosticHeadline(first, o.sources ?? []) : o.status;
  return { code: o.code ?? first?.code ?? null, message };
}

/** One located diagnostic as JSON: code, message, file, line, col (and hint when it has one). */
export function diagnosticJson(d: Diagnostic, sources: readonly SourceFile[]): Record<string, unknown> {
  const src = sources.find((s) => s.path === d.span.file);
  const { line, col } = src ? lineColOf(src.text, d.span.offset) : { line: 1, col: 1 };
  return { code: d.code, message: d.message, file: d.span.file, line, col, ...(d.hint !== undefined ? { hint: d.hint } : {}) };
}

function diagnosticsOf(o: HostOutcome) {
  return (o.diagnostics ?? []).map((d) => diagnosticJson(d, o.sources ?? []));
}

function counts<S extends string>(statuses: readonly S[], all: readonly S[]): Record<string, number> {
  const c: Record<string, number> = { total: statuses.length };
  for (const s of all) c[s] = statuses.filter((x) => x === s).length;
  return c;
}

/** `fleet apply --json` / `fleet rollback --json`. */
export function outcomesJson(command: "apply" | "rollback", outcomes: readonly HostOutcome[]): unknown {
  return {
    command,
    hosts: outcomes.map((o) => ({
      ...hostFields(o.host),
      status: o.status,
      generation: o.generation ?? null,
      previous: o.previous ?? null,
      error: outcomeError(o),
      diagnostics: diagnosticsOf(o),
      warnings: [...o.warnings],
      ...(o.activation !== undefined ? { activation: o.activation } : {}),
      ...(command === "rollback" && o.status === "ok"
        ? { restored: o.restored ?? 0, removed: o.removed ?? 0, secret_skipped: o.secretSkipped ?? 0 }
        : {}),
    })),
    summary: counts(
      outcomes.map((o) => o.status),
      OUTCOME_STATUSES,
    ),
  };
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

/** `fleet status --json` / `fleet verify --json`. */
export function statesJson(command: "status" | "verify", states: readonly HostState[]): unknown {
  const statuses = states.map((s) => stateStatus(command, s));
  const all: StateStatus[] = [command === "verify" ? "verified" : "clean", "drifted", "never-deployed", "failed"];
  return {
    command,
    hosts: states.map((s, i) => ({
      ...hostFields(s.host),
      status: statuses[i],
      generation: s.current?.generation ?? null,
      previous: s.current?.previous ?? null,
      deployed_at: s.current?.deployedAt ?? null,
      dry_run: s.current?.dryRun ?? null,
      drift: s.drift.map(driftJson),
      ...(command === "verify" ? { missing_store_paths: [...s.missingStorePaths] } : {}),
      pending: s.pending ?? null,
      error: s.error ? { code: s.error.code ?? null, message: s.error.message } : null,
    })),
    summary: counts(statuses, all),
  };
}

/** A refused run (nothing touched): the errors, located where they are language diagnostics. */
export function refusalJson(command: JsonCommand, e: FleetRefusal): unknown {
  const located = e.diagnostics.map((d) => diagnosticJson(d, e.sources));
  const plain = e.errors.map((x) => ({ code: x.code ?? null, message: x.message, file: null, line: null, col: null }));
  return { command, refused: true, errors: [...located, ...plain], hosts: [], summary: { total: 0 } };
}

export function writeJson(value: unknown): void {
  process.stdout.write(canonicalJson(value));
}
