import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, type HostSpec } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const DEPLOYMENTS = "root/.fleet/deployments";

/** A chain P0 → C1 → C2 plus five independent hosts; the rollback hooks log start/end per host. */
function fleetOf(version: 1 | 2, log: string): { dir: string; hosts: HostSpec[]; extra: string } {
  const hosts: HostSpec[] = Array.from({ length: 8 }, (_, i) => {
    const files: Record<string, string> = { [`/etc/h${i}/main.conf`]: `host ${i} v${version}` };
    let stackExtra = "";
    if (i === 0 || i === 1) stackExtra = `  producesArtifacts = [ { name = "addr" kind = "literal" value = "10.0.${i}.${version}" } ]`;
    if (i === 1) files[`/etc/h1/peer`] = '${ { from_artifact = "m0/addr" } }';
    if (i === 2) files[`/etc/h2/peer`] = '${ { from_artifact = "m1/addr" } }';
    return { stack: `S${i}`, target: `ssh://root@h${i}.test`, machine: `m${i}`, files, stackExtra };
  });
  // The sleep widens each host's window so that a wrong order or no concurrency shows in the log.
  const extra = `  hooks = { rollback = { pre = "echo start $FLEET_NODE >> ${log}; sleep 0.3" post = "echo end $FLEET_NODE >> ${log}" } }`;
  return { dir: "", hosts, extra };
}

describe("fleet rollback --jobs", () => {
  it("rolls consumers back before producers, runs independent hosts at once, and prints the same for every --jobs", () => {
    const dir = tempDir();
    const env = { FLEET_STORE_DIR: join(tempDir(), "store") };
    const outputs = new Map<string, string>();
    for (const jobs of ["1", "4", "default"]) {
      const root = join(tempDir(), "out");
      const log = join(tempDir(), "hooks.log");
      const v1 = fleetOf(1, log);
      const fleet = writeFleet(dir, v1.hosts, v1.extra);
      expect(runFleet(["apply", fleet, "--transport-root", root], { env }).code).toBe(0);
      const gen1 = new Map(readdirSync(root).map((h) => [h, treeHash(join(root, h), [DEPLOYMENTS])]));
      const v2 = fleetOf(2, log);
      writeFleet(dir, v2.hosts, v2.extra);
      expect(runFleet(["apply", fleet, "--transport-root", root], { env }).code).toBe(0);
      const args = ["rollback", fleet, "--transport-root", root, ...(jobs === "default" ? [] : ["--jobs", jobs])];
      const r = runFleet(args, { env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      outputs.set(jobs, r.stdout);
      for (const [h, hash] of gen1) expect(treeHash(join(root, h), [DEPLOYMENTS])).toBe(hash);

      const events = readFileSync(log, "utf8").trim().split("\n");
      const at = (e: string): number => {
        const i = events.indexOf(e);
        expect(i, `${e} in ${events.join(", ")}`).toBeGreaterThanOrEqual(0);
        return i;
      };
      // The chain goes consumer first: S2 ends before S1 starts, S1 ends before S0 starts.
      expect(at("end m2")).toBeLessThan(at("start m1"));
      expect(at("end m1")).toBeLessThan(at("start m0"));
      // At most `jobs` hosts are in flight, and with more than one job some hosts overlap.
      let inFlight = 0;
      let most = 0;
      for (const e of events) {
        inFlight += e.startsWith("start ") ? 1 : -1;
        most = Math.max(most, inFlight);
      }
      if (jobs === "1") expect(most).toBe(1);
      else expect(most).toBeGreaterThan(1);
      if (jobs === "4") expect(most).toBeLessThanOrEqual(4);
    }
    expect(outputs.get("4")).toBe(outputs.get("1"));
    expect(outputs.get("default")).toBe(outputs.get("1"));
    expect(outputs.get("1")!.split("\n").filter(Boolean).map((l) => l.split(" ")[1])).toEqual(["S7", "S6", "S5", "S4", "S3", "S2", "S1", "S0", "8/8"]);
  });

  it("status and verify read hosts at once and report in fleet-file order", () => {
    const dir = tempDir();
    const env = { FLEET_STORE_DIR: join(tempDir(), "store") };
    const root = join(tempDir(), "out");
    const v1 = fleetOf(1, join(tempDir(), "hooks.log"));
    const fleet = writeFleet(dir, v1.hosts, v1.extra);
    expect(runFleet(["apply", fleet, "--transport-root", root], { env }).code).toBe(0);
    for (const cmd of ["status", "verify", "plan"]) {
      const one = runFleet([cmd, fleet, "--transport-root", root, "--jobs", "1", ...(cmd === "plan" ? ["--json"] : [])], { env });
      const many = runFleet([cmd, fleet, "--transport-root", root, "--jobs", "8", ...(cmd === "plan" ? ["--json"] : [])], { env });
      expect(one.code).toBe(0);
      expect(many.stdout).toBe(one.stdout);
      expect(many.stderr).toBe(one.stderr);
    }
  });
});
