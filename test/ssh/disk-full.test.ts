/**
 * Issue 12, must show: a fault suite over real SSH with a disk that fills up. The target is this
 * machine (test/support/sshd.ts), so small tmpfs mounts stand for the target's full disk: once
 * under the managed files (the failure comes after the generation's `pending` marker), once
 * under the deployments root (the failure comes before anything is live). Each run must end in a
 * clean `✗ … no space left on device` line, the next run after space is freed must recover, and
 * the managed tree must then be byte-identical to one generation.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { treeListing } from "../support/tree-hash.js";
import { useOneSshHost } from "./rig.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const TAG = `fleet-diskfull-${process.pid}`;

function tmpfs(size: string, uid: number, gid: number): string {
  const dir = tempDir("fleet-tmpfs-");
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir]);
  chownSync(dir, uid, gid);
  return dir;
}

function resize(dir: string, size: string): void {
  execFileSync("mount", ["-o", `remount,size=${size}`, dir]);
}

function unmount(dir: string): void {
  try {
    execFileSync("umount", ["-l", dir]);
  } catch {
    /* not mounted */
  }
  rmSync(dir, { recursive: true, force: true });
}

type Files = Readonly<Record<string, string>>;

function hostPcl(files: Files): string {
  const entries = Object.entries(files)
    .map(([p, c]) => `    { path = "${p}" content = "${c}" }`)
    .join("\n");
  return `module Tool { pname = "tool-diskfull" version = "1.0" recipe = "std.files"
  files = [ { path = "bin/tool" mode = "0755" content = "#!/bin/sh\\necho ok\\n" } ] }
module Disk {
  backend = "systemd"
  storeModules = ["Tool"]
  configFiles = [
${entries}
  ]
}
`;
}

/** The regular files of `dir` as tree-hash lines: what one generation's managed files must be. */
function expectedFiles(root: string, files: Files): string[] {
  return Object.entries(files)
    .map(([p, c]) => `f ${p.slice(root.length + 1)} 0644 ${createHash("sha256").update(c).digest("hex")}`)
    .sort();
}

const fileLines = (root: string): string[] => treeListing(root).filter((l) => l.startsWith("f "));

describe.skipIf(!HAVE_SSHD)("a target disk that fills up, over SSH", () => {
  const one = useOneSshHost(TAG, "fleet-diskfull-");
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) unmount(m);
  });

  function fleet(dir: string, files: Files, deployments: string): CliResult {
    writeFileSync(join(dir, "hosts/disk.pcl"), hostPcl(files));
    return runFleet(
      [
        "apply",
        join(dir, "fleet.pcl"),
        ...sshFlags({ key: one.hosts.key, knownHosts: one.hosts.knownHosts, storeRoot: `~/.${TAG}/store`, deploymentsRoot: deployments }),
      ],
      { env: {} },
    );
  }

  function fleetDir(): string {
    const dir = mkdtempSync(join(one.dir, "fleet-"));
    mkdirSync(join(dir, "hosts"));
    writeFileSync(
      join(dir, "fleet.pcl"),
      `module Fleet { hosts = [ { file = "hosts/disk.pcl" stack = "Disk" target = "${one.hosts.sshds[0]!.target}" } ] }\n`,
    );
    return dir;
  }

  it("full under the managed files: ✗ no space left, then recovery once space is freed", () => {
    const managed = tmpfs("256k", one.rig.uid, one.rig.gid);
    mounts.push(managed);
    const deployments = `~/.${TAG}/managed-full/deployments`;
    const dir = fleetDir();
    const v1: Files = { [`${managed}/etc/app.conf`]: "v1", [`${managed}/etc/keep.conf`]: "keep" };
    const first = fleet(dir, v1, deployments);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(fileLines(managed)).toEqual(expectedFiles(managed, v1));

    const v2: Files = { ...v1, [`${managed}/etc/app.conf`]: "v2", [`${managed}/etc/big.conf`]: "x".repeat(400_000) };
    const full = fleet(dir, v2, deployments);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^✗ Disk → ssh:\/\/\S+: cannot write \S+\/etc\/big\.conf on \S+: no space left on device \(ENOSPC\)$/m);
    expect(full.stderr).not.toMatch(/internal error|\n\s+at |Failure$/m);
    expect(full.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");

    resize(managed, "4m");
    const again = fleet(dir, v2, deployments);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/finished interrupted apply to gen-002/);
    expect(fileLines(managed)).toEqual(expectedFiles(managed, v2));
  });

  it("full under the deployments root: ✗ before anything is live, recovery once space is freed", () => {
    const managed = tempDir("fleet-diskfull-managed-");
    chownSync(managed, one.rig.uid, one.rig.gid);
    const depl = tmpfs("128k", one.rig.uid, one.rig.gid);
    mounts.push(depl);
    const dir = fleetDir();
    const v1: Files = { [`${managed}/etc/app.conf`]: "v1" };
    expect(fleet(dir, v1, `${depl}/deployments`).code).toBe(0);
    const v2: Files = { [`${managed}/etc/app.conf`]: "v2", [`${managed}/etc/big.conf`]: "y".repeat(300_000) };
    const full = fleet(dir, v2, `${depl}/deployments`);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^✗ Disk → ssh:\/\/\S+: cannot write \S+\/deployments\/Disk\/files\/[0-9a-f]{64} on \S+: no space left on device \(ENOSPC\)$/m);
    // Nothing live changed: still exactly gen-001.
    expect(fileLines(managed)).toEqual(expectedFiles(managed, v1));
    resize(depl, "4m");
    const again = fleet(dir, v2, `${depl}/deployments`);
    expect(again.code, again.stderr).toBe(0);
    expect(fileLines(managed)).toEqual(expectedFiles(managed, v2));
    rmSync(managed, { recursive: true, force: true });
  });
});
