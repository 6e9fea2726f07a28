/**
 * `fleet status` shows each host's history and desired state (ADR 220–223), through the built
 * CLI under --transport-root: who deployed the current generation, the previous one, the last
 * attempt that did not become current and why (health-check rollback, recovery, `fleet
 * rollback`), the last health result, tags, and whether the fleet's PCL would change the host.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

const STAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;
const stamped = (s: string): string => s.replace(STAMP, "<when>");
const STACK_DIR = "ops@two.internal/home/ops/.fleet/deployments/TwoStack";
const CANARY = "status-canary-secret-4711";

/**
 * One host with tags and a health check that passes while its state file says "healthy"; when it
 * fails it prints `boom` and the secret file's content to stderr and exits 7. healthTimeout 1 s
 * with a 5 s interval: exactly one attempt, whatever the machine's speed.
 */
function historyFleet() {
  const dir = tempDir("fleet-status-history-");
  const d = tempDir();
  const out = join(d, "out");
  const host = (state: string): string => `module TwoStack {
  backend = "systemd"
  configFiles = [
    { path = "/etc/two/state" content = "${state}\\n" }
    { path = "/etc/two/token" content = { from_env = "FLEET_TEST_STATUS_TOKEN" } }
  ]
  healthTimeout = 1
  healthChecks = [
    { name = "state" command = "grep -q healthy \\"$FLEET_TARGET_ROOT/etc/two/state\\" || { echo boom; cat \\"$FLEET_TARGET_ROOT/etc/two/token\\"; exit 7; } >&2" interval = 5 }
  ]
}
`;
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [ { file = "hosts/two.pcl" stack = "TwoStack" target = "ssh://ops@two.internal" machine = "two" tags = ["prod", "web"] } ]
}
`,
    "hosts/two.pcl": host("healthy"),
  });
  const fleet = join(dir, "fleet.pcl");
  const runWith = (env: NodeJS.ProcessEnv, cmd: string, by: string, ...extra: string[]): CliResult =>
    runFleet([cmd, fleet, "--transport-root", out, "--store-root", join(d, "store"), ...extra], {
      env: { FLEET_DEPLOYER: by, FLEET_TEST_STATUS_TOKEN: CANARY, ...env },
    });
  const run = (cmd: string, by: string, ...extra: string[]): CliResult => runWith({}, cmd, by, ...extra);
  return { out, run, runWith, setState: (state: string) => writeFileSync(join(dir, "hosts/two.pcl"), host(state)) };
}

interface StatusHost {
  generation: number | null;
  previous: number | null;
  deployed_by: string | null;
  previous_deployed_by: string | null;
  tags: string[];
  desired: { state: string; reason: string | null } | null;
  health: { generation: number; ok: boolean; checks: number; failed_check: string | null; detail: string | null } | null;
  last_attempt: { generation: number; outcome: string; reason: string | null; by: string | null } | null;
}
const hostOf = (r: CliResult): StatusHost => (JSON.parse(r.stdout) as { hosts: StatusHost[] }).hosts[0]!;

/** Every file fleet keeps for the stack on the target (manifests, records, pending). */
function stackFiles(out: string): string {
  const dir = join(out, STACK_DIR);
  const names = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.endsWith("files"));
  return names.map((e) => readFileSync(join(e.parentPath, e.name), "utf8")).join("\n");
}

describe("fleet status history", () => {
  it("after a health-check rollback shows the rolled-back generation, its reason and who, the failed health result, tags, and that the host is out of date", () => {
    const f = historyFleet();
    expect(f.run("apply", "alice@laptop").code).toBe(0);
    const first = f.run("status", "alice@laptop");
    expect(stamped(first.stdout)).toBe(
      [
        "TwoStack → ssh://ops@two.internal gen-001 (<when>, no previous), no drift",
        "  deployed by: alice@laptop",
        "  desired: up to date",
        "  tags: prod, web",
        "  health: passed (1 check; gen-001, <when>)",
        "",
      ].join("\n"),
    );

    // Editing the host file: status says the fleet's PCL would change the host, before any apply.
    f.setState("broken");
    const edited = f.run("status", "alice@laptop");
    expect(edited.stdout).toContain("  desired: out of date (the fleet's PCL changed since gen-001; 'fleet plan' shows what 'fleet apply' would change)\n");
    expect(hostOf(f.run("status", "alice@laptop", "--json")).desired).toEqual({ state: "out-of-date", source_hash: expect.stringMatching(/^[0-9a-f]{64}$/), reason: null });

    const failed = f.run("apply", "bob@ci");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("↩ TwoStack → ssh://ops@two.internal: rolled back to gen-001 (health check 'state' failed after 1 attempt: exit 7: boom | [secret])");

    const st = f.run("status", "carol@desk");
    expect(st.code).toBe(0);
    expect(st.stderr).toBe("");
    expect(stamped(st.stdout)).toBe(
      [
        "TwoStack → ssh://ops@two.internal gen-001 (<when>, no previous), no drift",
        "  deployed by: alice@laptop",
        "  desired: out of date (the fleet's PCL changed since gen-001; 'fleet plan' shows what 'fleet apply' would change)",
        "  tags: prod, web",
        "  health: failed (check 'state' failed after 1 attempt: exit 7: boom | [secret]; gen-002, <when>)",
        "  last attempt: gen-002 rolled back (<when>, by bob@ci): health check 'state' failed after 1 attempt: exit 7: boom | [secret]",
        "",
      ].join("\n"),
    );

    const json = f.run("status", "carol@desk", "--json");
    const doc = JSON.parse(json.stdout) as { summary: Record<string, number> };
    expect(doc.summary).toEqual({ total: 1, clean: 1, drifted: 0, never_deployed: 0, failed: 0, out_of_date: 1 });
    const h = hostOf(json);
    expect(h).toMatchObject({
      generation: 1,
      previous: null,
      deployed_by: "alice@laptop",
      tags: ["prod", "web"],
      desired: { state: "out-of-date" },
      health: { generation: 2, ok: false, checks: 1, failed_check: "state", detail: "failed after 1 attempt: exit 7: boom | [secret]" },
      last_attempt: { generation: 2, outcome: "rolled-back", by: "bob@ci", reason: "health check 'state' failed after 1 attempt: exit 7: boom | [secret]" },
    });

    // The secret the failing check printed never reached the target's records or the output.
    for (const t of [st.stdout, json.stdout, stackFiles(f.out)]) expect(t).not.toContain(CANARY);

    // Fixed and applied again: up to date, the previous generation named with who deployed it,
    // and no last attempt (the newest generation is current).
    f.setState("healthy again");
    expect(f.run("apply", "dave@ci").code).toBe(0);
    const fixed = f.run("status", "dave@ci");
    expect(stamped(fixed.stdout)).toBe(
      [
        "TwoStack → ssh://ops@two.internal gen-003 (<when>, previous gen-001), no drift",
        "  deployed by: dave@ci",
        "  previous: gen-001 (<when>, by alice@laptop)",
        "  desired: up to date",
        "  tags: prod, web",
        "  health: passed (1 check; gen-003, <when>)",
        "",
      ].join("\n"),
    );
    expect(hostOf(f.run("status", "dave@ci", "--json"))).toMatchObject({ previous: 1, previous_deployed_by: "alice@laptop", last_attempt: null, health: { ok: true } });
  });

  it("an interrupted apply shows as interrupted, then as undone by recovery with who undid it", () => {
    const f = historyFleet();
    expect(f.run("apply", "alice@laptop").code).toBe(0);
    f.setState("healthy v2");
    expect(f.run("apply", "alice@laptop").code).toBe(0);
    f.setState("healthy v3");
    const died = f.runWith({ FLEET_TEST_DIE_AT: "apply:pending-written" }, "apply", "alice@laptop");
    expect(died.code).not.toBe(0);
    const interrupted = f.run("status", "alice@laptop");
    expect(stamped(interrupted.stdout)).toContain("  last attempt: gen-003 interrupted (deployed <when>, by alice@laptop)\n");
    expect(interrupted.stdout).toContain("  interrupted apply to gen-003 pending;");

    // Without the new file's blob the next run cannot finish gen-003, so it undoes it; then the
    // rollback asked for goes from gen-002 to gen-001.
    const blob = join(f.out, STACK_DIR, "files", sha256("healthy v3\n"));
    rmSync(blob);
    const back = f.run("rollback", "erin@ops");
    expect(back.code).toBe(0);
    const st = f.run("status", "erin@ops");
    expect(stamped(st.stdout)).toContain(
      "  last attempt: gen-003 undone by recovery (<when>, by erin@ops): interrupted apply, undone by the next run\n",
    );
    expect(st.stdout).not.toContain("pending");
    expect(hostOf(f.run("status", "erin@ops", "--json")).last_attempt).toMatchObject({ generation: 3, outcome: "undone", by: "erin@ops" });
  });

  it("a host file that does not evaluate leaves the desired state unknown, with the diagnostic, and status still exits 0", () => {
    const f = historyFleet();
    expect(f.run("apply", "alice@laptop").code).toBe(0);
    f.setState('oops" broken');
    const st = f.run("status", "alice@laptop");
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/\n {2}desired: unknown \(the host file does not evaluate: hosts\/two\.pcl:\d+:\d+: error: \[E\d+\] /);
    expect(hostOf(f.run("status", "alice@laptop", "--json")).desired).toMatchObject({ state: "unknown", source_hash: null });
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
