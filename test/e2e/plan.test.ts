import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { computePlan } from "../../src/deploy/fleet-plan.js";
import { planJson } from "../../src/plan/plan-doc.js";
import { runFleet } from "../support/cli.js";
import { copyExample, tempDir, writeFleet } from "../support/fleet-fixture.js";

const T = (n: string) => `ssh://ops@${n}.internal`;

function artifactFleet(): string {
  return writeFleet(tempDir(), [
    { stack: "Dns", target: T("dns"), machine: "dns", files: { "/etc/zone": "ip ${ { from_artifact = \"app/ip\" } }" } },
    { stack: "App", target: T("app"), machine: "app", service: true, files: { "/etc/app": "a" }, stackExtra: `  producesArtifacts = [ { name = "ip" kind = "literal" value = "10.1.1.1" } ]` },
    { stack: "Edge", target: T("edge"), machine: "edge", files: { "/etc/edge": "e" } },
  ]);
}

describe("fleet plan", () => {
  it("is byte-identical across 100 runs and independent of --transport-root and cwd", async () => {
    const fleet = artifactFleet();
    const outputs = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const doc = await computePlan({ fleetFile: fleet, scenarios: [], transportRoot: join(tempDir(), `root-${i}`) });
      outputs.add(planJson(doc));
    }
    expect(outputs.size).toBe(1);
    const viaCli = runFleet(["plan", fleet, "--json", "--transport-root", join(tempDir(), "x")], { cwd: tempDir() });
    expect(viaCli.code).toBe(0);
    // The CLI's document is the plan plus the envelope keys, which plan_hash does not cover.
    const { format_version, command, ok, ...plan } = JSON.parse(viaCli.stdout) as Record<string, unknown>;
    expect([format_version, command, ok]).toEqual([1, "plan", true]);
    expect(JSON.stringify(plan, null, 2) + "\n").toBe([...outputs][0]);
    const text = viaCli.stdout;
    expect(text).not.toMatch(/\/tmp\//);
    expect(text).not.toMatch(/20\d\d-\d\d-\d\dT/);
    const doc = JSON.parse(text);
    expect(doc.hosts.map((h: { stack: string }) => h.stack)).toEqual(["App", "Dns", "Edge"]);
    expect(doc.levels.map((l: unknown[]) => l.length)).toEqual([2, 1]);
    expect(doc.edges).toEqual([
      { artifact: "app/ip", at: "hosts/Dns.pcl:4:43", consumer: { stack: "Dns", target: T("dns") }, producer: { stack: "App", target: T("app") } },
    ]);
    expect(doc.hosts[0].push).toHaveLength(1);
  });

  it("writes nothing, not even the transport root", () => {
    const fleet = artifactFleet();
    const root = join(tempDir(), "never");
    const r = runFleet(["plan", fleet, "--transport-root", root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("plan_hash: ");
    expect(existsSync(root)).toBe(false);
  });

  it("lists adds, changes and removes against the current generation", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    const root = join(tempDir(), "out");
    expect(runFleet(["apply", fleet, "--dry-run", "--transport-root", root]).code).toBe(0);
    const web = join(dir, "hosts/web.pcl");
    writeFileSync(
      web,
      readFileSync(web, "utf8")
        .replace("listen 8080", "listen 9090")
        .replace(`{ path = "/etc/webapp/site.conf"`, `{ path = "/etc/webapp/extra.conf" content = "x" }\n    { path = "/etc/webapp/site.conf"`),
    );
    const doc = JSON.parse(runFleet(["plan", fleet, "--json", "--transport-root", root]).stdout);
    const w = doc.hosts.find((h: { stack: string }) => h.stack === "WebStack");
    expect(w.generation).toBe(1);
    expect(w.add.map((f: { path: string }) => f.path)).toEqual(["/etc/webapp/extra.conf"]);
    expect(w.change.map((f: { path: string }) => f.path)).toEqual(["/etc/webapp/site.conf"]);
    const d = doc.hosts.find((h: { stack: string }) => h.stack === "DbStack");
    expect(d.add).toEqual([]);
    expect(d.change).toEqual([]);
  });

  it("--expect-plan applies an unchanged plan and refuses a changed fleet, touching nothing", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    const root = join(tempDir(), "out");
    const hash = JSON.parse(runFleet(["plan", fleet, "--json", "--transport-root", root]).stdout).plan_hash as string;
    const web = join(dir, "hosts/web.pcl");
    writeFileSync(web, readFileSync(web, "utf8").replace("listen 8080", "listen 8081"));
    const refused = runFleet(["apply", fleet, "--dry-run", "--transport-root", root, "--expect-plan", hash]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("plan changed");
    expect(existsSync(root)).toBe(false);
    const now = JSON.parse(runFleet(["plan", fleet, "--json", "--transport-root", root]).stdout).plan_hash as string;
    expect(now).not.toBe(hash);
    expect(runFleet(["apply", fleet, "--dry-run", "--transport-root", root, "--expect-plan", now]).code).toBe(0);
  });

  it("--dot and --explain describe the graph", () => {
    const fleet = artifactFleet();
    const dot = runFleet(["plan", fleet, "--dot", "--transport-root", join(tempDir(), "x")]);
    expect(dot.stdout).toContain(`"App → ${T("app")}" -> "Dns → ${T("dns")}" [label="app/ip"]`);
    const ex = runFleet(["plan", fleet, "--explain", "dns", "--transport-root", join(tempDir(), "x")]);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain("deploys 2nd of 3");
    expect(ex.stdout).toContain("app/ip from App");
    expect(runFleet(["plan", fleet, "--explain", "nope", "--transport-root", join(tempDir(), "x")]).code).toBe(2);
  });

  it("gates CI: exit 1 with apply's ✗ line and diagnostics when a host would fail, 0 when clean, 2 for changes under --detailed-exitcode", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    const root = join(tempDir(), "out");
    const env = { env: { FLEET_STORE_DIR: join(tempDir(), "store") } };
    const plan = (...extra: string[]) => runFleet(["plan", fleet, "--transport-root", root, ...extra], env);
    expect(plan().code).toBe(0);
    expect(plan("--detailed-exitcode").code).toBe(2); // never deployed: everything is a change
    expect(runFleet(["apply", fleet, "--transport-root", root], env).code).toBe(0);
    expect(plan("--detailed-exitcode").code).toBe(0); // pushed and written: nothing to change

    const web = join(dir, "hosts/web.pcl");
    const good = readFileSync(web, "utf8");
    writeFileSync(web, good.replace('backend = "systemd"', 'backend = "systemd"\n  bogus = 1 + "x"'));
    const failing = plan("--detailed-exitcode");
    expect(failing.code).toBe(1);
    const applied = runFleet(["apply", fleet, "--dry-run", "--transport-root", join(tempDir(), "other")], env);
    // The same ✗ line and rendered diagnostics as apply, on stderr.
    const cross = (t: string) => t.split("\n").filter((l) => l.startsWith("✗ ") || l.includes("error: ["));
    expect(cross(failing.stderr).length).toBeGreaterThan(1);
    expect(cross(failing.stderr)).toEqual(cross(applied.stderr));
    expect(failing.stderr).toMatch(/^✗ WebStack → ssh:\/\/deploy@web\.example\.com: hosts\/web\.pcl:\d+:\d+: error: \[E\d+\]/m);
    expect(JSON.parse(plan("--json").stdout).ok).toBe(false);

    // A missing host file fails the plan too.
    writeFileSync(web, good);
    writeFileSync(fleet, readFileSync(fleet, "utf8").replace("hosts/db.pcl", "hosts/nope.pcl"));
    const missing = plan();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^✗ DbStack → ssh:\/\/deploy@db\.example\.com: .*nope\.pcl/m);
  });

  it("--diff shows a unified diff of each changed file against the target, and never a secret", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    const root = join(tempDir(), "out");
    const SECRET = "diff-canary-s3cr3t";
    const env = { env: { FLEET_STORE_DIR: join(tempDir(), "store"), DIFF_TOKEN: SECRET } };
    const web = join(dir, "hosts/web.pcl");
    writeFileSync(
      web,
      readFileSync(web, "utf8").replace(
        `{ path = "/etc/webapp/site.conf"`,
        `{ path = "/etc/webapp/token" content = { from_env = "DIFF_TOKEN" } }\n    { path = "/etc/webapp/site.conf"`,
      ),
    );
    expect(runFleet(["apply", fleet, "--transport-root", root], env).code).toBe(0);
    writeFileSync(web, readFileSync(web, "utf8").replace("listen 8080", "listen 9090"));
    env.env.DIFF_TOKEN = `${SECRET}-2`;
    const r = runFleet(["plan", fleet, "--transport-root", root, "--diff"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      ["--- /etc/webapp/site.conf\tcurrent", "+++ /etc/webapp/site.conf\tplanned", "@@ -1,2 +1,2 @@", "-listen 8080", "+listen 9090", " backend db.example.com:5432"].join("\n"),
    );
    expect(r.stdout).toContain("/etc/webapp/token: changed, not shown (secret)");
    const j = runFleet(["plan", fleet, "--transport-root", root, "--diff", "--json"], env);
    const doc = JSON.parse(j.stdout) as { diffs: { stack: string; files: { path: string; secret: boolean; diff: string | null }[] }[] };
    const files = doc.diffs.find((d) => d.stack === "WebStack")!.files;
    expect(files.map((f) => [f.path, f.secret, f.diff === null])).toEqual([
      ["/etc/webapp/site.conf", false, false],
      ["/etc/webapp/token", true, true],
    ]);
    for (const t of [r.stdout, r.stderr, j.stdout, j.stderr]) expect(t).not.toContain(SECRET);
    // The hash is the same with and without --diff: the diffs are not part of the plan.
    expect(doc).toMatchObject({ plan_hash: JSON.parse(runFleet(["plan", fleet, "--transport-root", root, "--json"], env).stdout).plan_hash });
  });

  it("--expect-plan that is not a full hash is a usage error", () => {
    const r = runFleet(["apply", "examples/quickstart/fleet.pcl", "--dry-run", "--transport-root", join(tempDir(), "o"), "--expect-plan", "c70cc696"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("64-hex-digit plan_hash");
  });
});
