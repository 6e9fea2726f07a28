/**
 * Renders host outcomes as the seed's per-host lines (SPEC §6): `✓`/`↩` lines and the summary
 * on stdout; `✗`, `⊘`, `⚠` lines with their reason on stderr.
 */
import { renderDiagnostics } from "../lang/index.js";
import { diagnosticHeadline } from "../lang/diagnostic-headline.js";

export { diagnosticHeadline };
import { genName, type HostOutcome } from "../deploy/outcome.js";
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

function warnings(out: Output, o: HostOutcome): void {
  for (const w of o.warnings) out.err(`${out.yellow("⚠")} ${o.host.stack} → ${o.host.target}: ${w}`);
}

function diagnosticsOf(out: Output, o: HostOutcome): void {
  if (o.diagnostics && o.diagnostics.length > 0) out.errRaw(renderDiagnostics(o.diagnostics, o.sources ?? []));
}

/** One host of `fleet apply`. */
export function reportApplied(out: Output, o: HostOutcome): void {
  switch (o.status) {
    case "ok":
      out.out(`${out.green("✓")} ${hostLabel(o)}`);
      break;
    case "failed":
      out.err(`${out.red("✗")} ${hostLabel(o)}: ${failureReason(o)}`);
      diagnosticsOf(out, o);
      break;
    case "rolled-back":
      out.err(`${out.yellow("↩")} ${hostLabel(o)}: ${o.reason ?? "rolled back"}`);
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
export function reportRolledBack(out: Output, o: HostOutcome, shared: boolean): void {
  if (o.status === "ok") {
    const name = shared ? `${o.host.stack} (${o.host.target})` : o.host.stack;
    const skipped = o.secretSkipped ? `, ${o.secretSkipped} secret-skipped` : "";
    out.out(
      `${out.yellow("↩")} ${name} → ${genName(o.generation!)} (was ${genName(o.previous as number)}); ${o.restored ?? 0} restored, ${o.removed ?? 0} removed${skipped}`,
    );
  } else if (o.status === "failed") {
    out.err(`${out.red("✗")} ${hostLabel(o)}: ${failureReason(o)}`);
  } else {
    out.err(`${out.dim("⊘")} ${hostLabel(o)}: ${o.reason ?? o.status}`);
  }
  warnings(out, o);
}

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
