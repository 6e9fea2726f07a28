/**
 * Crash safety over SSH: `fleet apply` / `fleet rollback` SIGKILLed (FLEET_TEST_DIE_AT) at a
 * representative set of steps while talking to a real sshd as the non-root TEST_USER. The kill
 * drops the connection, so the flock held by its exec session must be free for the very next
 * command, which must finish or undo the interrupted operation and land on one complete
 * generation, byte for byte.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPLY_STEPS } from "../../src/deploy/host-events.js";
import { SshTransport } from "../../src/transport/ssh-transport.js";
import { FLEET_BIN, REPO_ROOT } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { treeHash } from "../support/tree-hash.js";
import { writeFleetDir, type HostDef } from "./pcl.js";
import { HOME, makeRig, startHosts, useOneSshHost, type Hosts, type Rig } from "./rig.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const STACK = "CrashStack";
const escape = (s: string): string => s.replace(/[.[\]()^$*+?{}|\\]/g, "\\$&");
const STATE = "crash";
const ENV = { CRASH_TOKEN: "t0ken" };

/** Covers every phase: before the marker, live writes, secret staging, deletions, the flip. */
const APPLY_KILLS = [
  "apply:pushed",
  "apply:pending-written",
  "apply:first-live-file-written",
  "apply:secrets-staged",
  "apply:first-stale-file-deleted",
  "apply:flipped",
] as const;
const ROLLBACK_KILLS = ["rollback:pending-written", "rollback:first-file-restored", "rollback:first-file-removed", "rollback:flipped"] as const;

function crashHost(rig: Rig, v: 1 | 2): HostDef[] {
  const base = `${rig.managed}/${STATE}`;
  const files =
    v === 1
      ? [
          { path: `${base}/etc/crash/main.conf`, content: "v1" },
          { path: `${base}/etc/crash/old/legacy.conf`, content: "legacy" },
          { path: `${base}/etc/crash/other.conf`, content: "same" },
        ]
      : [
          { path: `${base}/etc/crash/main.conf`, content: "v2" },
          { path: `${base}/etc/crash/new/deep/added.conf`, content: "added" },
          { path: `${base}/etc/crash/other.conf`, content: "same", mode: "0600" },
        ];
  files.push({ path: `${base}/etc/crash/secret`, content: '{ from_env = "CRASH_TOKEN" }', raw: true } as never);
  return [{ stack: STACK, target: rig.targets[0]!, files, pkg: { version: `${v}.0` } }];
}

describe.skipIf(!HAVE_SSHD)("fleet killed mid-operation over SSH", () => {
  let hosts: Hosts;
  let rig: Rig;
  let dir: string;
  let snapshots: string;
  let treeV1: string;
  let treeV2: string;
  const managed = (): string => `${rig.managed}/${STATE}`;
  const deploymentsRoot = (): string => `${HOME}/.${tag}/${STATE}/deployments`;
  const stackDir = (): string => join(deploymentsRoot(), STACK);
  const tag = `fleet-crash-${process.pid}`;
  const tree = (): string => treeHash(managed());
  const current = (): string => readlinkSync(join(stackDir(), "current"));
  const fleet = (cmd: "apply" | "rollback", dieAt?: string) =>
    rig.fleet([cmd, join(dir, "fleet.pcl")], STATE, { ...ENV, ...(dieAt ? { FLEET_TEST_DIE_AT: dieAt } : {}) });

  /** The host's whole fleet state (managed files and deployments root), copied with owners and modes. */
  const save = (name: string): void => {
    for (const [from, to] of [
      [managed(), join(snapshots, name, "managed")],
      [deploymentsRoot(), join(snapshots, name, "deployments")],
    ] as const) {
      execFileSync("mkdir", ["-p", join(snapshots, name)]);
      execFileSync("cp", ["-a", from, to]);
    }
  };
  const restore = (name: string): void => {
    rmSync(managed(), { recursive: true, force: true });
    rmSync(deploymentsRoot(), { recursive: true, force: true });
    execFileSync("cp", ["-a", join(snapshots, name, "managed"), managed()]);
    execFileSync("cp", ["-a", join(snapshots, name, "deployments"), deploymentsRoot()]);
  };

  beforeAll(async () => {
    hosts = await startHosts(1);
    rig = makeRig("ssh", hosts, tag);
    dir = tempDir("fleet-ssh-crash-");
    snapshots = tempDir("fleet-ssh-crash-snap-");
    writeFleetDir(dir, crashHost(rig, 1));
    const a = fleet("apply");
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    treeV1 = tree();
    save("v1");
    writeFleetDir(dir, crashHost(rig, 2));
    const b = fleet("apply");
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    treeV2 = tree();
    expect(treeV2).not.toBe(treeV1);
    save("v2");
  });
  afterAll(async () => {
    await rig?.stop();
    await hosts?.stop();
    for (const d of [dir, snapshots]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it.each(APPLY_KILLS.map((s) => [s]))("apply killed at %s: the next apply completes; rollback restores the previous generation", (step) => {
    restore("v1");
    const killed = fleet("apply", step);
    expect(killed.code, killed.stderr).toBe(-1); // no exit status: SIGKILL
    expect(["gen-001.json", "gen-002.json"]).toContain(current());

    // Run at once, as an operator would: the dead run's flock went with its connection.
    const again = fleet("apply");
    expect(again.code, again.stderr).toBe(0);
    const at = APPLY_STEPS.indexOf(step);
    // Nothing but the recovery line: no "locked by", and no lock takeover either — the dead run's
    // lock shell ended with its session and removed the lock file (ADR 058).
    if (at >= APPLY_STEPS.indexOf("apply:pending-written") && at < APPLY_STEPS.indexOf("apply:pending-removed")) {
      expect(again.stderr).toMatch(new RegExp(`^⚠ ${STACK} → ${escape(rig.targets[0]!)}: (finished|undid) interrupted apply to gen-002\n$`));
    } else {
      expect(again.stderr).toBe("");
    }
    expect(tree()).toBe(treeV2);
    const latest = current();
    expect(latest).toBe(at < APPLY_STEPS.indexOf("apply:manifest-written") ? "gen-002.json" : "gen-003.json");
    // No temp file a kill inside an atomic write may have left survives recovery.
    expect(execFileSync("find", [managed(), stackDir(), "-name", "*.fleet-tmp-*"]).toString()).toBe("");

    const m = JSON.parse(readFileSync(join(stackDir(), latest), "utf8")) as { previous: number };
    const back = fleet("rollback");
    expect(back.code, back.stderr).toBe(0);
    expect(current()).toBe(`gen-00${m.previous}.json`);
    expect(tree()).toBe(m.previous === 1 ? treeV1 : treeV2);
    expect(readdirSync(stackDir()).filter((n) => n === "pending" || n === "lock")).toEqual([]);
  });

  it.each(ROLLBACK_KILLS.map((s) => [s]))("rollback killed at %s: the next rollback ends at gen-001", (step) => {
    restore("v2");
    const killed = fleet("rollback", step);
    expect(killed.code, killed.stderr).toBe(-1);
    const back = fleet("rollback");
    expect(back.stderr).toMatch(new RegExp(`^(⚠ ${STACK} → ${escape(rig.targets[0]!)}: (finished|undid) interrupted rollback to gen-00[12]\n)?$`));
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(`↩ ${STACK} → gen-001 (was gen-002)`);
    expect(current()).toBe("gen-001.json");
    expect(tree()).toBe(treeV1);
    expect(existsSync(join(stackDir(), "pending"))).toBe(false);
  });

  it("the flock of a killed run is free for a direct lock attempt right after the kill", async () => {
    restore("v1");
    const killed = fleet("apply", "apply:first-live-file-written");
    expect(killed.code).toBe(-1);
    const s = hosts.sshds[0]!;
    const t = await SshTransport.connect({ target: s.target, key: hosts.key, knownHosts: hosts.knownHosts });
    try {
      const lock = await t.acquireLock(stackDir(), { host: "test", pid: 1, startedAt: "2026-11-25T00:00:00.000Z" });
      await lock.release();
    } finally {
      await t.close();
    }
    const again = fleet("apply");
    expect(again.code, again.stderr).toBe(0);
    expect(tree()).toBe(treeV2);
  });
});

describe.skipIf(!HAVE_SSHD)("fleet killed in the middle of a store push over SSH", () => {
  const tag = `fleet-crash-push-${process.pid}`;
  const ctx = useOneSshHost(tag, "fleet-ssh-crash-push-");

  it("leaves the store path absent, never half there; the next apply pushes it whole", async () => {
    const { hosts, rig, dir } = ctx;
    const fleet = writeFleetDir(dir, [
      {
        stack: "Big",
        target: rig.targets[0]!,
        files: [{ path: `${rig.managed}/big/etc/big.conf`, content: "big" }],
        extra: `module BigPkg {
  pname = "big"
  version = "1.0"
  recipe = "std.shell"
  command = "mkdir -p $out/data && head -c 100000000 /dev/urandom > $out/data/blob"
}`,
        stackExtra: `  storeModules = ["BigPkg"]`,
      },
    ]);
    const store = `${HOME}/.${tag}/store`;
    const args = [
      FLEET_BIN,
      "apply",
      fleet,
      ...sshFlags({ key: hosts.key, knownHosts: hosts.knownHosts, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/push/deployments` }),
    ];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
    const exited = new Promise<string | null>((r) => child.on("close", (_c, sig) => r(sig)));
    // Kill as soon as the unpacking tar on the target has received part of the stream.
    const pushing = (): boolean =>
      existsSync(store) && readdirSync(store).some((n) => n.startsWith(".fleet-push-") && readdirSync(join(store, n)).length > 0);
    for (let i = 0; i < 2400 && !pushing() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pushing(), "the push never started").toBe(true);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const big = (): string[] => readdirSync(store).filter((n) => n.endsWith("-big-1.0"));
    // Absent or complete, never half there.
    for (const n of big()) expect(existsSync(join(store, n, ".fleet-built"))).toBe(true);
    expect(existsSync(`${HOME}/.${tag}/push/deployments/Big/current`)).toBe(false);

    const again = rig.fleet(["apply", fleet], "push");
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(big()).toHaveLength(1);
    expect(statSync(join(store, big()[0]!, "data", "blob")).size).toBe(100_000_000);
    // The interrupted unpack cleaned up after itself once its stream ended.
    for (let i = 0; i < 200 && readdirSync(store).some((n) => n.startsWith(".fleet-push-")); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(store).filter((n) => n.startsWith(".fleet-push-"))).toEqual([]);
  });
});
