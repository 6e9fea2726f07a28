/**
 * `fleet reboot` (issue 14, ADR 183) on a real systemd machine of the rig (ADR 100): the machine
 * reboots itself, the rig boots it again, and fleet reports the new boot id once sshd answers.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";
import { rigSkipReason, useSystemdRig } from "../support/systemd-rig.js";

const rig = useSystemdRig([{ name: "box" }]);

/** The CLI without blocking this process's event loop (the rig's supervisor lives here). */
function runFleetAsync(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FLEET_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(rigSkipReason)("fleet reboot on a rig machine", () => {
  const fleet = (): string =>
    writeFleet(tempDir(), [
      { stack: "BoxStack", target: rig.get("box").target, machine: "box", files: { "/etc/b": "b" } },
      { stack: "OtherStack", target: "ssh://deploy@127.0.0.1:1", machine: "other", files: { "/etc/o": "o" } },
    ]);
  const ssh = (): string[] => sshFlags({ key: rig.keyPath, knownHosts: rig.knownHostsPath, connectTimeout: 5 });

  it("reboots, waits for the machine to answer again, and reports its new boot id", async () => {
    const box = rig.get("box");
    const before = await box.bootId();
    const r = await runFleetAsync(["reboot", fleet(), ...ssh(), "--only", "box", "--wait-timeout", "120"]);
    expect(r.stderr).toBe("");
    const m = /^✓ box \(ssh:\/\/deploy@127\.0\.0\.1:\d+\): back in \d+ s, boot id ([0-9a-f-]{36})\nfleet: 1\/1 host\(s\) rebooted\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(r.code).toBe(0);
    const after = await box.waitForBoot(before);
    expect(m![1]).toBe(after);
    expect(after).not.toBe(before);
  }, 180_000);

  it("--no-wait only asks; --json carries both boot ids", async () => {
    const box = rig.get("box");
    const before = await box.bootId();
    const r = await runFleetAsync(["reboot", fleet(), ...ssh(), "--only", "box", "--no-wait", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { command: string; hosts: Record<string, unknown>[] };
    expect(doc.command).toBe("reboot");
    expect(doc.hosts).toHaveLength(1);
    expect(doc.hosts[0]).toMatchObject({ machine: "box", ok: true, previous_boot_id: before, boot_id: null, error: null });
    const after = await box.waitForBoot(before);
    expect(after).not.toBe(before);
  }, 180_000);

  it("an unreachable host is a ✗ line and exit 1; every host needs --all; --transport-root is refused", async () => {
    const r = await runFleetAsync(["reboot", fleet(), ...ssh(), "--only", "other"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ other \(ssh:\/\/deploy@127\.0\.0\.1:1\): cannot connect/m);
    expect(r.stdout).toBe("fleet: 0/1 host(s) rebooted\n");
    const all = await runFleetAsync(["reboot", fleet(), ...ssh()]);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain("only with --all");
    expect((await runFleetAsync(["reboot", fleet(), "--transport-root", tempDir(), "--only", "box"])).code).toBe(2);
  });
  it("reboot hooks: a failing pre hook leaves the machine running; pre and post run around a reboot (ADR 234)", async () => {
    const box = rig.get("box");
    const log = join(tempDir(), "hooks.log");
    const withHooks = (pre: string): string =>
      writeFleet(
        tempDir(),
        [{ stack: "BoxStack", target: box.target, machine: "box", files: { "/etc/b": "b" } }],
        `  hooks = { reboot = { pre = "${pre}" post = "echo post $FLEET_NODE $FLEET_USER >> ${log}" } }`,
      );
    const before = await box.bootId();
    const refused = await runFleetAsync(["reboot", withHooks(`echo pre $FLEET_NODE >> ${log}; echo not now >&2; exit 5`), ...ssh(), "--only", "box", "--no-wait"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^✗ box \(ssh:\/\/deploy@127\.0\.0\.1:\d+\): reboot pre hook failed \(exit 5: not now\)\n/);
    expect(await box.bootId()).toBe(before);
    expect(readFileSync(log, "utf8")).toBe("pre box\n");

    const r = await runFleetAsync(["reboot", withHooks(`echo pre $FLEET_NODE >> ${log}`), ...ssh(), "--only", "box", "--wait-timeout", "120"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(log, "utf8")).toBe("pre box\npre box\npost box deploy\n");
    const after = await box.waitForBoot(before);
    expect(after).not.toBe(before);
  }, 180_000);
});
