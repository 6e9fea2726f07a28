/** Host lifecycle (ADR 180): maintenance hosts skipped by apply/rollback, decommissioned never contacted. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, type HostSpec } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const T = (n: string) => `ssh://ops@${n}.internal`;

function hosts(appLifecycle: string | undefined, endpoint: string, extra: HostSpec[] = []): HostSpec[] {
  return [
    {
      stack: "AppStack",
      target: T("app"),
      machine: "app",
      ...(appLifecycle !== undefined ? { lifecycle: appLifecycle } : {}),
      files: { "/etc/app/conf": `endpoint ${endpoint}` },
      stackExtra: `  producesArtifacts = [ { name = "endpoint" kind = "literal" value = "${endpoint}" } ]`,
    },
    { stack: "DnsStack", target: T("dns"), machine: "dns", files: { "/etc/dns/zone": "app ${ { from_artifact = \"app/endpoint\" } }" } },
    ...extra,
  ];
}

describe("lifecycle = maintenance", () => {
  it("apply and rollback skip the host with a ⊘ line; its consumer deploys from its current manifest", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const e = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") };
    const fleet = writeFleet(dir, hosts(undefined, "10.0.0.1"));
    const first = runFleet(["apply", fleet, "--transport-root", out], { env: e });
    expect(first.stdout).toBe(`✓ AppStack → ${T("app")}\n✓ DnsStack → ${T("dns")}\nfleet: 2/2 host(s) deployed\n`);
    const app = join(out, "ops@app.internal");
    const dns = join(out, "ops@dns.internal");
    const appTree = treeHash(app);

    // Under maintenance the app changes its artifact: the consumer still gets the deployed value.
    writeFleet(dir, hosts("maintenance", "10.0.0.2", []).map((h) => (h.stack === "DnsStack" ? { ...h, files: { "/etc/dns/zone": "v2 app ${ { from_artifact = \"app/endpoint\" } }" } } : h)));
    const second = runFleet(["apply", fleet, "--transport-root", out], { env: e });
    expect(second.stderr).toBe(`⊘ AppStack → ${T("app")}: skipped (maintenance)\n`);
    expect(second.stdout).toBe(`✓ DnsStack → ${T("dns")}\nfleet: 1/1 host(s) deployed, 1 skipped (maintenance)\n`);
    expect(second.code).toBe(0);
    expect(readFileSync(join(dns, "etc/dns/zone"), "utf8")).toBe("v2 app 10.0.0.1");
    expect(treeHash(app)).toBe(appTree);

    // plan says what apply does: the maintenance host skipped with apply's ⊘ line, not a failure (ADR 236).
    const plan = runFleet(["plan", fleet, "--transport-root", out], { env: e });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toBe(`⊘ AppStack → ${T("app")}: skipped (maintenance)\n`);
    expect(plan.stdout).toContain(`  1. AppStack → ${T("app")} [skipped; now gen-001]: skipped (maintenance)\n`);
    const planJson = JSON.parse(runFleet(["plan", fleet, "--transport-root", out, "--json"], { env: e }).stdout) as { ok: boolean; hosts: { stack: string; status: string }[] };
    expect(planJson.ok).toBe(true);
    expect(planJson.hosts.map((h) => [h.stack, h.status])).toEqual([["AppStack", "skipped"], ["DnsStack", "ready"]]);
    const planAll = runFleet(["plan", fleet, "--transport-root", out, "--include-maintenance", "--json"], { env: e });
    expect((JSON.parse(planAll.stdout) as { hosts: { status: string }[] }).hosts.map((h) => h.status)).toEqual(["ready", "ready"]);
    const diff = runFleet(["diff", fleet, "--transport-root", out], { env: e });
    expect(diff.code).toBe(0);
    expect(diff.stderr).toBe(`⊘ AppStack → ${T("app")}: skipped (maintenance)\n`);

    const json = runFleet(["apply", fleet, "--transport-root", out, "--json"], { env: e });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { hosts: { stack: string; status: string }[]; summary: Record<string, number> };
    expect(doc.hosts.map((h) => [h.stack, h.status])).toEqual([["AppStack", "skipped"], ["DnsStack", "ok"]]);
    expect(doc.summary["skipped"]).toBe(1);

    const back = runFleet(["rollback", fleet, "--transport-root", out], { env: e });
    expect(back.stderr).toBe(`⊘ AppStack → ${T("app")}: skipped (maintenance)\n`);
    // gen-003 (the --json apply) equals gen-002: nothing to restore.
    expect(back.stdout).toBe("↩ DnsStack → gen-002 (was gen-003); 0 restored, 0 removed\nfleet: 1/1 host(s) rolled back, 1 skipped (maintenance)\n");
    expect(back.code).toBe(0);
    expect(treeHash(app)).toBe(appTree);

    // --include-maintenance deploys it like any host.
    const all = runFleet(["apply", fleet, "--transport-root", out, "--include-maintenance"], { env: e });
    expect(all.stdout).toBe(`✓ AppStack → ${T("app")}\n✓ DnsStack → ${T("dns")}\nfleet: 2/2 host(s) deployed\n`);
    expect(readFileSync(join(app, "etc/app/conf"), "utf8")).toBe("endpoint 10.0.0.2");
    expect(readFileSync(join(dns, "etc/dns/zone"), "utf8")).toBe("v2 app 10.0.0.2");
    const allBack = runFleet(["rollback", fleet, "--transport-root", out, "--include-maintenance"], { env: e });
    expect(allBack.stdout).toMatch(/^↩ AppStack → gen-001 \(was gen-002\)/m);
    expect(allBack.code).toBe(0);
  });

  it("a maintenance producer never deployed blocks its consumer (no manifest to read)", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const fleet = writeFleet(dir, hosts("maintenance", "10.0.0.1"));
    const r = runFleet(["apply", fleet, "--transport-root", out], { env: { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") } });
    expect(r.stderr).toBe(`⊘ AppStack → ${T("app")}: skipped (maintenance)\n⊘ DnsStack → ${T("dns")}: blocked — upstream app:endpoint unavailable\n`);
    expect(r.stdout).toBe("fleet: 0/1 host(s) deployed, 1 skipped (maintenance) (1 blocked)\n");
    expect(r.code).toBe(1);
  });
});

describe("lifecycle = decommissioned", () => {
  it("is never contacted by apply, rollback or status, and is not reported", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const e = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") };
    const old: HostSpec = { stack: "OldStack", target: T("old"), machine: "old", lifecycle: "decommissioned", files: { "/etc/old": "x" } };
    const fleet = writeFleet(dir, hosts(undefined, "10.0.0.1", [old]));
    const r = runFleet(["apply", fleet, "--transport-root", out], { env: e });
    expect(r.stdout).toBe(`✓ AppStack → ${T("app")}\n✓ DnsStack → ${T("dns")}\nfleet: 2/2 host(s) deployed\n`);
    expect(r.stderr).toBe("");
    runFleet(["apply", fleet, "--transport-root", out], { env: e });
    const back = runFleet(["rollback", fleet, "--transport-root", out, "--only", "old,app,dns"], { env: e });
    expect(back.stdout).not.toContain("OldStack");
    expect(back.code).toBe(0);
    const st = runFleet(["status", fleet, "--transport-root", out], { env: e });
    expect(st.stdout + st.stderr).not.toContain("OldStack");
    expect(existsSync(join(out, "ops@old.internal"))).toBe(false);
  });
});

describe("lifecycle is schema-checked", () => {
  it("an unknown value is a located [E14] with a suggestion, nothing touched", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const fleet = writeFleet(dir, hosts("maintainance", "10.0.0.1"));
    const r = runFleet(["apply", fleet, "--transport-root", out], { env: { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleet\.pcl:3:\d+: error: \[E14\] field 'lifecycle' of host record 1 of Fleet\.hosts is 'maintainance'; it must be one of 'active', 'maintenance', 'decommissioned'/m);
    expect(r.stderr).toContain("did you mean 'maintenance'?");
    expect(existsSync(out)).toBe(false);
  });
});
