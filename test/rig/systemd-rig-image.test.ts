/**
 * The rig's image preparation (test/support/systemd-rig-image.ts) on an overlay that is never
 * booted: a `deploy` account, dotfiles or sudo rule of the machine running the tests must not
 * leak into a rig machine.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rigSkipReason } from "../support/systemd-rig.js";
import { RIG_BASE, teardownRun, writeOwner } from "../support/systemd-rig-host.js";
import { BANNER_STDOUT, prepareImage } from "../support/systemd-rig-image.js";

describe.skipIf(rigSkipReason)("systemd rig image", () => {
  // A run of its own, so a killed test leaves nothing the next rig does not sweep.
  const runId = `img${randomBytes(3).toString("hex")}`;
  const dir = join(RIG_BASE, runId);
  const root = join(dir, "root");
  beforeAll(() => {
    writeOwner(runId);
    mkdirSync(dir);
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", dir]);
    for (const d of ["upper", "work", "root"]) mkdirSync(join(dir, d));
    execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=/,upperdir=${dir}/upper,workdir=${dir}/work`, root]);
  });
  afterAll(() => {
    expect(teardownRun(runId)).toEqual([]);
  });

  it("replaces a deploy user, its dotfiles and sudo rules that the base image already has", () => {
    // What another suite could have left on the machine running the tests.
    execFileSync("chroot", [root, "/bin/sh", "-c", "useradd -m -s /bin/sh deploy && echo 'echo leaked banner' >> /home/deploy/.bashrc"]);
    writeFileSync(join(root, "etc/sudoers.d/leaked"), "deploy ALL=(ALL) NOPASSWD: ALL\n", { mode: 0o440 });
    writeFileSync(join(root, "etc/ssh/sshd_config.d/leaked.conf"), "Port 2222\n");
    prepareImage(root, {
      hostname: "img",
      port: 40000,
      deployPubKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployKeyDeployKeyDeployKeyDeployKey0 d",
      rootPubKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootKeyRootKeyRootKeyRootKeyRootKey00 r",
      banner: false,
      loginShell: "bash",
      noSftp: true,
      sudoPassword: true,
    });
    const bashrc = readFileSync(join(root, "home/deploy/.bashrc"), "utf8");
    expect(bashrc).not.toContain("leaked");
    expect(bashrc).not.toContain(BANNER_STDOUT);
    expect(readdirSync(join(root, "etc/sudoers.d")).sort()).toEqual(["README", "fleet-rig-deploy"]);
    expect(readFileSync(join(root, "etc/sudoers.d/fleet-rig-deploy"), "utf8")).toBe("deploy ALL=(ALL:ALL) ALL\n");
    expect(readdirSync(join(root, "etc/ssh/sshd_config.d"))).toEqual(["10-fleet-rig.conf"]);
    expect(readFileSync(join(root, "etc/ssh/sshd_config"), "utf8")).not.toMatch(/^\s*Subsystem/m);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toMatch(/^deploy:x:\d+:\d+::\/home\/deploy:\/bin\/bash$/m);
    expect(readFileSync(join(root, "home/deploy/.ssh/authorized_keys"), "utf8")).toMatch(/DeployKey/);
    expect(readdirSync(join(root, "etc/ssh")).filter((f) => f.startsWith("ssh_host_")).sort()).toEqual([
      "ssh_host_ed25519_key",
      "ssh_host_ed25519_key.pub",
    ]);
    // The machine running the tests is untouched.
    expect(readdirSync("/etc/sudoers.d")).not.toContain("leaked");
    expect(readFileSync("/etc/passwd", "utf8")).not.toMatch(/^deploy:.*:\/bin\/sh$/m);
  });
});
