/**
 * Health checks through the built CLI (SPEC §7): run after the flip on real applies; a failure
 * rolls that host back byte for byte and blocks its consumers.
 */
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { installFakeSystemctl } from "../support/fake-systemctl.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const DEPLOYMENTS = "home/ops/.fleet/deployments";

/**
 * Three hosts: `one` plain, `two` with a health check that passes while its state file says
 * "healthy" (it reads the live file through FLEET_TARGET_ROOT, which LocalTransport sets), and
 * `three` consuming an artifact of `two`.
 */
function healthFleet(healthy: boolean): { fleet: string; setHealthy: (ok: boolean, extraFile?: boolean) => void } {
  const dir = tempDir("fleet-health-");
  const two = (ok: boolean, extraFile = false): string => `module TwoStack {
  backend = "systemd"
  configFiles = [
    { path = "/etc/two/state" content = "${ok ? "healthy" : "broken"}\\n" }
    { path = "/etc/two/version" content = "${ok ? "v1" : "v2"}\\n" mode = "0640" }
${extraFile ? '    { path = "/etc/two/extra/new.conf" content = "new\\n" }' : ""}
  ]
  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "10.0.0.2:8080" } ]
  healthTimeout = 2
  healthChecks = [
    { name = "listening" command = "true" }
    { name = "state" command = "grep -q healthy \\"$FLEET_TARGET_ROOT/etc/two/state\\"" timeout = 5 }
  ]
}
`;
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [
    { file = "hosts/one.pcl" stack = "OneStack" target = "ssh://ops@one.internal" machine = "one" }
    { file = "hosts/two.pcl" stack = "TwoStack" target = "ssh://ops@two.internal" machine = "two" }
    { file = "hosts/three.pcl" stack = "ThreeStack" target = "ssh://ops@three.internal" machine = "three" }
  ]
}
`,
    "hosts/one.pcl": `module OneStack { backend = "systemd" configFiles = [ { path = "/etc/one" content = "one\\n" } ]
  healthChecks = [ { name = "always" command = "exit 0" } ] }\n`,
    "hosts/two.pcl": two(healthy),
    "hosts/three.pcl": `module ThreeStack { backend = "systemd"
  configFiles = [ { path = "/etc/three/upstream" content = "upstream \${ { from_artifact = "two/endpoint" } }\\n" } ] }\n`,
  });
  return {
    fleet: join(dir, "fleet.pcl"),
    setHealthy: (ok, extraFile) => writeFileSync(join(dir, "hosts/two.pcl"), two(ok, extraFile)),
  };
}

function roots(): { out: string; store: string } {
  const d = tempDir();
  return { out: join(d, "out"), store: join(d, "store") };
}

function apply(fleet: string, r: { out: string; store: string }, extra: readonly string[] = []) {
  return runFleet(["apply", fleet, "--transport-root", r.out, "--store-root", r.store, ...extra]);
}

function current(r: { out: string }, host: string, stack: string): string {
  return readlinkSync(join(r.out, host, DEPLOYMENTS, stack, "current"));
}

describe("health checks", () => {
  it("a failing check after a change rolls that host back to its previous generation byte for byte and blocks its consumer", () => {
    const f = healthFleet(true);
    const r = roots();
    const first = apply(f.fleet, r);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(
      "✓ OneStack → ssh://ops@one.internal\n✓ TwoStack → ssh://ops@two.internal\n✓ ThreeStack → ssh://ops@three.internal\nfleet: 3/3 host(s) deployed\n",
    );
    expect(first.code).toBe(0);
    const twoDir = join(r.out, "ops@two.internal");
    const threeDir = join(r.out, "ops@three.internal");
    const twoBefore = treeHash(twoDir, [DEPLOYMENTS]);
    const threeBefore = treeHash(threeDir);
    expect(readFileSync(join(threeDir, "etc/three/upstream"), "utf8")).toBe("upstream 10.0.0.2:8080\n");

    f.setHealthy(false, true);
    const second = apply(f.fleet, r);
    expect(second.stdout).toBe("✓ OneStack → ssh://ops@one.internal\nfleet: 1/3 host(s) deployed (1 rolled back, 1 blocked)\n");
    expect(second.stderr).toBe(
      "↩ TwoStack → ssh://ops@two.internal: rolled back to gen-001 (health check 'state' failed after 1 attempt: exit 1)\n" +
        "⊘ ThreeStack → ssh://ops@three.internal: blocked — upstream two:endpoint unavailable\n",
    );
    expect(second.code).toBe(1);
    // Live files (the new one and its new parent directory included) are exactly gen-001's again.
    expect(treeHash(twoDir, [DEPLOYMENTS])).toBe(twoBefore);
    expect(existsSync(join(twoDir, "etc/two/extra"))).toBe(false);
    expect(current(r, "ops@two.internal", "TwoStack")).toBe("gen-001.json");
    // The rolled-back generation's manifest stays; the consumer was never touched.
    expect(existsSync(join(twoDir, DEPLOYMENTS, "TwoStack/gen-002.json"))).toBe(true);
    expect(treeHash(threeDir)).toBe(threeBefore);
    expect(current(r, "ops@one.internal", "OneStack")).toBe("gen-002.json");

    // Fixed again: the next generation number is never reused.
    f.setHealthy(true);
    const third = apply(f.fleet, r);
    expect(third.code).toBe(0);
    expect(current(r, "ops@two.internal", "TwoStack")).toBe("gen-003.json");
    expect(current(r, "ops@three.internal", "ThreeStack")).toBe("gen-002.json");
  });

  it("a failing check on the first-ever apply fails the host, keeps gen-001 current and blocks its consumer", () => {
    const f = healthFleet(false);
    const r = roots();
    const res = apply(f.fleet, r);
    expect(res.stdout).toBe("✓ OneStack → ssh://ops@one.internal\nfleet: 1/3 host(s) deployed (1 failed, 1 blocked)\n");
    expect(res.stderr).toBe(
      "✗ TwoStack → ssh://ops@two.internal: health check 'state' failed after 1 attempt: exit 1; no previous generation\n" +
        "⊘ ThreeStack → ssh://ops@three.internal: blocked — upstream two:endpoint unavailable\n",
    );
    expect(res.code).toBe(1);
    expect(current(r, "ops@two.internal", "TwoStack")).toBe("gen-001.json");
    expect(readFileSync(join(r.out, "ops@two.internal/etc/two/state"), "utf8")).toBe("broken\n");
    expect(existsSync(join(r.out, "ops@three.internal"))).toBe(false);
  });

  it("--no-auto-rollback keeps the new generation and reports the failed check", () => {
    const f = healthFleet(true);
    const r = roots();
    expect(apply(f.fleet, r).code).toBe(0);
    f.setHealthy(false);
    const res = apply(f.fleet, r, ["--no-auto-rollback"]);
    expect(res.stderr).toBe(
      "✗ TwoStack → ssh://ops@two.internal: health check 'state' failed after 1 attempt: exit 1\n" +
        "⊘ ThreeStack → ssh://ops@three.internal: blocked — upstream two:endpoint unavailable\n",
    );
    expect(res.code).toBe(1);
    expect(current(r, "ops@two.internal", "TwoStack")).toBe("gen-002.json");
    expect(readFileSync(join(r.out, "ops@two.internal/etc/two/state"), "utf8")).toBe("broken\n");
  });

  it("--json carries each check's attempts, last exit code and result, and the failure message with the attempt count", () => {
    const f = healthFleet(true);
    const r = roots();
    const first = apply(f.fleet, r, ["--json"]);
    expect(first.code).toBe(0);
    type Doc = { hosts: { stack: string; status: string; error: { message: string } | null; health?: unknown[] }[] };
    const hosts = (res: { stdout: string }) => (JSON.parse(res.stdout) as Doc).hosts;
    const passing = (name: string) => ({ name, kind: "command", attempts: 1, passed: true, exit_code: 0, http_status: null, error: null, output_tail: [] });
    expect(hosts(first).map((h) => h.health)).toEqual([[passing("always")], [passing("listening"), passing("state")], undefined]);

    f.setHealthy(false);
    const second = hosts(apply(f.fleet, r, ["--json"]));
    expect(second[1]!.status).toBe("rolled-back");
    expect(second[1]!.error!.message).toBe("rolled back to gen-001 (health check 'state' failed after 1 attempt: exit 1)");
    expect(second[1]!.health).toEqual([
      passing("listening"),
      { name: "state", kind: "command", attempts: 1, passed: false, exit_code: 1, http_status: null, error: "exit 1", output_tail: [] },
    ]);
    // The consumer never ran a check.
    expect(second[2]!.status).toBe("blocked");
    expect(second[2]!.health).toBeUndefined();
  });

  it("are skipped under --dry-run", () => {
    const f = healthFleet(false);
    const r = roots();
    const res = apply(f.fleet, r, ["--dry-run"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("fleet: 3/3 host(s) deployed\n");
  });

  it("a check that outlives its timeout fails as timed out", () => {
    const dir = tempDir("fleet-health-timeout-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "SlowStack" target = "ssh://ops@slow.internal" } ] }\n`,
      "h.pcl": `module SlowStack { backend = "systemd" configFiles = [ { path = "/etc/slow" content = "s" } ]
  healthTimeout = 2 healthChecks = [ { name = "slow" command = "sleep 30" timeout = 1 } ] }\n`,
    });
    const res = apply(join(dir, "fleet.pcl"), roots(), ["--no-auto-rollback"]);
    expect(res.stderr).toBe("✗ SlowStack → ssh://ops@slow.internal: health check 'slow' failed after 1 attempt: timed out after 1s\n");
    expect(res.code).toBe(1);
  });
});

describe("health checks with --activate", () => {
  it("run after the (reported) activation; an auto-rollback re-activates the restored generation", () => {
    const systemctl = installFakeSystemctl();
    const dir = tempDir("fleet-health-activate-");
    const host = (version: string, check: string): string => `module Bin { pname = "bin" version = "${version}" recipe = "std.files"
  files = [ { path = "bin/run" content = "#!/bin/sh\\n" mode = "0755" } ] }
module SvcStack {
  backend = "systemd"
  services = [ { name = "svc" package = "Bin" binary = "run" } ]
  healthTimeout = 2 healthChecks = [ { name = "up" command = "${check}" } ]
}
`;
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "SvcStack" target = "ssh://ops@svc.internal" } ] }\n`,
      "h.pcl": host("1", "true"),
    });
    const r = roots();
    const args = ["apply", join(dir, "fleet.pcl"), "--transport-root", r.out, "--store-root", r.store, "--activate"];
    // Hermetic: the activation is reported, never run on this machine (issue 10).
    const note = "⚠ SvcStack → ssh://ops@svc.internal: not activated: --transport-root runs nothing on this machine; a real host would run systemctl daemon-reload; systemctl start svc.service\n";
    const first = runFleet(args, { env: systemctl.env() });
    expect(first.stderr).toBe(note);
    expect(first.code).toBe(0);

    writeFileSync(join(dir, "h.pcl"), host("2", "exit 3"));
    const unit = join(r.out, "ops@svc.internal/etc/systemd/system/svc.service");
    const unitBefore = readFileSync(unit, "utf8");
    const second = runFleet(args, { env: systemctl.env() });
    // Activation of gen-002, then again after the rollback to gen-001.
    // The package (so the unit's ExecStart) changed both ways: reload the daemon, restart the unit.
    const again = note.replace("systemctl start", "systemctl restart");
    expect(second.stderr).toBe(`↩ SvcStack → ssh://ops@svc.internal: rolled back to gen-001 (health check 'up' failed after 1 attempt: exit 3)\n${again}${again}`);
    expect(second.code).toBe(1);
    expect(readFileSync(unit, "utf8")).toBe(unitBefore);
    expect(systemctl.calls()).toEqual([]);
  });
});

describe("health checks and --jobs", () => {
  it("the report is byte-identical for --jobs 1 and --jobs 3", () => {
    const runs = [1, 3].map((jobs) => {
      const f = healthFleet(true);
      const r = roots();
      expect(apply(f.fleet, r, ["--jobs", String(jobs)]).code).toBe(0);
      f.setHealthy(false);
      return apply(f.fleet, r, ["--jobs", String(jobs)]);
    });
    expect(runs[0]!.code).toBe(1);
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    expect(runs[1]!.stderr).toBe(runs[0]!.stderr);
    expect(runs[0]!.stderr).toContain("↩ TwoStack → ssh://ops@two.internal: rolled back to gen-001 (health check 'state' failed after 1 attempt: exit 1)\n");
  });
});
