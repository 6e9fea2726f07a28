/**
 * The same crash guarantees through the built CLI: `fleet apply` / `fleet rollback` SIGKILLed at
 * every named step (FLEET_TEST_DIE_AT), then the next command run by the operator.
 */
import { cpSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { APPLY_STEPS, ROLLBACK_STEPS } from "../../src/deploy/host-events.js";
import { runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const TARGET = "ssh://root@crash.test";
const HOST_DIR = "root@crash.test";
const DEPLOYMENTS = "root/.fleet/deployments";
const STACK_DIR = `${DEPLOYMENTS}/CrashStack`;

function hostFile(version: 1 | 2): string {
  const files =
    version === 1
      ? `{ path = "/etc/crash/main.conf" content = "v1" }
    { path = "/etc/crash/old/legacy.conf" content = "legacy" }
    { path = "/etc/crash/other.conf" content = "same" }`
      : `{ path = "/etc/crash/main.conf" content = "v2" }
    { path = "/etc/crash/new/deep/added.conf" content = "added" }
    { path = "/etc/crash/other.conf" content = "same" mode = "0600" }`;
  return `module CrashPkg { pname = "crash" version = "${version}.0" recipe = "std.files"
  files = [ { path = "bin/run" content = "#!/bin/sh\\necho v${version}\\n" mode = "0755" } ] }
module CrashStack {
  backend = "systemd"
  services = [ { name = "crash" package = "CrashPkg" binary = "run" environment = { TOKEN = { from_env = "CRASH_TOKEN" } } } ]
  configFiles = [
    ${files}
    { path = "/etc/crash/secret" content = { from_env = "CRASH_TOKEN" } }
  ]
}
`;
}

const FLEET = `module Fleet {\n  hosts = [ { file = "hosts/crash.pcl" stack = "CrashStack" target = "${TARGET}" } ]\n}\n`;

interface World {
  readonly dir: string;
  readonly root: string;
  readonly env: Record<string, string>;
}

function world(store: string): World {
  const dir = tempDir("fleet-crash-cli-");
  writeTree(dir, { "fleet.pcl": FLEET, "hosts/crash.pcl": hostFile(1) });
  return { dir, root: join(dir, "out"), env: { FLEET_STORE_DIR: store, CRASH_TOKEN: "t0ken" } };
}

function fleet(w: World, args: string[], dieAt?: string) {
  return runFleet([args[0]!, join(w.dir, "fleet.pcl"), "--transport-root", w.root, ...args.slice(1)], {
    env: { ...w.env, ...(dieAt ? { FLEET_TEST_DIE_AT: dieAt } : {}) },
  });
}

// The store is not part of a generation's managed files (and is never garbage collected here).
const tree = (w: World): string => treeHash(join(w.root, HOST_DIR), [DEPLOYMENTS, w.env.FLEET_STORE_DIR!.slice(1)]);
const current = (w: World): string => readlinkSync(join(w.root, HOST_DIR, STACK_DIR, "current"));

function clone(w: World): World {
  const c = world(w.env.FLEET_STORE_DIR!);
  cpSync(w.root, c.root, { recursive: true, verbatimSymlinks: true });
  writeTree(c.dir, { "hosts/crash.pcl": readFileSync(join(w.dir, "hosts/crash.pcl"), "utf8") });
  return c;
}

let store: string;
let afterV1: World;
let afterV2: World;
let treeV1: string;
let treeV2: string;

beforeAll(() => {
  store = join(tempDir(), "store");
  afterV1 = world(store);
  const a = fleet(afterV1, ["apply"]);
  expect(a.stderr).toBe("");
  expect(a.code).toBe(0);
  treeV1 = tree(afterV1);
  afterV2 = clone(afterV1);
  writeTree(afterV2.dir, { "hosts/crash.pcl": hostFile(2) });
  const b = fleet(afterV2, ["apply"]);
  expect(b.code).toBe(0);
  treeV2 = tree(afterV2);
  expect(treeV2).not.toBe(treeV1);
});

describe("fleet apply killed at each step", () => {
  it.each(APPLY_STEPS.map((s) => [s]))("%s: the next apply completes, and rollback restores gen-001", (step) => {
    const w = clone(afterV1);
    writeTree(w.dir, { "hosts/crash.pcl": hostFile(2) });
    const killed = fleet(w, ["apply"], step);
    expect(killed.code, killed.stderr).toBe(-1); // no exit status: SIGKILL
    expect(["gen-001.json", "gen-002.json"]).toContain(current(w));

    const again = fleet(w, ["apply"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(step === "apply:pending-removed" ? /^(⚠ .*took over the lock of dead process \d+.*\n)?$/ : /took over the lock of dead process/);
    const at = APPLY_STEPS.indexOf(step);
    if (at >= APPLY_STEPS.indexOf("apply:pending-written") && at < APPLY_STEPS.indexOf("apply:pending-removed")) {
      // A marker was left: the report says how it was resolved.
      expect(again.stderr).toMatch(/(finished|undid) interrupted apply to gen-002/);
    } else {
      expect(again.stderr).not.toMatch(/interrupted/);
    }
    expect(tree(w)).toBe(treeV2);

    // The generation this apply wrote replaced whatever recovery left current; rollback lands there.
    const latest = current(w);
    expect(latest).toBe(at < APPLY_STEPS.indexOf("apply:manifest-written") ? "gen-002.json" : "gen-003.json");
    const m = JSON.parse(readFileSync(join(w.root, HOST_DIR, STACK_DIR, latest), "utf8")) as { previous: number };
    const back = fleet(w, ["rollback"]);
    expect(back.code, back.stderr).toBe(0);
    expect(current(w)).toBe(`gen-00${m.previous}.json`);
    expect(tree(w)).toBe(m.previous === 1 ? treeV1 : treeV2);
    expect(readdirSync(join(w.root, HOST_DIR, STACK_DIR)).filter((n) => n === "pending" || n === "lock")).toEqual([]);
  });
});

describe("fleet rollback killed at each step", () => {
  it.each(ROLLBACK_STEPS.map((s) => [s]))("%s: the next rollback ends at gen-001", (step) => {
    const w = clone(afterV2);
    const killed = fleet(w, ["rollback"], step);
    expect(killed.code, killed.stderr).toBe(-1);
    const back = fleet(w, ["rollback"]);
    if (step === "rollback:pending-removed") {
      expect(back.code).toBe(1);
      expect(back.stderr).toContain("[E12] no previous generation");
    } else {
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toContain("↩ CrashStack → gen-001 (was gen-002)");
    }
    expect(current(w)).toBe("gen-001.json");
    expect(tree(w)).toBe(treeV1);
  });
});
