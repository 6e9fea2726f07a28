import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, type HostSpec } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const DEPLOYMENTS = "root/.fleet/deployments";

function sixHosts(version: 1 | 2): HostSpec[] {
  return Array.from({ length: 6 }, (_, i) => {
    const files: Record<string, string> =
      version === 1
        ? { [`/etc/h${i}/main.conf`]: `host ${i} v1`, [`/etc/h${i}/old/drop.conf`]: "to be removed" }
        : { [`/etc/h${i}/main.conf`]: `host ${i} v2`, [`/etc/h${i}/new.conf`]: "added in v2" };
    const produce = i === 0 ? `  producesArtifacts = [ { name = "addr" kind = "literal" value = "10.0.0.${version}" } ]` : "";
    if (i === 3) files[`/etc/h${i}/peer`] = "${ { from_artifact = \"m0/addr\" } }";
    return { stack: `S${i}`, target: `ssh://root@h${i}.test`, machine: `m${i}`, service: true, files, stackExtra: produce };
  });
}

describe("a 6-host fleet applied twice and rolled back", () => {
  it("leaves every host byte-identical to its gen-001 tree", () => {
    const dir = tempDir();
    const root = join(tempDir(), "out");
    const env = { FLEET_STORE_DIR: join(tempDir(), "store") };
    const fleet = writeFleet(dir, sixHosts(1));
    const first = runFleet(["apply", fleet, "--transport-root", root], { env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const hosts = readdirSync(root).sort();
    expect(hosts).toHaveLength(6);
    const gen1 = new Map(hosts.map((h) => [h, treeHash(join(root, h), [DEPLOYMENTS])]));
    expect(readFileSync(join(root, "root@h3.test/etc/h3/peer"), "utf8")).toBe("10.0.0.1");

    writeFleet(dir, sixHosts(2));
    const second = runFleet(["apply", fleet, "--transport-root", root, "--jobs", "3"], { env });
    expect(second.code).toBe(0);
    expect(readFileSync(join(root, "root@h3.test/etc/h3/peer"), "utf8")).toBe("10.0.0.2");
    for (const h of hosts) expect(treeHash(join(root, h), [DEPLOYMENTS])).not.toBe(gen1.get(h));

    const back = runFleet(["rollback", fleet, "--transport-root", root], { env });
    expect(back.stderr).toBe("");
    expect(back.code).toBe(0);
    // Consumer S3 rolls back before its producer S0; otherwise reverse file order.
    expect(back.stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[1])).toEqual(["S5", "S4", "S3", "S2", "S1", "S0", "6/6"]);
    expect(back.stdout).toContain("↩ S0 → gen-001 (was gen-002); 2 restored, 1 removed\n");
    for (const h of hosts) expect(treeHash(join(root, h), [DEPLOYMENTS])).toBe(gen1.get(h));
  });
});

describe("examples/mesh", () => {
  it("lists every peer but the host itself and rolls back records sharing a stack by target", () => {
    const root = join(tempDir(), "out");
    const fleet = join("examples", "mesh", "fleet.pcl");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", root]);
    expect(r.code).toBe(0);
    for (const [me, others] of [
      ["alpha", ["beta", "gamma"]],
      ["beta", ["alpha", "gamma"]],
      ["gamma", ["alpha", "beta"]],
    ] as const) {
      const conf = readFileSync(join(root, `root@${me}.example.net/etc/wireguard/wg0.conf`), "utf8");
      expect(conf).toContain(`[Interface]\n# ${me}\n`);
      for (const o of others) expect(conf).toContain(`[Peer]\n# ${o}\n`);
      expect(conf.match(/\[Peer\]/g)).toHaveLength(2);
    }
    expect(runFleet(["apply", fleet, "--dry-run", "--transport-root", root, "--only", "@eu"]).stdout).toBe(
      "✓ MeshNode → ssh://root@alpha.example.net\n✓ MeshNode → ssh://root@beta.example.net\nfleet: 2/2 host(s) deployed\n",
    );
    const back = runFleet(["rollback", fleet, "--transport-root", root, "--only", "alpha,beta"]);
    expect(back.stdout).toBe(
      "↩ MeshNode (ssh://root@beta.example.net) → gen-001 (was gen-002); 0 restored, 0 removed\n" +
        "↩ MeshNode (ssh://root@alpha.example.net) → gen-001 (was gen-002); 0 restored, 0 removed\n" +
        "fleet: 2/2 host(s) rolled back\n",
    );
  });
});
