/**
 * Renders host outcomes as the seed's per-host lines (SPEC §6): `✓`/`↩` lines and the summary
 * on stdout; `✗`, `⊘`, `⚠` lines with their reason on stderr.
 */
import { diagnosticHeadline, renderDiagnostics } from "../lang/index.js";

export { diagnosticHeadline };
import { genName, type ActivationSummary, type HostOutcome, type OutputChunk } from "../deploy/outcome.js";
import { lastLines, type CapturedOutput } from "../captured-output.js";
import type { Output } from "./output.js";

/** `STACK → TARGET`, or `STACK (TARGET)` where two records share the stack name (rollback). */
export function hostLabel(o: HostOutcome, arrowTarget = true): string {
  return arrowTarget ? `${o.host.stack} → ${o.host.target}` : `${o.host.stack} (${o.host.target})`;
}

function failureReason(o: HostOutcome): string {
  if (o.diagnostics && o.diagnostics.length > 0 && (o.reason === undefined || o.reason === "")) {
    return diagnosticHeadline(o.diagnostics[0]!, o.sources ?? []);
  }
  return o.reason ?? "failed";
}

/** Lines of a failed step's output shown under the host's `✗`/`↩`/`⚠` line (ADR 143). */
export const TAIL_LINES = 10;

export function outputTail(c: CapturedOutput): string[] {
  const how = c.exitCode === null ? "did not finish" : `exited ${c.exitCode}`;
  const lines: string[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    const tail = lastLines(c[stream], TAIL_LINES);
    if (tail.length === 0) continue;
    lines.push(`  ${c.step} ${how}; last lines of ${stream}:`, ...tail.map((l) => `    ${l}`));
  }
  return lines;
}

/** How a host's report is rendered: `activation` = print the per-host activation line (TTY or `-v`). */
export interface ReportStyle {
  readonly activation?: boolean;
}

/**
 * The short line saying what activation did (ADR 237): `  activation: restarted web.service;
 * started api.service; 1 unchanged`; under --transport-root `would restart …`. Undefined when
 * the plan touched nothing and left nothing unchanged (a stack without services).
 */
export function activationLine(a: ActivationSummary): string | undefined {
  const done = (past: string, verb: string, units: readonly string[]): string[] =>
    units.length === 0 ? [] : [`${a.ran ? past : `would ${verb}`} ${units.join(", ")}`];
  const parts = [
    ...done("restarted", "restart", a.restarted),
    ...done("reloaded", "reload", a.reloaded),
    ...done("started", "start", a.started),
    ...done("stopped", "stop", a.stopped),
    ...done("enabled", "enable", a.enabled),
    ...done("disabled", "disable", a.disabled),
    ...(a.unchanged.length > 0 ? [`${a.unchanged.length} unchanged`] : []),
  ];
  return parts.length === 0 ? undefined : `  activation: ${parts.join("; ")}`;
}

/** The activation line goes on the same stream as the host's own line. */
function activationOf(o: HostOutcome, style: ReportStyle, write: (line: string) => void): void {
  if (!style.activation || o.activation === undefined) return;
  const line = activationLine(o.activation);
  if (line !== undefined) write(line);
}

function warnings(out: Output, o: HostOutcome): void {
  for (const w of o.warnings) out.err(`${out.yellow("⚠")} ${o.host.stack} → ${o.host.target}: ${w}`);
  // A build's failure message already holds its last lines, activation's ⚠ lines each failed call.
  for (const c of o.output ?? []) {
    if (c.failed && !c.step.startsWith("build of ") && c.step !== "activation") for (const l of outputTail(c)) out.err(l);
  }
}

function diagnosticsOf(out: Output, o: HostOutcome): void {
  if (o.diagnostics && o.diagnostics.length > 0) out.errRaw(renderDiagnostics(o.diagnostics, o.sources ?? []));
}

/** One host of `fleet apply`. */
export function reportApplied(out: Output, o: HostOutcome, style: ReportStyle = {}): void {
  switch (o.status) {
    case "ok":
      out.out(`${out.green("✓")} ${hostLabel(o)}`);
      activationOf(o, style, (l) => out.out(l));
      break;
    case "failed":
      out.err(`${out.red("✗")} ${hostLabel(o)}: ${failureReason(o)}`);
      diagnosticsOf(out, o);
      break;
    case "rolled-back":
      out.err(`${out.yellow("↩")} ${hostLabel(o)}: ${o.reason ?? "rolled back"}`);
      activationOf(o, style, (l) => out.err(l));
      break;
    case "blocked":
    case "not-attempted":
    case "skipped":
      out.err(`${out.dim("⊘")} ${hostLabel(o)}: ${o.reason ?? o.status}`);
      break;
  }
  warnings(out, o);
}

/** One host of `fleet rollback`. `shared` = another record has the same stack name. */
export function reportRolledBack(out: Output, o: HostOutcome, shared: boolean, style: ReportStyle = {}): void {
  if (o.status === "ok") {
    const name = shared ? `${o.host.stack} (${o.host.target})` : o.host.stack;
    const skipped = o.secretSkipped ? `, ${o.secretSkipped} secret-skipped` : "";
    out.out(
      `${out.yellow("↩")} ${name} → ${genName(o.generation!)} (was ${genName(o.previous as number)}); ${o.restored ?? 0} restored, ${o.removed ?? 0} removed${skipped}`,
    );
    activationOf(o, style, (l) => out.out(l));
  } else if (o.status === "failed") {
    out.err(`${out.red("✗")} ${hostLabel(o)}: ${failureReason(o)}`);
  } else {
    out.err(`${out.dim("⊘")} ${hostLabel(o)}: ${o.reason ?? o.status}`);
  }
  warnings(out, o);
}

/** `-v`: each line of a chunk as `[web] health check 'http': …` (a host without machine: its stack). */
export function verboseLines(c: OutputChunk): string[] {
  const who = c.host.machine ?? c.host.stack;
  return lastLines(c.text, Number.MAX_SAFE_INTEGER).map((l) => `[${who}] ${c.step}: ${l}`);
}

const BREAKDOWN: readonly [HostOutcome["status"], string][] = [
  ["rolled-back", "rolled back"],
  ["failed", "failed"],
  ["blocked", "blocked"],
  ["not-attempted", "not attempted"],
];

/**
 * The summary's counts (ADR 180): hosts skipped for maintenance are neither successes nor
 * failures — left out of `N/M` and named after it.
 */
export function summaryCounts(outcomes: readonly HostOutcome[]): { ok: number; counted: number; suffix: string } {
  const skipped = outcomes.filter((o) => o.status === "skipped").length;
  return {
    ok: outcomes.filter((o) => o.status === "ok").length,
    counted: outcomes.length - skipped,
    suffix: skipped > 0 ? `, ${skipped} skipped (maintenance)` : "",
  };
}

/**
 * The seed's summary `fleet: N/M host(s) deployed`; when not every host succeeded, followed by
 * what became of the others: `fleet: 4/6 host(s) deployed (1 rolled back, 1 failed)`. Hosts
 * skipped for maintenance are named after the count (ADR 180).
 */
export function summaryLine(outcomes: readonly HostOutcome[], verb: "deployed" | "rolled back"): string {
  const { ok, counted, suffix } = summaryCounts(outcomes);
  const line = `fleet: ${ok}/${counted} host(s) ${verb}${suffix}`;
  if (ok === counted) return line;
  const parts = BREAKDOWN.map(([s, word]) => [outcomes.filter((o) => o.status === s).length, word] as const)
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}`);
  return `${line} (${parts.join(", ")})`;
}
