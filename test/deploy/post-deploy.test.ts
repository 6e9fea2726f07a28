/**
 * Activation on a target (not hermetic): the exact systemctl sequence, that it is asked for as a
 * privileged step (sudo on a sudo host), and one `⚠` per failing call. The script runs in a real
 * /bin/sh with a fake systemctl first on PATH, behind a stand-in Transport whose `run` does what
 * SshTransport's does on the target.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { activate } from "../../src/deploy/post-deploy.js";
import type { ComposedStack } from "../../src/stack/types.js";
import type { RunOptions, RunResult, Transport } from "../../src/transport/transport.js";
import { installFakeSystemctl, type FakeSystemctlOptions } from "../support/fake-systemctl.js";

const stack = {
  services: [
    { name: "web", enable: true },
    { name: "worker", enable: true },
    { name: "batch", enable: false },
  ],
  healthChecks: [],
} as unknown as ComposedStack;

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

describe("activation on a target", () => {
  it("--activate: daemon-reload, then a restart of each enabled unit in order, as a privileged step", async () => {
    const t = target();
    expect(await activate(t.transport, stack, { activate: true, enable: false })).toEqual([]);
    expect(t.systemctl.calls()).toEqual(["daemon-reload", "restart web.service", "restart worker.service"]);
    expect(t.seen.map((o) => o.privileged)).toEqual([true]);
  });

  it("--enable: daemon-reload, then every enable, restarting none", async () => {
    const t = target();
    await activate(t.transport, stack, { activate: false, enable: true });
    expect(t.systemctl.calls()).toEqual(["daemon-reload", "enable web.service", "enable worker.service"]);
  });

  it("--activate --enable: every enable before any restart", async () => {
    const t = target();
    await activate(t.transport, stack, { activate: true, enable: true });
    expect(t.systemctl.calls()).toEqual(["daemon-reload", "enable web.service", "enable worker.service", "restart web.service", "restart worker.service"]);
  });

  it("neither flag: no command at all", async () => {
    const t = target();
    expect(await activate(t.transport, stack, { activate: false, enable: false })).toEqual([]);
    expect(t.seen).toEqual([]);
  });

  it("every failing call is its own warning, in call order; later calls still run", async () => {
    const t = target({ failOn: ["daemon-reload", "enable worker.service", "restart"] });
    expect(await activate(t.transport, stack, { activate: true, enable: true })).toEqual([
      "systemctl daemon-reload failed (exit 1): fake systemctl: daemon-reload refused",
      "systemctl enable worker.service failed (exit 1): fake systemctl: enable worker.service refused",
      "systemctl restart web.service failed (exit 1): fake systemctl: restart web.service refused",
      "systemctl restart worker.service failed (exit 1): fake systemctl: restart worker.service refused",
    ]);
    expect(t.systemctl.calls()).toHaveLength(5);
  });
});
