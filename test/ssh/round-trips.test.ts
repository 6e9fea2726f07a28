/**
 * Round trips per host over real SSH (issue 18, ADR 215), counted by the transport itself
 * (FLEET_TEST_COUNT_RTT: one JSON line per closed connection with the length of its chain of
 * sequential waits after authentication). Counts, never times. Three sshd hosts, each with a home
 * of its own (so each has its own store and a push is real for every host), all receiving one
 * shared store path plus one of their own: first deploy, no-change re-apply, one-file change and
 * rollback each stay under a ceiling per connection, and the shared path is packed once per run.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { ensureTestUser, startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";

requireSshdUnderCi();

/**
 * Ceilings per host connection, set at what the transport achieves (lower them, never raise them;
 * FLEET_TEST_TRACE_RTT=<file> on the run says which call made each level).
 */
const FIRST_DEPLOY = 7;
const NO_CHANGE = 4;
const ONE_FILE_CHANGE = 4;
const ROLLBACK = 6;
const STATUS = 4;

const NAMES = ["a", "b", "c"] as const;

interface Line {
  readonly target: string;
  readonly roundTrips: number;
  readonly requests: number;
  readonly packed: number;
}

function hostFile(stack: string, root: string, line: string): string {
  return `module Shared {
  pname = "shared-lib"
  version = "1.0"
  recipe = "std.files"
  files = [
    { path = "lib/one" content = "one\\n" }
    { path = "lib/two" content = "two\\n" }
  ]
}
module Own {
  pname = "own-${stack.toLowerCase()}"
  version = "1.0"
  recipe = "std.files"
  files = [ { path = "bin/tool" mode = "0755" content = "#!/bin/sh\\necho ${stack}\\n" } ]
}
module ${stack} {
  backend = "systemd"
  storeModules = ["Shared", "Own"]
  configFiles = [
    { path = "${root}/etc/app/app.conf" content = "${line}\\n" }
    { path = "${root}/etc/app/run.sh" content = "#!/bin/sh\\n" mode = "0750" }
  ]
}
`;
}

describe.skipIf(!HAVE_SSHD)("round trips per host over SSH (three sshd hosts, counted)", () => {
  const sshds: Sshd[] = [];
  let work: string;
  let homes: string;
  let managed: string;
  const tag = `fleet-rtt-${process.pid}`;
  const uid = (): number => Number(execFileSync("id", ["-u", TEST_USER]).toString());
  const gid = (): number => Number(execFileSync("id", ["-g", TEST_USER]).toString());

  beforeAll(async () => {
    // The account owns the homes made below, before any sshd (which would create it) starts.
    ensureTestUser();
    homes = mkdtempSync(join(tmpdir(), "fleet-rtt-homes-"));
    execFileSync("/bin/chmod", ["0755", homes]);
    for (const n of NAMES) {
      mkdirSync(join(homes, n));
      chownSync(join(homes, n), uid(), gid());
    }
    // Each host's session gets a HOME of its own: `~/…` store and deployment roots differ per host.
    for (const n of NAMES) sshds.push(await startSshd({ user: TEST_USER, extraConfig: [`SetEnv HOME=${join(homes, n)}`] }));
    work = mkdtempSync(join(tmpdir(), "fleet-rtt-"));
    for (const s of sshds.slice(1)) appendFileSync(join(s.dir, "authorized_keys"), readFileSync(`${sshds[0]!.clientKeyPath}.pub`));
    writeFileSync(join(work, "known_hosts"), sshds.map((s) => readFileSync(s.knownHostsPath, "utf8")).join(""));
    managed = mkdtempSync(join(tmpdir(), "fleet-rtt-managed-"));
    execFileSync("/bin/chmod", ["0755", managed]);
    for (const n of NAMES) {
      mkdirSync(join(managed, n));
      chownSync(join(managed, n), uid(), gid());
    }
    mkdirSync(join(work, "hosts"));
    writeFileSync(
      join(work, "fleet.pcl"),
      `module Fleet {
  hosts = [
${NAMES.map((n, i) => `    { file = "hosts/${n}.pcl" stack = "${n.toUpperCase()}Stack" target = "${sshds[i]!.target}" machine = "${n}" }`).join("\n")}
  ]
}
`,
    );
    for (const n of NAMES) writeFileSync(join(work, "hosts", `${n}.pcl`), hostFile(`${n.toUpperCase()}Stack`, join(managed, n), "v1"));
  });
  afterAll(async () => {
    await Promise.all(sshds.map((s) => s.stop()));
    for (const d of [work, managed, homes]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const flags = (): string[] =>
    sshFlags({ key: sshds[0]!.clientKeyPath, knownHosts: join(work, "known_hosts"), connectTimeout: 5, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/deployments` });

  /** Runs `fleet args` with the counter on; returns its lines, checked to be one per host. */
  function counted(phase: string, args: readonly string[]): Line[] {
    const file = join(work, `rtt-${phase}.jsonl`);
    const r = runFleet([...args, join(work, "fleet.pcl"), ...flags(), "--jobs", "3"], { env: { FLEET_TEST_COUNT_RTT: file } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.target).sort()).toEqual(sshds.map((s) => s.target).sort());
    // Printed for whoever lowers a ceiling: the measured counts of this phase.
    console.log(`${phase}: ${lines.map((l) => `${l.roundTrips} (${l.requests} requests, ${l.packed} packed)`).join(", ")}`);
    return lines;
  }

  const storePaths = (n: string): string[] => readdirSync(join(homes, n, `.${tag}`, "store")).filter((e) => !e.startsWith("."));

  it("first deploy, no-change re-apply, one-file change and rollback stay under their ceilings; a shared path is packed once", () => {
    const first = counted("first-deploy", ["apply"]);
    for (const l of first) expect(l.roundTrips).toBeLessThanOrEqual(FIRST_DEPLOY);
    // Every host received both its store paths (a real push to each) ...
    for (const n of NAMES) expect(storePaths(n).filter((p) => /-(shared-lib|own-[abc]stack)-1\.0$/.test(p)).length).toBe(2);
    const distinct = new Set(NAMES.flatMap((n) => storePaths(n).filter((p) => /-(shared-lib|own-[abc]stack)-1\.0$/.test(p))));
    expect(distinct.size).toBe(4);
    for (const n of NAMES) expect(existsSync(join(homes, n, `.${tag}`, "store", [...distinct].find((p) => p.endsWith("-shared-lib-1.0"))!, ".fleet-built"))).toBe(true);
    // ... yet each distinct store path was packed once in the run: 4, not 6.
    expect(first.reduce((s, l) => s + l.packed, 0)).toBe(distinct.size);

    const same = counted("no-change", ["apply"]);
    for (const l of same) {
      expect(l.roundTrips).toBeLessThanOrEqual(NO_CHANGE);
      expect(l.packed).toBe(0);
    }

    for (const n of NAMES) writeFileSync(join(work, "hosts", `${n}.pcl`), hostFile(`${n.toUpperCase()}Stack`, join(managed, n), "v2"));
    const change = counted("one-file-change", ["apply"]);
    for (const l of change) expect(l.roundTrips).toBeLessThanOrEqual(ONE_FILE_CHANGE);
    for (const n of NAMES) expect(readFileSync(join(managed, n, "etc/app/app.conf"), "utf8")).toBe("v2\n");

    const back = counted("rollback", ["rollback"]);
    for (const l of back) expect(l.roundTrips).toBeLessThanOrEqual(ROLLBACK);
    for (const n of NAMES) expect(readFileSync(join(managed, n, "etc/app/app.conf"), "utf8")).toBe("v1\n");

    // Reading every host: status (with its history) and verify (with the store check).
    for (const l of counted("status", ["status"])) expect(l.roundTrips).toBeLessThanOrEqual(STATUS);
    for (const l of counted("verify", ["verify"])) expect(l.roundTrips).toBeLessThanOrEqual(STATUS);
  });
});
