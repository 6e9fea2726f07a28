/**
 * The run log (ADR 144): every apply and rollback writes JSON lines under the runs directory,
 * pruned to the newest FLEET_RUNS_KEEP; `fleet log` reads them; no secret value ever reaches them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, writeTree } from "../support/fleet-fixture.js";

const CANARY = "runlog-canary-Pl4nted";

function fleetWithSecret() {
  const dir = tempDir();
  const fleet = writeFleet(
    dir,
    [
      { stack: "Sec", target: "ssh://ops@sec.internal", machine: "sec", files: { "/etc/s": "s" } },
      { stack: "Bad", target: "ssh://ops@bad.internal", files: { "/etc/b": "b" } },
    ],
    `  hooks = { apply = { pre = "echo token $RUNLOG_TOKEN; echo token $RUNLOG_TOKEN >&2" } }`,
  );
  writeTree(dir, {
    "hosts/Sec.pcl": `module Sec { backend = "systemd" configFiles = [ { path = "/etc/s" content = { from_env = "RUNLOG_TOKEN" } } ] }\n`,
    "hosts/Bad.pcl": `module Bad { backend = "systemd" configFiles = [ { path = "/etc/b" content = { from_env = "RUNLOG_SURELY_UNSET" } } ] }\n`,
  });
  const runs = join(tempDir(), "runs");
  const out = join(tempDir(), "out");
  const env = { env: { RUNLOG_TOKEN: CANARY, FLEET_RUNS_DIR: runs, FLEET_STORE_DIR: join(tempDir(), "store") } };
  return { fleet, runs, out, env };
}

describe("run log", () => {
  it("apply and rollback write one JSON-lines log each, never a secret value; fleet log shows them", () => {
    const f = fleetWithSecret();
    const applied = runFleet(["apply", f.fleet, "--dry-run", "--transport-root", f.out, "-v"], f.env);
    expect(applied.code).toBe(1);
    // The seed's summary, with what became of the other hosts.
    expect(applied.stdout).toBe("✓ Sec → ssh://ops@sec.internal\nfleet: 1/2 host(s) deployed (1 failed)\n");
    const json = runFleet(["apply", f.fleet, "--dry-run", "--transport-root", f.out, "--json"], f.env);
    const doc = JSON.parse(json.stdout) as { run: string; hosts: { duration_ms: number | null }[] };
    expect(doc.hosts[0]!.duration_ms).toEqual(expect.any(Number));
    expect(runFleet(["rollback", f.fleet, "--transport-root", f.out], f.env).code).toBe(1);

    const files = readdirSync(f.runs).sort();
    expect(files).toHaveLength(3);
    expect(files[1]).toBe(`${doc.run}.jsonl`);
    for (const name of files) {
      const text = readFileSync(join(f.runs, name), "utf8");
      expect(text, name).not.toContain(CANARY);
      const events = text.trimEnd().split("\n").map((l) => JSON.parse(l) as { event: string; status?: string });
      expect(events[0]!.event).toBe("run-start");
      expect(events[events.length - 1]!.event).toBe("run-end");
      expect(events.filter((e) => e.event === "host-done").length).toBe(2);
    }
    const first = readFileSync(join(f.runs, files[0]!), "utf8");
    expect(first).toContain('"stdout":"token [secret]\\n"');
    expect(first).toContain("RUNLOG_SURELY_UNSET"); // the reference's name, not a value

    const list = runFleet(["log"], f.env);
    expect(list.code).toBe(0);
    expect(list.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(list.stdout).toMatch(/ apply by \S+@\S+ 1\/2 ok, exit 1\n/);
    const one = runFleet(["log", doc.run.slice(0, 22), "--host", "sec"], f.env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain("ok Sec → ssh://ops@sec.internal");
    expect(one.stdout).not.toContain("Bad");
    expect(runFleet(["log", "last", "--json"], f.env).code).toBe(0);
    expect(runFleet(["log", "--json"], f.env).code).toBe(0);
    expect(runFleet(["log", "nosuchrun"], f.env).code).toBe(2);
  });

  it("keeps only the newest FLEET_RUNS_KEEP runs", () => {
    const f = fleetWithSecret();
    const env = { env: { ...f.env.env, FLEET_RUNS_KEEP: "2" } };
    for (let i = 0; i < 3; i++) runFleet(["apply", f.fleet, "--dry-run", "--transport-root", f.out], env);
    expect(readdirSync(f.runs)).toHaveLength(2);
    const custom = join(tempDir(), "elsewhere");
    runFleet(["apply", f.fleet, "--dry-run", "--transport-root", f.out, "--runs-dir", custom], env);
    expect(readdirSync(custom)).toHaveLength(1);
  });
});
