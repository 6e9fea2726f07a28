/** `fleet info` and `fleet machines` (issue 14, ADR 181), hermetically. */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { tempDir, writeFleet, type HostSpec } from "../support/fleet-fixture.js";

const T = (n: string) => `ssh://ops@${n}.internal`;
const HOSTS: HostSpec[] = [
  { stack: "WebStack", target: T("web"), machine: "web", tags: ["prod", "web"], files: { "/etc/web": "w" } },
  { stack: "DbStack", target: T("db"), machine: "db", tags: ["prod"], lifecycle: "maintenance", files: { "/etc/db": "d" } },
  { stack: "OldStack", target: T("old"), machine: "old", tags: ["web"], lifecycle: "decommissioned", files: { "/etc/old": "o" } },
  { stack: "EdgeStack", target: T("edge"), files: { "/etc/edge": "e" } },
];
const MODEL = `  machines = { web = { ip = "10.0.0.1" roles = ["http"] } db = { ip = "10.0.0.2" } old = { ip = "10.0.0.9" } }\n  globals = { domain = "example.com" }`;

describe("fleet info", () => {
  it("prints every host record and the machines/globals model, touching nothing", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, HOSTS, MODEL);
    const r = runFleet(["info", fleet]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "4 host(s), 3 machine(s)",
        "host 1: web",
        "  machine: web",
        "  stack: WebStack",
        `  target: ${T("web")}`,
        "  tags: prod, web",
        "  lifecycle: active",
        "  file: hosts/WebStack.pcl",
        "host 2: db",
        "  machine: db",
        "  stack: DbStack",
        `  target: ${T("db")}`,
        "  tags: prod",
        "  lifecycle: maintenance",
        "  file: hosts/DbStack.pcl",
        "host 3: old",
        "  machine: old",
        "  stack: OldStack",
        `  target: ${T("old")}`,
        "  tags: web",
        "  lifecycle: decommissioned",
        "  file: hosts/OldStack.pcl",
        "host 4: EdgeStack",
        "  machine: (none)",
        "  stack: EdgeStack",
        `  target: ${T("edge")}`,
        "  tags: (none)",
        "  lifecycle: active",
        "  file: hosts/EdgeStack.pcl",
        "machines:",
        '  db.ip = "10.0.0.2"',
        '  old.ip = "10.0.0.9"',
        '  web.ip = "10.0.0.1"',
        '  web.roles[0] = "http"',
        "globals:",
        '  domain = "example.com"',
        "",
      ].join("\n"),
    );
  });

  it("--json gives the registry; --only/--tags/--lifecycle filter it", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, HOSTS, MODEL);
    const r = runFleet(["info", fleet, "--json", "--tags", "web"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc["command"]).toBe("info");
    expect(doc["hosts"]).toEqual([
      { index: 1, machine: "web", stack: "WebStack", target: T("web"), tags: ["prod", "web"], lifecycle: "active", file: "hosts/WebStack.pcl" },
      { index: 3, machine: "old", stack: "OldStack", target: T("old"), tags: ["web"], lifecycle: "decommissioned", file: "hosts/OldStack.pcl" },
    ]);
    expect(doc["machines"]).toEqual({ db: { ip: "10.0.0.2" }, old: { ip: "10.0.0.9" }, web: { ip: "10.0.0.1", roles: ["http"] } });
    expect(doc["globals"]).toEqual({ domain: "example.com" });
    const both = JSON.parse(runFleet(["info", fleet, "--json", "--tags", "prod,web"]).stdout) as { hosts: { stack: string }[] };
    expect(both.hosts.map((h) => h.stack)).toEqual(["WebStack"]);
    const maint = JSON.parse(runFleet(["info", fleet, "--json", "--lifecycle", "maintenance"]).stdout) as { hosts: { stack: string }[] };
    expect(maint.hosts.map((h) => h.stack)).toEqual(["DbStack"]);
    const only = JSON.parse(runFleet(["info", fleet, "--json", "--only", "EdgeStack,db"]).stdout) as { hosts: { stack: string }[] };
    expect(only.hosts.map((h) => h.stack)).toEqual(["DbStack", "EdgeStack"]);
    const bad = runFleet(["info", fleet, "--lifecycle", "paused"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("fleet: error: --lifecycle must be one of active, maintenance, decommissioned, not 'paused'\n");
  });

  it("a malformed fleet file is refused with a located error", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, [{ ...HOSTS[0]!, lifecycle: "retired" }]);
    const r = runFleet(["info", fleet]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleet\.pcl:3:\d+: error: \[E14\] field 'lifecycle' of host record 1 of Fleet\.hosts is 'retired'/m);
    expect(r.stdout).toBe("");
  });
});

describe("fleet machines", () => {
  it("tabulates tags, lifecycle and the current generation read from each host; decommissioned never contacted", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const e = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") };
    const fleet = writeFleet(dir, HOSTS, MODEL);
    const before = runFleet(["machines", fleet, "--transport-root", out], { env: e });
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(
      [
        "MACHINE    STACK      LIFECYCLE       GENERATION      TAGS",
        "web        WebStack   active          never deployed  prod,web",
        "db         DbStack    maintenance     never deployed  prod",
        "old        OldStack   decommissioned  -               web",
        "EdgeStack  EdgeStack  active          never deployed",
        "",
      ].join("\n"),
    );
    expect(runFleet(["apply", fleet, "--transport-root", out], { env: e }).code).toBe(0);
    expect(runFleet(["apply", fleet, "--transport-root", out, "--only", "web"], { env: e }).code).toBe(0);
    const after = runFleet(["machines", fleet, "--transport-root", out, "--jobs", "2"], { env: e });
    expect(after.stdout.split("\n").slice(1, 5).map((l) => l.split(/\s+/)[3])).toEqual(["gen-002", "never", "-", "gen-001"]);
    expect(existsSync(join(out, "ops@old.internal"))).toBe(false);

    const json = JSON.parse(runFleet(["machines", fleet, "--transport-root", out, "--json", "--tags", "prod"], { env: e }).stdout) as {
      command: string;
      hosts: { stack: string; state: string; generation: number | null; lifecycle: string }[];
    };
    expect(json.command).toBe("machines");
    expect(json.hosts.map((h) => [h.stack, h.state, h.generation, h.lifecycle])).toEqual([
      ["WebStack", "deployed", 2, "active"],
      ["DbStack", "never-deployed", null, "maintenance"],
    ]);
    const maint = runFleet(["machines", fleet, "--transport-root", out, "--lifecycle", "decommissioned"], { env: e });
    expect(maint.stdout).toBe("MACHINE  STACK     LIFECYCLE       GENERATION  TAGS\nold      OldStack  decommissioned  -           web\n");
  });

  it("an unreadable host is a ✗ line, its row says so, exit 1", () => {
    const dir = tempDir();
    // Port 1 on the loopback: nothing listens there, the connection is refused.
    const fleet = writeFleet(dir, [{ ...HOSTS[0]!, target: "ssh://ops@127.0.0.1:1" }]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
    writeFileSync(join(dir, "kh"), "");
    const r = runFleet(["machines", fleet, ...sshFlags({ key: join(dir, "key"), knownHosts: join(dir, "kh"), connectTimeout: 1 })], {
      env: { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^web +WebStack +active +unreadable +prod,web$/m);
    expect(r.stderr).toBe("✗ WebStack → ssh://ops@127.0.0.1:1: cannot connect to ssh://ops@127.0.0.1:1: connection refused; check that sshd listens on that port\n");
  });
});
