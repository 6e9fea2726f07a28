/**
 * Staged rollouts through the built CLI (ADR 160): waves in plan order, the canary that stops a
 * bad release, the soak re-check, the failure budget and the rollback on halt, proved by hashing
 * every host's tree. Health checks are plain shell commands (run locally with FLEET_TARGET_ROOT
 * under --transport-root), independent of systemctl.
 */
import { existsSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const DEPLOYMENTS = "home/ops/.fleet/deployments";
const N = 10;
const names = Array.from({ length: N }, (_, i) => `h${i + 1}`);
const target = (h: string) => `ssh://ops@${h}.internal`;
const dirOf = (h: string) => `ops@${h}.internal`;
const label = (h: string) => `S${h.slice(1)} → ${target(h)}`;

interface Release {
  readonly version: string;
  readonly healthy: boolean;
}

/**
 * Ten hosts h1..h10 (stack S1..S10). Every host checks that its state file says "healthy"; a host
 * named in `flaky` also runs a check that passes once and fails from then on (its counter lives
 * in the test's own directory, outside every target tree), so it passes right after the flip and
 * fails at the soak re-check.
 */
function rolloutFleet(fleetExtra = "") {
  const dir = tempDir("fleet-rollout-");
  const counters = tempDir("fleet-rollout-counters-");
  const host = (h: string, r: Release, flaky: boolean): string => {
    const counter = join(counters, `${h}.count`);
    const flakyCheck = flaky
      ? `\n    { name = "soak" command = "n=$(cat '${counter}' 2>/dev/null || echo 0); echo $((n + 1)) > '${counter}'; [ \\"$n\\" -lt 1 ]" }`
      : "";
    return `module S${h.slice(1)} {
  backend = "systemd"
  configFiles = [
    { path = "/etc/app/version" content = "${r.version}\\n" }
    { path = "/etc/app/state" content = "${r.healthy ? "healthy" : "broken"}\\n" }
  ]
  healthTimeout = 2
  healthChecks = [
    { name = "state" command = "grep -q healthy \\"$FLEET_TARGET_ROOT/etc/app/state\\"" timeout = 5 }${flakyCheck}
  ]
}
`;
  };
  const write = (r: Release, flaky: readonly string[] = []): void => {
    const files: Record<string, string> = {
      "fleet.pcl": `module Fleet {\n  hosts = [\n${names.map((h) => `    { file = "hosts/${h}.pcl" stack = "S${h.slice(1)}" target = "${target(h)}" machine = "${h}" }`).join("\n")}\n  ]\n${fleetExtra}}\n`,
    };
    for (const h of names) files[`hosts/${h}.pcl`] = host(h, r, flaky.includes(h));
    writeTree(dir, files);
    for (const h of flaky) rmSync(join(counters, `${h}.count`), { force: true });
  };
  const d = tempDir();
  const out = join(d, "out");
  const store = join(d, "store");
  const run = (extra: readonly string[] = [], sub = "apply") => runFleet([sub, join(dir, "fleet.pcl"), "--transport-root", out, "--store-root", store, ...extra]);
  const hashes = (exclude: readonly string[] = []) => new Map(names.map((h) => [h, treeHash(join(out, dirOf(h)), exclude)]));
  const current = (h: string) => readlinkSync(join(out, dirOf(h), DEPLOYMENTS, `S${h.slice(1)}`, "current"));
  return { dir, out, write, run, hashes, current };
}

/** The fleet deployed once (gen-001 everywhere) with a healthy v1. */
function deployedV1(fleetExtra = "") {
  const f = rolloutFleet(fleetExtra);
  f.write({ version: "v1", healthy: true });
  const first = f.run();
  expect(first.code).toBe(0);
  expect(first.stdout).toBe(`${names.map((h) => `✓ ${label(h)}\n`).join("")}fleet: 10/10 host(s) deployed\n`);
  return f;
}

const waveLines = (sizes: readonly number[], body: (hosts: readonly string[]) => string): string => {
  let at = 0;
  return sizes
    .map((n, k) => {
      const hosts = names.slice(at, at + n);
      at += n;
      return `wave ${k + 1}/${sizes.length}: ${n} host(s)\n${body(hosts)}`;
    })
    .join("");
};

describe("staged rollouts", () => {
  it("a release failing its health check everywhere stops at the canary: rolled back, the other 9 untouched, exit 1", () => {
    const f = deployedV1();
    const live = f.hashes([DEPLOYMENTS]);
    const whole = f.hashes();
    f.write({ version: "v2", healthy: false });
    const res = f.run(["--waves", "1,30%"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(`${waveLines([1, 3, 3, 3], () => "")}fleet: 0/10 host(s) deployed (1 rolled back, 9 not attempted)\n`);
    expect(res.stderr).toBe(
      `↩ ${label("h1")}: rolled back to gen-001 (health check 'state' failed after 1 attempt: exit 1)\n` +
        names
          .slice(1)
          .map((h) => `⊘ ${label(h)}: not attempted (rollout halted after wave 1)\n`)
          .join("") +
        "rollout halted after wave 1: 1 failed > budget 0\n",
    );
    // The canary is back on gen-001 byte for byte; the other nine were never touched at all.
    expect(f.hashes([DEPLOYMENTS]).get("h1")).toBe(live.get("h1"));
    expect(f.current("h1")).toBe("gen-001.json");
    const after = f.hashes();
    for (const h of names.slice(1)) expect(after.get(h), h).toBe(whole.get(h));
  });

  it("the same release healthy: waves of 1, 3, 3, 3 in plan order, every host ok, identical for --jobs 1 and 4", () => {
    const runs = [1, 4].map((jobs) => {
      const f = deployedV1();
      f.write({ version: "v2", healthy: true });
      const res = f.run(["--waves", "1,30%", "--jobs", String(jobs)]);
      for (const h of names) expect(f.current(h)).toBe("gen-002.json");
      return res;
    });
    const res = runs[0]!;
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${waveLines([1, 3, 3, 3], (hosts) => hosts.map((h) => `✓ ${label(h)}\n`).join(""))}fleet: 10/10 host(s) deployed\n`);
    expect(runs[1]!.stdout).toBe(res.stdout);
    expect(runs[1]!.stderr).toBe(res.stderr);
  });

  it("a soak re-check failing on one host of wave 2 within --max-failed 1: that host rolls back, the rollout goes on", () => {
    const f = deployedV1();
    const live = f.hashes([DEPLOYMENTS]);
    f.write({ version: "v2", healthy: true }, ["h3"]);
    const res = f.run(["--waves", "1,30%", "--soak", "1", "--max-failed", "1"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(
      `${waveLines([1, 3, 3, 3], (hosts) => hosts.filter((h) => h !== "h3").map((h) => `✓ ${label(h)}\n`).join(""))}fleet: 9/10 host(s) deployed (1 rolled back)\n`,
    );
    expect(res.stderr).toBe(`↩ ${label("h3")}: rolled back to gen-001 (health check 'soak' failed after 1 attempt: exit 1 after 1s soak)\n`);
    expect(f.current("h3")).toBe("gen-001.json");
    expect(f.hashes([DEPLOYMENTS]).get("h3")).toBe(live.get("h3"));
    for (const h of names.filter((x) => x !== "h3")) expect(f.current(h), h).toBe("gen-002.json");
  });

  it("the same soak failure with budget 0 halts, and --rollback-on-halt leaves every host as it was before the run", () => {
    const f = deployedV1();
    const live = f.hashes([DEPLOYMENTS]);
    const whole = f.hashes();
    f.write({ version: "v2", healthy: true }, ["h3"]);
    const res = f.run(["--waves", "1,30%", "--soak", "1", "--rollback-on-halt"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(
      "wave 1/4: 1 host(s)\n" +
        `✓ ${label("h1")}\n` +
        "wave 2/4: 3 host(s)\n" +
        `✓ ${label("h2")}\n✓ ${label("h4")}\n` +
        "wave 3/4: 3 host(s)\nwave 4/4: 3 host(s)\n" +
        "rollback on halt: 3 host(s)\n" +
        "↩ S4 → gen-001 (was gen-002); 1 restored, 0 removed\n" +
        "↩ S2 → gen-001 (was gen-002); 1 restored, 0 removed\n" +
        "↩ S1 → gen-001 (was gen-002); 1 restored, 0 removed\n" +
        "fleet: 0/10 host(s) deployed (4 rolled back, 6 not attempted)\n",
    );
    expect(res.stderr).toBe(
      `↩ ${label("h3")}: rolled back to gen-001 (health check 'soak' failed after 1 attempt: exit 1 after 1s soak)\n` +
        names
          .slice(4)
          .map((h) => `⊘ ${label(h)}: not attempted (rollout halted after wave 2)\n`)
          .join("") +
        "rollout halted after wave 2: 1 failed > budget 0\n",
    );
    const afterLive = f.hashes([DEPLOYMENTS]);
    const afterWhole = f.hashes();
    for (const h of names) {
      expect(afterLive.get(h), h).toBe(live.get(h));
      expect(f.current(h), h).toBe("gen-001.json");
    }
    // Waves 3 and 4 never started: not even their deployments changed.
    for (const h of names.slice(4)) expect(afterWhole.get(h), h).toBe(whole.get(h));
  });

  it("--json carries the waves, each host's outcome and wave, and the halt", () => {
    const f = deployedV1();
    f.write({ version: "v2", healthy: false });
    const res = f.run(["--waves", "1,30%", "--json"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe("");
    const doc = JSON.parse(res.stdout);
    expect(doc.hosts.map((h: { wave: number }) => h.wave)).toEqual([1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(doc.hosts[0].status).toBe("rolled-back");
    expect(doc.hosts[1]).toMatchObject({ status: "not-attempted", error: { code: null, message: "not attempted (rollout halted after wave 1)" } });
    expect(doc.rollout).toMatchObject({ sizes: ["1", "30%"], max_failed: "0", budget: 0, soak: 0, rollback_on_halt: false });
    expect(doc.rollout.waves.map((w: { hosts: unknown[] }) => w.hosts.length)).toEqual([1, 3, 3, 3]);
    expect(doc.rollout.waves[0]).toEqual({ wave: 1, hosts: [{ stack: "S1", target: target("h1"), status: "rolled-back" }] });
    expect(doc.rollout.halt).toEqual({ after_wave: 1, failed: 1, budget: 0, message: "rollout halted after wave 1: 1 failed > budget 0" });
  });

  it("without --waves or a rollout record, apply and plan read exactly as before", () => {
    const f = deployedV1();
    const plan = f.run(["--json"], "plan");
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).rollout).toBeUndefined();
    f.write({ version: "v2", healthy: true });
    const res = f.run(["--json"]);
    const doc = JSON.parse(res.stdout);
    expect(doc.rollout).toBeUndefined();
    expect(doc.hosts[0].wave).toBeUndefined();
  });
});

describe("rollout waves and the artifact graph", () => {
  it("a consumer listed before its producer is never in an earlier wave (a chain across wave boundaries)", () => {
    const dir = tempDir("fleet-rollout-chain-");
    // File order: c consumes b/endpoint, b consumes a/endpoint, a produces; then d and e.
    const stack = (name: string, consumes: string | null, produces: string | null) => `module ${name} {
  backend = "systemd"
  configFiles = [ { path = "/etc/${name}" content = "${consumes ? `upstream \${ { from_artifact = "${consumes}/endpoint" } }` : name}\\n" } ]
${produces ? `  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "${produces}" } ]` : ""}
}
`;
    writeTree(dir, {
      "fleet.pcl": `module Fleet {
  hosts = [
${["c", "b", "a", "d", "e"].map((m) => `    { file = "${m}.pcl" stack = "${m.toUpperCase()}" target = "ssh://ops@${m}.internal" machine = "${m}" }`).join("\n")}
  ]
}
`,
      "c.pcl": stack("C", "b", null),
      "b.pcl": stack("B", "a", "10.0.0.2"),
      "a.pcl": stack("A", null, "10.0.0.1"),
      "d.pcl": stack("D", null, null),
      "e.pcl": stack("E", null, null),
    });
    const d = tempDir();
    const args = (sub: string, extra: readonly string[]) => [sub, join(dir, "fleet.pcl"), "--transport-root", join(d, "out"), "--store-root", join(d, "store"), ...extra];
    const plan = runFleet(args("plan", ["--waves", "1,2", "--json"]));
    expect(plan.code).toBe(0);
    const waves = JSON.parse(plan.stdout).rollout.waves.map((w: { stack: string }[]) => w.map((h) => h.stack));
    expect(waves).toEqual([["A"], ["B", "C"], ["D", "E"]]);
    expect(existsSync(join(d, "out"))).toBe(false);

    const res = runFleet(args("apply", ["--waves", "1,2"]));
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe(
      "wave 1/3: 1 host(s)\n✓ A → ssh://ops@a.internal\n" +
        "wave 2/3: 2 host(s)\n✓ B → ssh://ops@b.internal\n✓ C → ssh://ops@c.internal\n" +
        "wave 3/3: 2 host(s)\n✓ D → ssh://ops@d.internal\n✓ E → ssh://ops@e.internal\n" +
        "fleet: 5/5 host(s) deployed\n",
    );
    expect(readFileSync(join(d, "out/ops@b.internal/etc/B"), "utf8")).toBe("upstream 10.0.0.1\n");
    expect(readFileSync(join(d, "out/ops@c.internal/etc/C"), "utf8")).toBe("upstream 10.0.0.2\n");
    // One host a wave: every link of the chain crosses a wave boundary, producers first.
    const single = runFleet(args("apply", ["--waves", "1"]));
    expect(single.stdout).toContain("wave 1/5: 1 host(s)\n✓ A → ssh://ops@a.internal\nwave 2/5: 1 host(s)\n✓ B → ssh://ops@b.internal\nwave 3/5: 1 host(s)\n✓ C → ssh://ops@c.internal\n");
  });
});

describe("rollout configuration", () => {
  it("fleet plan --waves shows the waves, writes nothing, and plan_hash changes with the waves", () => {
    const f = deployedV1();
    const before = f.hashes();
    const hash = (extra: readonly string[]) => {
      const r = f.run(["--json", ...extra], "plan");
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { plan_hash: string; rollout?: { waves: unknown[][]; budget: number; soak: number } };
    };
    const plain = hash([]);
    const a = hash(["--waves", "1,30%"]);
    const b = hash(["--waves", "1,50%"]);
    expect(a.rollout!.waves.map((w) => w.length)).toEqual([1, 3, 3, 3]);
    expect(b.rollout!.waves.map((w) => w.length)).toEqual([1, 5, 4]);
    expect(new Set([plain.plan_hash, a.plan_hash, b.plan_hash]).size).toBe(3);
    expect(hash(["--waves", "1,30%", "--max-failed", "10%"]).plan_hash).not.toBe(a.plan_hash);
    expect(f.hashes()).toEqual(before);
    const human = f.run(["--waves", "1,30%", "--soak", "5"], "plan");
    expect(human.stdout).toContain("rollout: 4 wave(s) of 1, 30%; max failed 0 (0 host(s)); soak 5s\nwave 1/4: 1 host(s): S1 → ssh://ops@h1.internal\n");
    // apply --expect-plan accepts the hash of the plan with the same waves, and refuses another.
    f.write({ version: "v1", healthy: true });
    const refused = f.run(["--waves", "1,50%", "--expect-plan", a.plan_hash]);
    expect(refused.code).toBe(1);
    expect(f.hashes()).toEqual(before);
    expect(f.run(["--waves", "1,30%", "--expect-plan", a.plan_hash]).code).toBe(0);
  });

  it("a rollout record in the Fleet module drives apply and plan; flags override its fields", () => {
    const f = rolloutFleet(`  rollout = { waves = [2, "40%"] maxFailed = "10%" soak = 0 }\n`);
    f.write({ version: "v1", healthy: true });
    const plan = f.run(["--json"], "plan");
    const doc = JSON.parse(plan.stdout);
    expect(doc.rollout).toMatchObject({ sizes: ["2", "40%"], max_failed: "10%", budget: 1, soak: 0 });
    expect(doc.rollout.waves.map((w: unknown[]) => w.length)).toEqual([2, 4, 4]);
    const flagged = JSON.parse(f.run(["--json", "--waves", "1,30%", "--max-failed", "0"], "plan").stdout);
    expect(flagged.rollout).toMatchObject({ sizes: ["1", "30%"], max_failed: "0", budget: 0 });
    const res = f.run();
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${waveLines([2, 4, 4], (hosts) => hosts.map((h) => `✓ ${label(h)}\n`).join(""))}fleet: 10/10 host(s) deployed\n`);
    expect(f.run(["--waves", "5"]).stdout).toMatch(/^wave 1\/2: 5 host\(s\)\n/);
  });

  it("a malformed rollout record is a located error and refuses the run; bad flags are usage errors", () => {
    const f = rolloutFleet(`  rollout = { waves = [1, "ten%"] maxFaild = 1 }\n`);
    f.write({ version: "v1", healthy: true });
    const res = f.run();
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain(`fleet.pcl:14:27: error: [E1] element 2 of field 'waves' of rollout record must be a whole number ≥ 1 or a percentage from "1%" to "100%", not "ten%"`);
    expect(res.stderr).toContain("fleet.pcl:14:35: error: [E2] unknown field 'maxFaild' on rollout record");
    expect(res.stderr).toContain("hint: did you mean 'maxFailed'?");
    expect(existsSync(f.out)).toBe(false);

    const g = rolloutFleet();
    g.write({ version: "v1", healthy: true });
    for (const bad of [
      ["--waves", "0,10%"],
      ["--waves", "1,150%"],
      ["--waves", "1", "--max-failed", "-1"],
      ["--waves", "1", "--soak", "x"],
      ["--max-failed", "1"],
      ["--rollback-on-halt"],
    ]) {
      const r = g.run(bad);
      expect(r.code, bad.join(" ")).toBe(2);
      expect(existsSync(g.out)).toBe(false);
    }
    expect(g.run(["--soak", "3"]).stderr).toBe("fleet: error: --soak need(s) waves: give --waves (e.g. --waves 1,10%) or a rollout record in the Fleet module\n");
  });

  it("--only selects the hosts the waves are cut from", () => {
    const f = deployedV1();
    const whole = f.hashes();
    f.write({ version: "v2", healthy: true });
    const res = f.run(["--only", "h2,h4,h6,h8", "--waves", "50%"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      `wave 1/2: 2 host(s)\n✓ ${label("h2")}\n✓ ${label("h4")}\nwave 2/2: 2 host(s)\n✓ ${label("h6")}\n✓ ${label("h8")}\nfleet: 4/4 host(s) deployed\n`,
    );
    const after = f.hashes();
    for (const h of ["h1", "h3", "h5", "h7", "h9", "h10"]) expect(after.get(h), h).toBe(whole.get(h));
  });
});
