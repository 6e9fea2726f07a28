/**
 * Health checks after activation (SPEC §7, issue 11, ADR 191): nixfleet's three kinds, each
 * retried every `interval` seconds until one attempt succeeds or the host's deadline
 * (`healthTimeout`) passes; the checks of one host run concurrently. Callable on its own (a
 * rollout's soak re-runs them).
 */
import type { ComposedStack, HealthCheck } from "../stack/types.js";
import type { Transport } from "../transport/transport.js";

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

interface Attempt {
  readonly ok: boolean;
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
    if ("error" in r) return { ok: false, why: r.error };
    return r.status === c.expectedStatus ? { ok: true, why: "" } : { ok: false, why: `HTTP ${r.status}` };
  }
  const command =
    c.kind === "command" ? c.command : `for u in ${c.units.map((u) => `'${u}'`).join(" ")}; do s=$(systemctl is-active "$u"); [ "$s" = active ] || { echo "unit $u is \${s:-unknown}" >&2; exit 3; }; done`;
  const r = await t.run(command, { timeoutMs });
  if (r.code === 0) return { ok: true, why: "" };
  if (r.code === 124) return { ok: false, why: `timed out after ${Math.round(timeoutMs / 1000)}s` };
  const err = tail(r.stderr);
  return { ok: false, why: c.kind === "systemd" && err !== "" ? err : `exit ${r.code}${err ? `: ${err}` : ""}` };
}

async function runOne(t: Transport, c: HealthCheck, deadline: number, clock: HealthClock): Promise<HealthFailure | undefined> {
  let attempts = 0;
  for (;;) {
    const left = deadline - clock.now();
    attempts++;
    const r = await attempt(t, c, Math.max(1, Math.min(c.timeout * 1000, left)));
    if (r.ok) return undefined;
    const next = clock.now() + c.interval * 1000;
    if (next >= deadline) {
      return { name: c.name, attempts, detail: `failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${r.why}` };
    }
    await clock.sleep(c.interval * 1000);
  }
}

/** Every check of the stack, concurrently; the first failing one in declaration order, or undefined. */
export async function runHealthChecks(transport: Transport, stack: ComposedStack, clock: HealthClock = realClock): Promise<HealthFailure | undefined> {
  const deadline = clock.now() + stack.healthTimeout * 1000;
  const results = await Promise.all(stack.healthChecks.map((c) => runOne(transport, c, deadline, clock)));
  return results.find((r) => r !== undefined);
}
