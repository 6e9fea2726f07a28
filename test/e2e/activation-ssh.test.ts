/**
 * Activation over real SSH: the fake `systemctl` is put first on the session's PATH with sshd's
 * `SetEnv`, so the remote shell of `Transport.run` finds it. The stack has no services (a unit
 * would land in the real /etc/systemd/system), so the first activation is `daemon-reload` alone and an unchanged re-apply calls nothing; the
 * per-unit sequences are pinned over the local transport in activation.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { installFakeSystemctl, type FakeSystemctl } from "../support/fake-systemctl.js";
import { writeTree } from "../support/fleet-fixture.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "../ssh/sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

describe.skipIf(!HAVE_SSHD)("activation over SSH", () => {
  const ok = installFakeSystemctl();
  const failing = installFakeSystemctl({ failOn: ["daemon-reload"] });
  const tag = `fleet-activation-ssh-${process.pid}`;
  let hosts: [Sshd, FakeSystemctl][] = [];
  let work: string;

  beforeAll(async () => {
    const setPath = (f: FakeSystemctl): string[] => [`SetEnv PATH=${f.binDir}:/usr/local/bin:/usr/bin:/bin`];
    const [a, b] = await Promise.all([startSshd({ extraConfig: setPath(ok) }), startSshd({ extraConfig: setPath(failing) })]);
    hosts = [
      [a, ok],
      [b, failing],
    ];
    work = tempDir("fleet-activation-ssh-");
  });
  afterAll(async () => {
    await Promise.all(hosts.map(([s]) => s.stop()));
    for (const d of [work, `/root/.${tag}`]) if (d) rmSync(d, { recursive: true, force: true });
  });

  function applyTo(s: Sshd, flags: readonly string[], deployments = `deployments-${s.port}`) {
    const dir = mkdtempSync(join(work, "fleet-"));
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "CfgStack" target = "${s.target}" } ] }\n`,
      "h.pcl": `module CfgStack { backend = "systemd" configFiles = [ { path = "${join(dir, "managed/etc/cfg")}" content = "x\\n" } ] }\n`,
    });
    return runFleet([
      "apply",
      join(dir, "fleet.pcl"),
      // One deployments root per host: each one's first apply is a first activation (ADR 190).
      ...sshFlags({ key: s.clientKeyPath, knownHosts: s.knownHostsPath, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/${deployments}` }),
      ...flags,
    ]);
  }

  it("runs systemctl on the target through the SSH session", () => {
    const [s, fake] = hosts[0]!;
    const r = applyTo(s, ["--activate", "--enable"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`✓ CfgStack → ${s.target}\nfleet: 1/1 host(s) deployed\n`);
    expect(r.code).toBe(0);
    expect(fake.calls()).toEqual(["daemon-reload"]);
    // Nothing changed (ADR 190): the second apply calls systemctl not at all.
    expect(applyTo(s, ["--activate", "--enable"]).code).toBe(0);
    expect(fake.calls()).toEqual(["daemon-reload"]);
  });

  it("a failing systemctl call is a ⚠ warning; the host stays ✓ and the exit code 0", () => {
    const [s, fake] = hosts[1]!;
    const r = applyTo(s, ["--activate"]);
    expect(r.stdout).toBe(`✓ CfgStack → ${s.target}\nfleet: 1/1 host(s) deployed\n`);
    expect(r.stderr).toBe(`⚠ CfgStack → ${s.target}: systemctl daemon-reload failed (exit 1): fake systemctl: daemon-reload refused\n`);
    expect(r.code).toBe(0);
    expect(fake.calls()).toEqual(["daemon-reload"]);
  });

  it("--json carries what the activation script printed as the `activation` step, failures readable; -v streams it", () => {
    const [s, fake] = hosts[1]!;
    // A deployments root of its own: a first activation again, so daemon-reload runs (and fails).
    const r = applyTo(s, ["--activate", "--json", "-v"], `deployments-json-${s.port}`);
    expect(r.code).toBe(0);
    const host = (JSON.parse(r.stdout) as { hosts: { output: { step: string; stdout: string; exit_code: number | null; failed: boolean }[] }[] }).hosts[0]!;
    const warning = "systemctl daemon-reload failed (exit 1): fake systemctl: daemon-reload refused";
    expect(host.output.map((o) => [o.step, o.stdout, o.exit_code, o.failed])).toEqual([["activation", `${warning}\n`, 0, true]]);
    expect(r.stderr).toContain(`[CfgStack] activation: ${warning}\n`);
    expect(r.stdout + r.stderr).not.toContain("FLEET-FAIL");
    expect(fake.calls()).toEqual(["daemon-reload", "daemon-reload"]);
  });
});
