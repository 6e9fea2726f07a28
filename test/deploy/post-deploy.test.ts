/**
 * Activation on a target (not hermetic): the exact systemctl sequence, that it is asked for as a
 * privileged step (sudo on a sudo host), and one `⚠` per failing call. The script runs in a real
 * /bin/sh with a fake systemctl first on PATH, behind a stand-in Transport whose `run` does what
 * SshTransport's does on the target.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runSystemctl } from "../../src/deploy/post-deploy.js";
import type { RunOptions, RunResult, Transport } from "../../src/transport/transport.js";
import { installFakeSystemctl, type FakeSystemctlOptions } from "../support/fake-systemctl.js";

// What a first activation of web, worker (batch has enable = false) plans: see activation-plan.test.ts.
const reload = [["daemon-reload"]];
const enables = [["enable", "web.service"], ["enable", "worker.service"]];
const starts = [["start", "web.service"], ["start", "worker.service"]];

function target(fake: FakeSystemctlOptions = {}) {
  const systemctl = installFakeSystemctl(fake);
  const seen: RunOptions[] = [];
  const transport = {
    run(command: string, options: RunOptions = {}): Promise<RunResult> {
      seen.push(options);
      const r = spawnSync("/bin/sh", ["-c", command], { encoding: "utf8", env: { PATH: systemctl.env()["PATH"]! } });
      return Promise.resolve({ code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr });
    },
  } as unknown as Transport;
  return { transport, systemctl, seen };
}

describe("systemctl calls on a target", () => {
  it("runs the calls in order, as one privileged step", async () => {
    const t = target();
    expect(await runSystemctl(t.transport, [...reload, ...enables, ...starts])).toEqual([]);
    expect(t.systemctl.calls()).toEqual(["daemon-reload", "enable web.service", "enable worker.service", "start web.service", "start worker.service"]);
    expect(t.seen.map((o) => o.privileged)).toEqual([true]);
  });

  it("no calls: no command at all", async () => {
    const t = target();
    expect(await runSystemctl(t.transport, [])).toEqual([]);
    expect(t.seen).toEqual([]);
  });

  it("every failing call is its own warning, in call order; later calls still run", async () => {
    const t = target({ failOn: ["daemon-reload", "enable worker.service", "start"] });
    expect(await runSystemctl(t.transport, [...reload, ...enables, ...starts])).toEqual([
      "systemctl daemon-reload failed (exit 1): fake systemctl: daemon-reload refused",
      "systemctl enable worker.service failed (exit 1): fake systemctl: enable worker.service refused",
      "systemctl start web.service failed (exit 1): fake systemctl: start web.service refused",
      "systemctl start worker.service failed (exit 1): fake systemctl: start worker.service refused",
    ]);
    expect(t.systemctl.calls()).toHaveLength(5);
  });
});
