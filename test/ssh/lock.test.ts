/**
 * Two `fleet` processes on one host over SSH: while the first holds the host's flock (here inside
 * its health check, after the flip), a second `fleet apply` or `fleet rollback` fails at once,
 * naming the holder (host, pid, start time), and touches nothing; the first finishes normally.
 * The first run's health check waits for a file the test creates, so nothing depends on timing.
 */
import { spawn } from "node:child_process";
import { existsSync, readlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { treeHash } from "../support/tree-hash.js";
import { writeFleetDir } from "./pcl.js";
import { HOME, useOneSshHost } from "./rig.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";

requireSshdUnderCi();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escape = (s: string): string => s.replace(/[.[\]()^$*+?{}|\\]/g, "\\$&");

describe.skipIf(!HAVE_SSHD)("a second fleet process over SSH", () => {
  const tag = `fleet-lock-${process.pid}`;
  const ctx = useOneSshHost(tag, "fleet-ssh-lock-");

  it("fails at once naming the holder while the first still runs the host's health check", async () => {
    const { hosts, rig, dir } = ctx;
    const target = rig.targets[0]!;
    const release = `${rig.managed}/release`;
    const fleet = writeFleetDir(dir, [
      {
        stack: "Slow",
        target,
        files: [{ path: `${rig.managed}/slow/etc/slow.conf`, content: "v1" }],
        pkg: { version: "1.0" },
        // Holds the first run (and its lock) until the test says so: no timing involved.
        stackExtra: `  healthChecks = [ { name = "settle" command = "while [ ! -e ${release} ]; do sleep 0.05; done" timeout = 60 } ]`,
      },
    ]);
    // The same flags as rig.fleet, but spawned so the test can act while it runs.
    const flags = sshFlags({ key: hosts.key, knownHosts: hosts.knownHosts, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/lock/deployments` });
    const first = spawn(process.execPath, [FLEET_BIN, "apply", fleet, ...flags], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let out = "";
    let err = "";
    first.stdout.on("data", (d: Buffer) => (out += d.toString()));
    first.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => first.on("close", (c) => r(c ?? -1)));
    // Wait for the flip: the first process is then inside its health check, still holding the lock.
    const current = `${HOME}/.${tag}/lock/deployments/Slow/current`;
    for (let i = 0; i < 800 && !existsSync(current) && first.exitCode === null; i++) await sleep(25);
    expect(existsSync(current), `the first run never flipped: ${out}${err}`).toBe(true);
    expect(readlinkSync(current)).toBe("gen-001.json");
    const before = treeHash(`${rig.managed}/slow`);

    for (const cmd of ["apply", "rollback"]) {
      const second = rig.fleet([cmd, fleet], "lock");
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `^✗ Slow → ${escape(target)}: ${escape(target)}/Slow is locked by pid ${first.pid} on host ${escape(hostname())} since \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z; wait for it to finish\\n$`,
        ),
      );
      expect(second.stdout).toBe(cmd === "apply" ? "fleet: 0/1 host(s) deployed (1 failed)\n" : "fleet: 0/1 host(s) rolled back (1 failed)\n");
    }
    // The refused runs changed nothing, and the first one was not disturbed.
    expect(readlinkSync(current)).toBe("gen-001.json");
    expect(treeHash(`${rig.managed}/slow`)).toBe(before);
    writeFileSync(release, "");
    expect(await exited).toBe(0);
    expect(err).toBe("");
    expect(out).toBe(`✓ Slow → ${target}\nfleet: 1/1 host(s) deployed\n`);
    // Released on exit: the next run gets the lock.
    const next = rig.fleet(["apply", fleet], "lock");
    expect(next.stderr).toBe("");
    expect(next.code).toBe(0);
    expect(readlinkSync(current)).toBe("gen-002.json");
  });
});
