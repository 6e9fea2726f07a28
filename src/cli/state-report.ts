/**
 * Human lines of `fleet status` and `fleet verify` (SPEC §7): one line per host, followed by one
 * indented line per drifted path; `status` then adds one indented `key: value` line per thing it
 * knows about the host's history and desired state (ADR 223).
 */
import type { HostState, LastAttempt } from "../deploy/fleet-status.js";
import { genName } from "../deploy/outcome.js";
import type { FileDrift } from "../manifest/drift.js";
import type { Output } from "./output.js";

/** `  changed /etc/x`, `  missing /etc/y`, `  mode /etc/z (0644 → 0600)`. */
export function driftLine(d: FileDrift): string {
  const modes = d.expectedMode !== undefined && d.actualMode !== undefined ? `${d.expectedMode} → ${d.actualMode}` : undefined;
  switch (d.kind) {
    case "mode":
      return `  mode ${d.path} (${modes ?? "?"})`;
    case "changed":
      return modes ? `  changed ${d.path} (mode ${modes})` : `  changed ${d.path}`;
    case "missing":
      return `  missing ${d.path}`;
    case "unverifiable":
      return `  unverifiable ${d.path} (secret file, and the host's HMAC key is missing; re-apply to re-key)`;
  }
}

function pendingLine(s: HostState): string[] {
  if (!s.pending) return [];
  const p = s.pending;
  return [`  interrupted ${p.operation} to ${genName(p.to)} pending; the next 'fleet apply' or 'fleet rollback' finishes or undoes it`];
}

/** `gen-002 (2026-…, previous gen-001)` plus ", dry run" for a dry-run generation. */
function generationText(s: HostState): string {
  const c = s.current!;
  const prev = c.previous === null ? "no previous" : `previous ${genName(c.previous)}`;
  return `${genName(c.generation)} (${c.deployedAt}, ${prev}${c.dryRun ? ", dry run" : ""})`;
}

/** `(2026-…, by alice@laptop)`, `(by alice@laptop)`, or "" when neither is known. */
function whenBy(at: string | null, by: string | null): string {
  const parts = [...(at !== null ? [at] : []), ...(by !== null ? [`by ${by}`] : [])];
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

const ATTEMPT_WORDS: Record<LastAttempt["outcome"], string> = {
  failed: "failed",
  undone: "undone by recovery",
  "rolled-back": "rolled back",
  interrupted: "interrupted",
  unknown: "did not become current (no record of why)",
};

/** The indented history lines of `fleet status` (ADR 223), after the drift lines. */
function historyLines(out: Output, s: HostState): string[] {
  const lines: string[] = [];
  const c = s.current;
  if (c?.deployedBy != null) lines.push(`  deployed by: ${c.deployedBy}`);
  if (s.previous) lines.push(`  previous: ${genName(s.previous.generation)}${whenBy(s.previous.deployedAt, s.previous.deployedBy)}`);
  if (s.desired) {
    const d = s.desired;
    if (d.state === "up-to-date") lines.push(`  desired: ${out.green("up to date")}`);
    else if (d.state === "out-of-date") {
      lines.push(`  desired: ${out.yellow("out of date")} (the fleet's PCL changed since ${genName(c!.generation)}; 'fleet plan' shows what 'fleet apply' would change)`);
    } else lines.push(`  desired: unknown (${d.reason ?? "not evaluated"})`);
  }
  if (s.host.tags.length > 0) lines.push(`  tags: ${s.host.tags.join(", ")}`);
  if (s.health) {
    const h = s.health;
    const where = `${genName(h.generation)}, ${h.at}`;
    lines.push(
      h.ok
        ? `  health: ${out.green("passed")} (${h.checks} check${h.checks === 1 ? "" : "s"}; ${where})`
        : `  health: ${out.red("failed")} (check '${h.failed_check ?? "?"}' ${h.detail ?? "failed"}; ${where})`,
    );
  }
  if (s.lastAttempt) {
    const a = s.lastAttempt;
    const word = a.outcome === "failed" || a.outcome === "undone" || a.outcome === "rolled-back" ? out.red(ATTEMPT_WORDS[a.outcome]) : ATTEMPT_WORDS[a.outcome];
    const when = a.at !== null || a.by !== null ? whenBy(a.at, a.by) : whenBy(a.deployedAt !== null ? `deployed ${a.deployedAt}` : null, a.deployedBy);
    lines.push(`  last attempt: ${genName(a.generation)} ${word}${when}${a.reason !== null ? `: ${a.reason}` : ""}`);
  }
  return lines;
}

/** One host of `fleet status`: stdout, except a host that cannot be read (stderr). */
export function reportStatus(out: Output, s: HostState): void {
  const label = `${s.host.stack} → ${s.host.target}`;
  if (s.error) {
    out.err(`${out.red("✗")} ${label}: ${s.error.message}`);
    return;
  }
  if (!s.current) {
    out.out(`${label} never deployed`);
    for (const l of historyLines(out, s)) out.out(l);
    for (const l of pendingLine(s)) out.out(l);
    return;
  }
  const drift = s.drift.length === 0 ? "no drift" : out.yellow(`${s.drift.length} drifted`);
  out.out(`${label} ${generationText(s)}, ${drift}`);
  for (const d of s.drift) out.out(driftLine(d));
  for (const l of historyLines(out, s)) out.out(l);
  for (const l of pendingLine(s)) out.out(l);
}

/** One host of `fleet verify`: `✓` on stdout when clean, else `✗` and every problem on stderr. */
export function reportVerified(out: Output, s: HostState): boolean {
  const label = `${s.host.stack} → ${s.host.target}`;
  if (s.error) {
    out.err(`${out.red("✗")} ${label}: ${s.error.message}`);
    return false;
  }
  if (!s.current) {
    out.err(`${out.red("✗")} ${label}: never deployed; run 'fleet apply' first`);
    return false;
  }
  const gen = genName(s.current.generation);
  const problems = s.drift.length + s.missingStorePaths.length;
  if (problems === 0) {
    out.out(`${out.green("✓")} ${label}: ${gen}, ${s.current.fileCount} file(s) match`);
    return true;
  }
  const parts = [
    ...(s.drift.length > 0 ? [`${s.drift.length} drifted`] : []),
    ...(s.missingStorePaths.length > 0 ? [`${s.missingStorePaths.length} store path(s) missing`] : []),
  ];
  out.err(`${out.red("✗")} ${label}: ${gen}, ${parts.join(", ")}`);
  for (const d of s.drift) out.err(driftLine(d));
  for (const p of s.missingStorePaths) out.err(`  missing store path ${p}`);
  for (const l of pendingLine(s)) out.err(l);
  return false;
}
