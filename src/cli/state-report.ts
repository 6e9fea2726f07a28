/**
 * Human lines of `fleet status` and `fleet verify` (SPEC §7): one line per host, followed by one
 * indented line per drifted path.
 */
import type { HostState } from "../deploy/fleet-status.js";
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

/** One host of `fleet status`: stdout, except a host that cannot be read (stderr). */
export function reportStatus(out: Output, s: HostState): void {
  const label = `${s.host.stack} → ${s.host.target}`;
  if (s.error) {
    out.err(`${out.red("✗")} ${label}: ${s.error.message}`);
    return;
  }
  if (!s.current) {
    out.out(`${label} never deployed`);
    for (const l of pendingLine(s)) out.out(l);
    return;
  }
  const drift = s.drift.length === 0 ? "no drift" : out.yellow(`${s.drift.length} drifted`);
  out.out(`${label} ${generationText(s)}, ${drift}`);
  for (const d of s.drift) out.out(driftLine(d));
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
