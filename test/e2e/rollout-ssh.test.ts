/**
 * A staged rollout over real SSH with --activate (ADR 160): the rollback on halt re-activates each
 * host it rolls back, as an automatic rollback does. Three stacks on one sshd target, one wave each;
 * the fake `systemctl` is first on the session's PATH (sshd `SetEnv`), as in
 * activation-ssh.test.ts; the stacks have no services, so each activation is one daemon-reload.
 */
import { readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { installFakeSystemctl } from "../support/fake-systemctl.js";
import { writeTree } from "../support/fleet-fixture.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { treeHash } from "../support/tree-hash.js";
import { HAVE_SSHD, requireSshdUnderCi } from "../ssh/sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

describe.skipIf(!HAVE_SSHD)("staged rollout over SSH", () => {
  const fake = installFakeSystemctl();
  const tag = `fleet-rollout-ssh-${process.pid}`;
  let sshd: Sshd;
  let work: string;

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: [`SetEnv PATH=${fake.binDir}:/usr/local/bin:/usr/bin:/bin`] });
    work = tempDir("fleet-rollout-ssh-");
  });
  afterAll(async () => {
    await sshd?.stop();
    for (const d of [work, `/root/.${tag}`]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("--rollback-on-halt with --activate rolls back and re-activates every host the rollout moved, last wave first", () => {
    const managed = join(work, "managed");
    const stack = (name: string, version: string, check: string) =>
      `module ${name} { backend = "systemd"
  configFiles = [ { path = "${managed}/${name}/version" content = "${version}\\n" } ]
  healthTimeout = 2 healthChecks = [ { name = "up" command = "${check}" } ] }\n`;
    writeTree(work, {
      "fleet.pcl": `module Fleet { hosts = [
  { file = "a.pcl" stack = "A" target = "${sshd.target}" }
  { file = "b.pcl" stack = "B" target = "${sshd.target}" }
  { file = "c.pcl" stack = "C" target = "${sshd.target}" }
] }\n`,
      "a.pcl": stack("A", "v1", "true"),
      "b.pcl": stack("B", "v1", "true"),
      "c.pcl": stack("C", "v1", "true"),
    });
    const apply = (extra: readonly string[]) =>
      runFleet([
        "apply",
        join(work, "fleet.pcl"),
        ...sshFlags({ key: sshd.clientKeyPath, knownHosts: sshd.knownHostsPath, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/deployments` }),
        "--activate",
        ...extra,
      ]);
    expect(apply([]).code).toBe(0);
    expect(fake.calls()).toEqual(Array(3).fill("daemon-reload"));
    const before = treeHash(managed);

    writeFileSync(join(work, "a.pcl"), stack("A", "v2", "true"));
    writeFileSync(join(work, "b.pcl"), stack("B", "v2", "true"));
    writeFileSync(join(work, "c.pcl"), stack("C", "v2", "exit 1"));
    const res = apply(["--waves", "1", "--rollback-on-halt"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(
      `wave 1/3: 1 host(s)\n✓ A → ${sshd.target}\nwave 2/3: 1 host(s)\n✓ B → ${sshd.target}\nwave 3/3: 1 host(s)\n` +
        "rollback on halt: 2 host(s)\n↩ B → gen-001 (was gen-002); 1 restored, 0 removed\n↩ A → gen-001 (was gen-002); 1 restored, 0 removed\n" +
        "fleet: 0/3 host(s) deployed (3 rolled back)\n",
    );
    expect(res.stderr).toBe(`↩ C → ${sshd.target}: rolled back to gen-001 (health check 'up' failed after 1 attempt: exit 1)\nrollout halted after wave 3: 1 failed > budget 0\n`);
    expect(treeHash(managed)).toBe(before);
    for (const s of ["A", "B", "C"]) expect(readlinkSync(join(`/root/.${tag}/deployments`, s, "current"))).toBe("gen-001.json");
    // The stacks have no units (ADR 190): only the three first activations reload the daemon; the
    // v2 deploys, C's automatic rollback and the rollbacks on halt change no unit, so call nothing.
    expect(fake.calls()).toEqual(Array(3).fill("daemon-reload"));
  });
});
