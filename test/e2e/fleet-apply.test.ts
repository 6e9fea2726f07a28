import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { copyExample, tempDir, writeFleet, type HostSpec } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

function env(): Record<string, string> {
  return { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") };
}

describe("fleet apply on the quickstart (the seed's example, verbatim)", () => {
  it("dry-runs, re-applies after a change, and rolls back", () => {
    const dir = copyExample("quickstart");
    const out = join(tempDir(), "out");
    const e = env();
    const first = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out], { env: e });
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(
      "✓ WebStack → ssh://deploy@web.example.com\n✓ DbStack → ssh://deploy@db.example.com\nfleet: 2/2 host(s) deployed\n",
    );
    expect(first.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["deploy@db.example.com", "deploy@web.example.com"]);
    const web = join(out, "deploy@web.example.com");
    expect(readFileSync(join(web, "etc/webapp/site.conf"), "utf8")).toContain("listen 8080");
    const webTree1 = treeHash(web, ["home"]);

    // A rollback after a single apply has nowhere to go: [E12] for every host, exit 1.
    const early = runFleet(["rollback", join(dir, "fleet.pcl"), "--transport-root", out], { env: e });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^✗ DbStack → ssh:\/\/deploy@db\.example\.com: \[E12\] /m);
    expect(early.stderr).toMatch(/^✗ WebStack → ssh:\/\/deploy@web\.example\.com: \[E12\] /m);
    expect(early.stdout).toBe("fleet: 0/2 host(s) rolled back (2 failed)\n");

    const webPcl = join(dir, "hosts/web.pcl");
    writeFileSync(webPcl, readFileSync(webPcl, "utf8").replace("listen 8080", "listen 9090"));
    const second = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out], { env: e });
    expect(second.code).toBe(0);
    expect(readFileSync(join(web, "etc/webapp/site.conf"), "utf8")).toContain("listen 9090");

    const back = runFleet(["rollback", join(dir, "fleet.pcl"), "--transport-root", out], { env: e });
    expect(back.stderr).toBe("");
    expect(back.stdout).toBe(
      "↩ DbStack → gen-001 (was gen-002); 0 restored, 0 removed\n↩ WebStack → gen-001 (was gen-002); 1 restored, 0 removed\nfleet: 2/2 host(s) rolled back\n",
    );
    expect(back.code).toBe(0);
    expect(treeHash(web, ["home"])).toBe(webTree1);
  });

  it("refuses --dry-run without --transport-root (usage, exit 2) and points at fleet plan", () => {
    const dir = copyExample("quickstart");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("fleet plan");
  });
});

const T = (n: string) => `ssh://ops@${n}.internal`;

function statusFleet(dir: string, appBroken: boolean): string {
  const hosts: HostSpec[] = [
    {
      stack: "DnsStack",
      target: T("dns"),
      machine: "dns",
      files: { "/etc/dns/zone": "app ${ { from_artifact = \"app/endpoint\" } }" },
      stackExtra: `  producesArtifacts = [ { name = "zone" kind = "literal" value = "z1" } ]`,
    },
    {
      stack: "AppStack",
      target: "ssh://ops@app.internal:2222",
      machine: "app",
      files: { "/etc/app/conf": "port 1" },
      stackExtra:
        `  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "10.0.0.1" } ]\n` +
        (appBroken ? `  services = [ { name = "app" package = "P" binary = "x" environment = { K = { from_env = "FLEET_TEST_UNSET_X" } } } ]` : ""),
      extra: appBroken ? `module P { pname = "p" version = "1" recipe = "std.files" files = [] }` : "",
    },
    { stack: "ResolverStack", target: T("resolver"), machine: "resolver", files: { "/etc/r": "${ { from_artifact = \"dns/zone\" } }" } },
    { stack: "EdgeStack", target: T("edge"), machine: "edge", files: { "/etc/edge": "e" } },
  ];
  return writeFleet(dir, hosts);
}

describe("statuses, order and exit codes", () => {
  it("deploys producers first and propagates blocked through two levels", () => {
    const dir = tempDir();
    const fleet = statusFleet(dir, true);
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        "✗ AppStack → ssh://ops@app.internal:2222: [E11] secret(s) not set: from_env:FLEET_TEST_UNSET_X",
        "⊘ DnsStack → ssh://ops@dns.internal: blocked — upstream app:endpoint unavailable",
        "⊘ ResolverStack → ssh://ops@resolver.internal: blocked — upstream dns:zone unavailable",
        "",
      ].join("\n"),
    );
    expect(r.stdout).toBe("✓ EdgeStack → ssh://ops@edge.internal\nfleet: 1/4 host(s) deployed (1 failed, 2 blocked)\n");
    // Nothing was written for the failed or blocked hosts.
    expect(readdirSync(out).sort()).toEqual(["ops@edge.internal"]);
  });

  it("completes artifact templates with the producer's value and reports in order for every --jobs", () => {
    const dir = tempDir();
    const fleet = statusFleet(dir, false);
    const outputs = new Set<string>();
    for (const jobs of ["1", "4", "16"]) {
      const out = join(tempDir(), "out");
      const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, "--jobs", jobs], { env: env() });
      expect(r.code).toBe(0);
      outputs.add(r.stdout + r.stderr);
      expect(readFileSync(join(out, "ops@dns.internal/etc/dns/zone"), "utf8")).toBe("app 10.0.0.1");
      expect(readFileSync(join(out, "ops@resolver.internal/etc/r"), "utf8")).toBe("z1");
    }
    expect([...outputs]).toEqual([
      "✓ AppStack → ssh://ops@app.internal:2222\n✓ DnsStack → ssh://ops@dns.internal\n✓ ResolverStack → ssh://ops@resolver.internal\n✓ EdgeStack → ssh://ops@edge.internal\nfleet: 4/4 host(s) deployed\n",
    ]);
  });

  it("--fail-fast marks the hosts it never reached not-attempted", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, [
      { stack: "A", target: T("a"), files: { "/etc/a": "${ { from_env = \"FLEET_TEST_UNSET_Y\" } }" } },
      { stack: "B", target: T("b"), files: { "/etc/b": "b" } },
    ]);
    const out = join(tempDir(), "out");
    // One job: B is queued behind A, so the failure of A stops it from starting.
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, "--fail-fast", "--jobs", "1"], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("⊘ B → ssh://ops@b.internal: not attempted (fail-fast)\n");
    expect(r.stdout).toBe("fleet: 0/2 host(s) deployed (1 failed, 1 not attempted)\n");
  });

  it("fails only the host whose file is absolute or escapes the fleet directory", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, [{ stack: "Ok", target: T("ok"), files: { "/etc/ok": "ok" } }]);
    const text = readFileSync(fleet, "utf8").replace(
      "  ]\n",
      `    { file = "/etc/passwd" stack = "Abs" target = "${T("abs")}" }\n    { file = "../x.pcl" stack = "Esc" target = "${T("esc")}" }\n  ]\n`,
    );
    writeFileSync(fleet, text);
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("✓ Ok → ssh://ops@ok.internal\nfleet: 1/3 host(s) deployed (2 failed)\n");
    expect(r.stderr).toMatch(/^✗ Abs → ssh:\/\/ops@abs\.internal: host file '\/etc\/passwd' is absolute/m);
    expect(r.stderr).toMatch(/^✗ Esc → ssh:\/\/ops@esc\.internal: host file '\.\.\/x\.pcl' escapes/m);
  });

  it("reports a host's language errors: the first headline on the ✗ line, then every diagnostic", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, [
      { stack: "Bad", target: T("bad"), files: { "/etc/x": "x" }, stackExtra: "  pacakges = 1" },
      { stack: "Good", target: T("good"), files: { "/etc/y": "y" } },
    ]);
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ Bad → ssh:\/\/ops@bad\.internal: hosts\/Bad\.pcl:\d+:\d+: error: \[E2\] /m);
    expect(r.stderr).toContain("pacakges = 1");
    expect(r.stdout).toContain("✓ Good → ssh://ops@good.internal\n");
  });
});

describe("refusals touch nothing", () => {
  const refused = (hosts: HostSpec[], fleetExtra = "") => {
    const dir = tempDir();
    const fleet = writeFleet(dir, hosts, fleetExtra);
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { env: env() });
    expect(existsSync(out)).toBe(false);
    return r;
  };

  it("ARTIFACT-CYCLE prints the cycle path", () => {
    const r = refused([
      { stack: "A", target: T("a"), machine: "a", files: { "/x": "${ { from_artifact = \"b/y\" } }" }, stackExtra: `  producesArtifacts = [ { name = "x" kind = "literal" value = "1" } ]` },
      { stack: "B", target: T("b"), machine: "b", files: { "/y": "${ { from_artifact = \"a/x\" } }" }, stackExtra: `  producesArtifacts = [ { name = "y" kind = "literal" value = "2" } ]` },
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[ARTIFACT-CYCLE]");
    expect(r.stderr).toContain("a → b → a");
    expect(r.stdout).toBe("");
  });

  it("ARTIFACT-MISSING is located at the consuming reference", () => {
    const r = refused([
      { stack: "A", target: T("a"), machine: "a", files: { "/x": "x" } },
      { stack: "B", target: T("b"), machine: "b", files: { "/y": "${ { from_artifact = \"a/nope\" } }" } },
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hosts\/B\.pcl:\d+:\d+: error: \[ARTIFACT-MISSING\] /m);
  });

  it("a consumer without a machine is E14", () => {
    const r = refused([
      { stack: "A", target: T("a"), machine: "a", files: { "/x": "x" }, stackExtra: `  producesArtifacts = [ { name = "x" kind = "literal" value = "1" } ]` },
      { stack: "B", target: T("b"), files: { "/y": "${ { from_artifact = \"a/x\" } }" } },
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[E14]");
  });

  it("a syntax error in the fleet file refuses the run", () => {
    const dir = tempDir();
    const fleet = join(dir, "fleet.pcl");
    writeFileSync(fleet, "module Fleet { hosts = [ { file = } ] }\n");
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleet\.pcl:1:\d+: error: \[E8\] /m);
    expect(existsSync(out)).toBe(false);
  });

  it("uniqueFields violations are E13 naming both machines", () => {
    const r = refused(
      [{ stack: "A", target: T("a"), machine: "a", files: { "/x": "x" } }],
      `  machines = { a = { ip = "10.0.0.1" } b = { ip = "10.0.0.1" } }\n  uniqueFields = ["ip"]`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[E13]");
    expect(r.stderr).toMatch(/'a'.*'b'/);
  });

  it("targets that sanitise alike are a usage error (exit 2)", () => {
    const r = refused([
      { stack: "A", target: "ssh://ops@h:22", files: { "/x": "x" } },
      { stack: "B", target: "ssh://ops@h_22", files: { "/y": "y" } },
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ssh://ops@h:22");
  });

  it("an unknown --only name is a usage error listing what exists", () => {
    const dir = tempDir();
    const fleet = writeFleet(dir, [{ stack: "A", target: T("a"), machine: "web", tags: ["prod"], files: { "/x": "x" } }]);
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", join(dir, "out"), "--only", "nope"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("web");
    expect(r.stderr).toContain("@prod");
  });
});
