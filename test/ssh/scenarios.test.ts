/**
 * The core end-to-end scenarios of test/e2e, run twice — hermetically under --transport-root and
 * over real SSH against three sshd hosts as the non-root TEST_USER — with the same fleet files,
 * target strings and target paths, and the same expected output. Both runs must also leave
 * byte-identical trees, so the SSH transport is held to the local one and not only to itself.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeHash, treeListing } from "../support/tree-hash.js";
import { writeFleetDir, type HostDef } from "./pcl.js";
import { makeRig, startHosts, type Hosts, type Rig, type TransportKind } from "./rig.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const KINDS: readonly TransportKind[] = ["local", "ssh"];
const tag = (kind: TransportKind, what: string): string => `fleet-scn-${process.pid}-${kind}-${what}`;
const escape = (s: string): string => s.replace(/[.[\]()^$*+?{}|\\]/g, "\\$&");

/** What each transport left behind, to compare the two at the end. */
const trees = new Map<string, string>();

/** Two hosts, each with a real closure; v2 edits one file, adds one, removes one, changes a mode. */
function changeFleet(rig: Rig, v: 1 | 2): HostDef[] {
  return [0, 1].map((i) => {
    const base = `${rig.managed}/change/h${i}`;
    const files =
      v === 1
        ? [
            { path: `${base}/etc/app/main.conf`, content: `host ${i} v1\\n` },
            { path: `${base}/etc/app/old/drop.conf`, content: "removed in v2\\n" },
            { path: `${base}/etc/app/run.sh`, content: "#!/bin/sh\\n", mode: "0750" },
          ]
        : [
            { path: `${base}/etc/app/main.conf`, content: `host ${i} v2\\n` },
            { path: `${base}/etc/app/new/added.conf`, content: "added in v2\\n" },
            { path: `${base}/etc/app/run.sh`, content: "#!/bin/sh\\n", mode: "0700" },
          ];
    return { stack: `Change${i}`, target: rig.targets[i]!, machine: `m${i}`, files, pkg: { version: `${v}.0` } };
  });
}

/** App fails on a missing secret; Dns consumes App's artifact (blocked); Edge deploys. */
function statusFleet(rig: Rig, state: string): HostDef[] {
  const base = (i: number): string => `${rig.managed}/${state}/h${i}`;
  return [
    {
      stack: "Dns",
      target: rig.targets[1]!,
      machine: "dns",
      files: [{ path: `${base(1)}/etc/dns/zone`, content: 'app ${ { from_artifact = "app/endpoint" } }' }],
    },
    {
      stack: "App",
      target: rig.targets[0]!,
      machine: "app",
      files: [
        { path: `${base(0)}/etc/app/conf`, content: "port 1" },
        { path: `${base(0)}/etc/app/token`, content: '{ from_env = "FLEET_SSH_TEST_UNSET" }', raw: true },
      ],
      stackExtra: `  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "10.0.0.1" } ]`,
    },
    { stack: "Edge", target: rig.targets[2]!, machine: "edge", files: [{ path: `${base(2)}/etc/edge`, content: "e" }], pkg: { version: "1.0" } },
  ];
}

/** All three deploy; Dns waits for App's artifact; so --jobs 2 really overlaps App and Edge. */
function happyFleet(rig: Rig, state: string, endpoint = "10.0.0.7"): HostDef[] {
  const base = (i: number): string => `${rig.managed}/${state}/h${i}`;
  return [
    {
      stack: "Dns",
      target: rig.targets[1]!,
      machine: "dns",
      files: [{ path: `${base(1)}/etc/dns/zone`, content: 'app ${ { from_artifact = "app/endpoint" } }' }],
    },
    {
      stack: "App",
      target: rig.targets[0]!,
      machine: "app",
      files: [{ path: `${base(0)}/etc/app/conf`, content: "port 1" }],
      stackExtra: `  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "${endpoint}" } ]`,
      pkg: { version: "1.0" },
    },
    { stack: "Edge", target: rig.targets[2]!, machine: "edge", files: [{ path: `${base(2)}/etc/edge`, content: "e" }], pkg: { version: "1.0" } },
  ];
}

describe.skipIf(!HAVE_SSHD)("core scenarios over both transports", () => {
  let hosts: Hosts;
  const rigs = new Map<TransportKind, Rig>();
  const fleetDir = (): string => tempDir("fleet-scn-");

  beforeAll(async () => {
    hosts = await startHosts(3);
    for (const k of KINDS) rigs.set(k, makeRig(k, hosts, tag(k, "all")));
  });
  afterAll(async () => {
    for (const r of rigs.values()) await r.stop();
    await hosts?.stop();
  });

  describe.each(KINDS)("%s", (kind) => {
    const rig = (): Rig => rigs.get(kind)!;

    it("apply gen-001 → change → apply gen-002 → rollback: byte-identical to gen-001; a second rollback is [E12]", () => {
      const r = rig();
      const [t0, t1] = [r.targets[0]!, r.targets[1]!];
      const dir = fleetDir();
      const fleet = writeFleetDir(dir, changeFleet(r, 1));
      const managed = (i: number): string => r.onHost(i, `${r.managed}/change/h${i}`);
      const deployments = (i: number): string => r.deployments(i, "change", `Change${i}`);

      const first = r.fleet(["apply", fleet], "change");
      expect(first.stderr).toBe("");
      expect(first.stdout).toBe(`✓ Change0 → ${t0}\n✓ Change1 → ${t1}\nfleet: 2/2 host(s) deployed\n`);
      expect(first.code).toBe(0);
      const gen1 = [0, 1].map((i) => treeHash(managed(i)));
      expect(treeListing(managed(0))).toContainEqual(expect.stringMatching(/^f etc\/app\/run\.sh 0750 [0-9a-f]{64}$/));
      expect(readFileSync(join(managed(1), "etc/app/main.conf"), "utf8")).toBe("host 1 v1\n");
      const listing1 = readdirSync(deployments(0));

      writeFleetDir(dir, changeFleet(r, 2));
      const second = r.fleet(["apply", fleet], "change");
      expect(second.stderr).toBe("");
      expect(second.code).toBe(0);
      for (const i of [0, 1]) {
        expect(treeHash(managed(i))).not.toBe(gen1[i]);
        expect(readFileSync(join(managed(i), "etc/app/new/added.conf"), "utf8")).toBe("added in v2\n");
        // The emptied directory went with its only file.
        expect(existsSync(join(managed(i), "etc/app/old"))).toBe(false);
        expect(readlinkSync(join(deployments(i), "current"))).toBe("gen-002.json");
      }

      const back = r.fleet(["rollback", fleet], "change");
      expect(back.stderr).toBe("");
      expect(back.stdout).toBe(
        `↩ Change1 → gen-001 (was gen-002); 3 restored, 1 removed\n↩ Change0 → gen-001 (was gen-002); 3 restored, 1 removed\nfleet: 2/2 host(s) rolled back\n`,
      );
      expect(back.code).toBe(0);
      for (const i of [0, 1]) {
        expect(treeHash(managed(i))).toBe(gen1[i]);
        expect(readlinkSync(join(deployments(i), "current"))).toBe("gen-001.json");
        expect(existsSync(join(managed(i), "etc/app/new"))).toBe(false);
      }
      // The deployments dir: both manifests kept, the rolled-back generation's record (ADR 220),
      // no lock or pending marker left behind.
      const listing = readdirSync(deployments(0));
      expect(listing).toEqual([...new Set([...listing1, "gen-002.json", "records"])].sort());
      expect(listing.filter((n) => n === "lock" || n === "pending")).toEqual([]);

      const again = r.fleet(["rollback", fleet], "change");
      expect(again.code).toBe(1);
      expect(again.stdout).toBe("fleet: 0/2 host(s) rolled back (2 failed)\n");
      expect(again.stderr).toMatch(new RegExp(`^✗ Change1 → ${escape(t1)}: \\[E12\\] [^\\n]*\\n✗ Change0 → ${escape(t0)}: \\[E12\\] [^\\n]*\\n$`));
      for (const i of [0, 1]) expect(treeHash(managed(i))).toBe(gen1[i]);
      trees.set(`${kind}:change`, [0, 1].map((i) => treeHash(managed(i))).join(","));
    });

    it("E11 fails its host (✗), blocks its consumer (⊘), another host deploys (✓); exit 1; same output for --jobs 1 and 2", () => {
      const r = rig();
      const outputs: string[] = [];
      for (const jobs of ["1", "2"]) {
        const state = `status-j${jobs}`;
        const fleet = writeFleetDir(fleetDir(), statusFleet(r, state));
        const res = r.fleet(["apply", fleet, "--jobs", jobs], state);
        expect(res.code).toBe(1);
        expect(res.stdout).toBe(`✓ Edge → ${r.targets[2]}\nfleet: 1/3 host(s) deployed (1 failed, 1 blocked)\n`);
        expect(res.stderr).toBe(
          `✗ App → ${r.targets[0]}: [E11] secret(s) not set: from_env:FLEET_SSH_TEST_UNSET\n` +
            `⊘ Dns → ${r.targets[1]}: blocked — upstream app:endpoint unavailable\n`,
        );
        outputs.push(res.stdout + res.stderr);
        // Nothing was written to the failed or the blocked host.
        for (const i of [0, 1]) expect(existsSync(r.onHost(i, `${r.managed}/${state}/h${i}`))).toBe(false);
        expect(existsSync(r.deployments(0, state, "App"))).toBe(false);
        expect(existsSync(r.deployments(1, state, "Dns"))).toBe(false);
        expect(readFileSync(r.onHost(2, `${r.managed}/${state}/h2/etc/edge`), "utf8")).toBe("e");
      }
      expect(outputs[1]).toBe(outputs[0]);
    });

    it("--jobs 2 deploys a three-host fleet with the same report and the same trees as --jobs 1", () => {
      const r = rig();
      const results: string[] = [];
      for (const jobs of ["1", "2"]) {
        // One state per --jobs value, but the same target paths: the trees must match exactly.
        const state = `jobs-${jobs}`;
        const fleet = writeFleetDir(fleetDir(), happyFleet(r, "jobs"));
        const res = r.fleet(["apply", fleet, "--jobs", jobs], state);
        expect(res.stderr).toBe("");
        expect(res.code).toBe(0);
        expect(res.stdout).toBe(`✓ App → ${r.targets[0]}\n✓ Dns → ${r.targets[1]}\n✓ Edge → ${r.targets[2]}\nfleet: 3/3 host(s) deployed\n`);
        expect(readFileSync(r.onHost(1, `${r.managed}/jobs/h1/etc/dns/zone`), "utf8")).toBe("app 10.0.0.7");
        results.push(res.stdout + [0, 1, 2].map((i) => treeHash(r.onHost(i, `${r.managed}/jobs/h${i}`))).join(","));
      }
      expect(results[1]).toBe(results[0]);
      trees.set(`${kind}:jobs`, results[0]!);
    });

    it("rollback goes consumer-first (reverse deploy order) and restores the consumer's artifact value", () => {
      const r = rig();
      const state = "order";
      const dir = fleetDir();
      const zone = r.onHost(1, `${r.managed}/${state}/h1/etc/dns/zone`);
      const fleet = writeFleetDir(dir, happyFleet(r, state, "10.0.0.7"));
      expect(r.fleet(["apply", fleet], state).code).toBe(0);
      const trees1 = [0, 1, 2].map((i) => treeHash(r.onHost(i, `${r.managed}/${state}/h${i}`)));
      writeFleetDir(dir, happyFleet(r, state, "10.0.0.8"));
      expect(r.fleet(["apply", fleet, "--jobs", "2"], state).code).toBe(0);
      expect(readFileSync(zone, "utf8")).toBe("app 10.0.0.8");
      const back = r.fleet(["rollback", fleet], state);
      expect(back.stderr).toBe("");
      expect(back.code).toBe(0);
      // Deploy order is App, Dns, Edge (producer first); rollback is its reverse.
      expect(back.stdout).toBe(
        "↩ Edge → gen-001 (was gen-002); 0 restored, 0 removed\n" +
          "↩ Dns → gen-001 (was gen-002); 1 restored, 0 removed\n" +
          "↩ App → gen-001 (was gen-002); 0 restored, 0 removed\n" +
          "fleet: 3/3 host(s) rolled back\n",
      );
      expect(readFileSync(zone, "utf8")).toBe("app 10.0.0.7");
      expect([0, 1, 2].map((i) => treeHash(r.onHost(i, `${r.managed}/${state}/h${i}`)))).toEqual(trees1);
    });

    it("a config path with '..' fails that host cleanly before anything is written", () => {
      const r = rig();
      const state = "dotdot";
      const base = (i: number): string => `${r.managed}/${state}/h${i}`;
      const bad = `${base(0)}/etc/../../../escape.conf`;
      const fleet = writeFleetDir(fleetDir(), [
        { stack: "Bad", target: r.targets[0]!, files: [{ path: `${base(0)}/etc/ok.conf`, content: "ok" }, { path: bad, content: "x" }], pkg: { version: "1.0" } },
        { stack: "Good", target: r.targets[1]!, files: [{ path: `${base(1)}/etc/ok.conf`, content: "ok" }] },
      ]);
      const res = r.fleet(["apply", fleet], state);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe(`✓ Good → ${r.targets[1]}\nfleet: 1/2 host(s) deployed (1 failed)\n`);
      // A located [E6] on the path value (ADR 136), then the rendered diagnostic with its hint.
      const lit = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const headline = `config file path '${bad}' of stack 'Bad' is not absolute and normalised (no '..', '.', '//' or trailing '/')`;
      expect(res.stderr).toMatch(new RegExp(`^${lit(`✗ Bad → ${r.targets[0]}: hosts/Bad.pcl:`)}\\d+:\\d+: error: ${lit(`[E6] ${headline}`)}\n`));
      expect(res.stderr).toContain("write it like '/etc/app/app.conf'");
      expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
      // The target is untouched: no managed file, no escape, no deployments, no store push.
      expect(existsSync(r.onHost(0, base(0)))).toBe(false);
      expect(existsSync(r.onHost(0, `${r.managed}/escape.conf`))).toBe(false);
      expect(existsSync(r.deployments(0, state, "Bad"))).toBe(false);
    });
  });

  it("both transports leave byte-identical managed trees", () => {
    for (const what of ["change", "jobs"]) {
      expect(trees.get(`local:${what}`), what).toBeDefined();
      expect(trees.get(`ssh:${what}`), what).toBe(trees.get(`local:${what}`));
    }
  });
});
