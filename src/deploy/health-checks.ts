/**
 * Health checks after activation (SPEC §7, issue 11, ADR 191): nixfleet's three kinds, each
 * retried every `interval` seconds until one attempt succeeds or the host's deadline
 * (`healthTimeout`) passes; the checks of one host run concurrently. Callable on its own (a
 * rollout's soak re-runs them).
 */
import type { ComposedStack, HealthCheck } from "../stack/types.js";
import type { Transport } from "../transport/transport.js";
import { captured, lastLines, type CapturedOutput } from "../captured-output.js";
import type { HealthCheckReport } from "./outcome.js";

export interface HealthFailure {
  readonly name: string;
  /** `failed after 12 attempts: HTTP 503` style detail (attempts, last exit code or status, stderr tail). */
  readonly detail: string;
  readonly attempts: number;
}

export interface HealthClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: HealthClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** What the checks found: the first failing one (declaration order), each check's last output and report. */
export interface HealthResult {
  readonly failed?: HealthFailure;
  readonly output: CapturedOutput[];
  /** One per check, in declaration order (ADR 238). */
  readonly checks: HealthCheckReport[];
}

/** Lines of the last attempt kept in a check's report. */
export const HEALTH_TAIL_LINES = 10;

interface Attempt {
  readonly ok: boolean;
  /** The attempt's own output (a command's stdout/stderr, an HTTP status line), kept for the report. */
  readonly output: { readonly stdout: string; readonly stderr: string; readonly code: number | null };
  /** The HTTP status of an http attempt that got a response. */
  readonly status?: number;
  /** `exit 3: <stderr tail>`, `timed out after 5s`, `HTTP 503`, `unit web.service is failed`. */
  readonly why: string;
}

function tail(s: string): string {
  const lines = s.trim().split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-2).join(" | ").slice(0, 300);
}

async function attempt(t: Transport, c: HealthCheck, timeoutMs: number): Promise<Attempt> {
  if (c.kind === "http") {
    const r = await t.httpGet(c.port, c.path, timeoutMs);
    if ("error" in r) return { ok: false, why: r.error, output: { stdout: "", stderr: r.error, code: null } };
    const output = { stdout: `HTTP ${r.status}\n`, stderr: "", code: null };
    return r.status === c.expectedStatus ? { ok: true, why: "", output, status: r.status } : { ok: false, why: `HTTP ${r.status}`, output, status: r.status };
  }
  const command =
    c.kind === "command" ? c.command : `for u in ${c.units.map((u) => `'${u}'`).join(" ")}; do s=$(systemctl is-active "$u"); [ "$s" = active ] || { echo "unit $u is \${s:-unknown}" >&2; exit 3; }; done`;
  const r = await t.run(command, { timeoutMs });
  const output = { stdout: r.stdout, stderr: r.stderr, code: r.code };
  if (r.code === 0) return { ok: true, why: "", output };
  if (r.code === 124) return { ok: false, why: `timed out after ${Math.round(timeoutMs / 1000)}s`, output };
  const err = tail(r.stderr);
  return { ok: false, why: c.kind === "systemd" && err !== "" ? err : `exit ${r.code}${err ? `: ${err}` : ""}`, output };
}

async function runOne(
  t: Transport,
  c: HealthCheck,
  deadline: number,
  clock: HealthClock,
  onAttempt: (attempt: number) => void,
): Promise<{ failure?: HealthFailure; output: CapturedOutput; report: HealthCheckReport }> {
  let attempts = 0;
  for (;;) {
    const left = deadline - clock.now();
    attempts++;
    onAttempt(attempts);
    const r = await attempt(t, c, Math.max(1, Math.min(c.timeout * 1000, left)));
    const output = (failed: boolean): CapturedOutput => captured(`health check '${c.name}'`, r.output.stdout, r.output.stderr, r.output.code, failed);
    const report = (passed: boolean): HealthCheckReport => ({
      name: c.name,
      kind: c.kind,
      attempts,
      passed,
      exitCode: c.kind === "http" ? null : r.output.code,
      httpStatus: r.status ?? null,
      error: passed ? null : r.why,
      outputTail: lastLines(r.output.stderr.trim() !== "" ? r.output.stderr : r.output.stdout, HEALTH_TAIL_LINES),
    });
    if (r.ok) return { output: output(false), report: report(true) };
    const next = clock.now() + c.interval * 1000;
    if (next >= deadline) {
      return {
        failure: { name: c.name, attempts, detail: `failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${r.why}` },
        output: output(true),
        report: report(false),
      };
    }
    await clock.sleep(c.interval * 1000);
  }
}

/**
 * Every check of the stack, concurrently (`onCheck` names each check, its place in the list and
 * the attempt as each attempt starts); the first failing one in declaration order, and the last
 * attempt's output of each check.
 */
export async function runHealthChecks(
  transport: Transport,
  stack: ComposedStack,
  onCheck?: (name: string, attempt: number, index: number) => void,
  clock: HealthClock = realClock,
): Promise<HealthResult> {
  const deadline = clock.now() + stack.healthTimeout * 1000;
  const results = await Promise.all(
    stack.healthChecks.map((c, i) => runOne(transport, c, deadline, clock, (n) => onCheck?.(c.name, n, i))),
  );
  const failed = results.find((r) => r.failure !== undefined)?.failure;
  return { ...(failed ? { failed } : {}), output: results.map((r) => r.output), checks: results.map((r) => r.report) };
}
