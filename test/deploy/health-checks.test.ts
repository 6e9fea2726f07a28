/**
 * Health checks retried until the host's deadline (ADR 191) and what each reports (ADR 238): the
 * attempt count, the last exit code or HTTP status, and the last lines of the last attempt. A
 * stand-in Transport answers from a script; a fake clock makes the retries instant.
 */
import { describe, expect, it } from "vitest";
import { runHealthChecks, type HealthClock } from "../../src/deploy/health-checks.js";
import type { ComposedStack, HealthCheck } from "../../src/stack/types.js";
import type { HttpProbe } from "../../src/transport/loopback-http.js";
import type { RunResult, Transport } from "../../src/transport/transport.js";

function fakeClock(): HealthClock {
  let t = 0;
  return { now: () => t, sleep: (ms) => ((t += ms), Promise.resolve()) };
}

function transport(opts: { http?: (n: number) => HttpProbe; run?: (command: string, n: number) => RunResult }): Transport {
  let gets = 0;
  let runs = 0;
  return {
    httpGet: () => Promise.resolve(opts.http!(++gets)),
    run: (command: string) => Promise.resolve(opts.run!(command, ++runs)),
  } as unknown as Transport;
}

function stack(checks: HealthCheck[], healthTimeout = 60): ComposedStack {
  return { healthChecks: checks, healthTimeout } as unknown as ComposedStack;
}

const http: HealthCheck = { kind: "http", name: "http-health", url: "http://127.0.0.1:8080/", port: 8080, path: "/", expectedStatus: 200, timeout: 3, interval: 5 };

describe("health checks", () => {
  it("an http check answering 503 fails when the 60 s deadline passes: 12 attempts at the default 5 s interval", async () => {
    const r = await runHealthChecks(transport({ http: () => ({ status: 503 }) }), stack([http]), undefined, fakeClock());
    expect(r.failed).toEqual({ name: "http-health", attempts: 12, detail: "failed after 12 attempts: HTTP 503" });
    expect(r.checks).toEqual([
      { name: "http-health", kind: "http", attempts: 12, passed: false, exitCode: null, httpStatus: 503, error: "HTTP 503", outputTail: ["HTTP 503"] },
    ]);
  });

  it("passes at the first attempt that succeeds and says how many it took", async () => {
    const t = transport({ http: (n) => (n < 3 ? { error: "connect ECONNREFUSED 127.0.0.1:8080" } : { status: 200 }) });
    const r = await runHealthChecks(t, stack([http]), undefined, fakeClock());
    expect(r.failed).toBeUndefined();
    expect(r.checks).toEqual([{ name: "http-health", kind: "http", attempts: 3, passed: true, exitCode: null, httpStatus: 200, error: null, outputTail: ["HTTP 200"] }]);
  });

  it("a command and a systemd check report their last exit code and the end of their stderr", async () => {
    const cmd: HealthCheck = { kind: "command", name: "db", command: "check-db", timeout: 5, interval: 10 };
    const unit: HealthCheck = { kind: "systemd", name: "units", units: ["web.service"], timeout: 5, interval: 10 };
    const t = transport({
      run: (command) =>
        command === "check-db"
          ? { code: 3, stdout: "probing\n", stderr: "one\ntwo\nrefused\n" }
          : { code: 3, stdout: "", stderr: "unit web.service is failed\n" },
    });
    // One check per run: the fake clock is not shared fairly between concurrent checks.
    const db = await runHealthChecks(t, stack([cmd], 25), undefined, fakeClock());
    expect(db.failed).toEqual({ name: "db", attempts: 3, detail: "failed after 3 attempts: exit 3: two | refused" });
    expect(db.checks).toEqual([
      { name: "db", kind: "command", attempts: 3, passed: false, exitCode: 3, httpStatus: null, error: "exit 3: two | refused", outputTail: ["one", "two", "refused"] },
    ]);
    const units = await runHealthChecks(t, stack([unit], 5), undefined, fakeClock());
    expect(units.failed).toEqual({ name: "units", attempts: 1, detail: "failed after 1 attempt: unit web.service is failed" });
    expect(units.checks).toEqual([
      { name: "units", kind: "systemd", attempts: 1, passed: false, exitCode: 3, httpStatus: null, error: "unit web.service is failed", outputTail: ["unit web.service is failed"] },
    ]);
  });
});
