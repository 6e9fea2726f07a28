import { appendFileSync, chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";

const WEB = "deploy@web.example.com";
const DB = "deploy@db.example.com";

/** A quickstart copy applied (dry run) to a fresh --transport-root, with its own local store. */
function deployedQuickstart(applies = 1) {
  const dir = copyExample("quickstart");
  const fleet = join(dir, "fleet.pcl");
  const out = join(tempDir(), "out");
  const env = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") };
  const run = (cmd: string, ...extra: string[]): CliResult => runFleet([cmd, fleet, "--transport-root", out, ...extra], { env });
  for (let i = 0; i < applies; i++) expect(run("apply", "--dry-run").code).toBe(0);
  return { fleet, out, env, run, web: join(out, WEB), db: join(out, DB) };
}

/** Hand-edit a file, delete another, change a third one's mode. */
function tamper(q: ReturnType<typeof deployedQuickstart>): void {
  appendFileSync(join(q.web, "etc/webapp/site.conf"), "# edited by hand\n");
  rmSync(join(q.db, "etc/postgres/postgresql.conf"));
  chmodSync(join(q.web, "etc/systemd/system/webapp.service"), 0o600);
}

describe("fleet verify", () => {
  it("passes on a freshly deployed fleet", () => {
    const q = deployedQuickstart();
    const r = q.run("verify");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      `✓ WebStack → ssh://${WEB}: gen-001, 2 file(s) match\n✓ DbStack → ssh://${DB}: gen-001, 2 file(s) match\nfleet: 2/2 host(s) verified\n`,
    );
    expect(r.code).toBe(0);
  });

  it("lists a hand-edited, a deleted and a re-moded file on stderr and exits 1; rollback makes it clean", () => {
    const q = deployedQuickstart(2);
    tamper(q);
    const r = q.run("verify");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        `✗ WebStack → ssh://${WEB}: gen-002, 2 drifted`,
        "  mode /etc/systemd/system/webapp.service (0644 → 0600)",
        "  changed /etc/webapp/site.conf",
        `✗ DbStack → ssh://${DB}: gen-002, 1 drifted`,
        "  missing /etc/postgres/postgresql.conf",
        "",
      ].join("\n"),
    );
    expect(r.stdout).toBe("fleet: 0/2 host(s) verified\n");

    const back = q.run("rollback");
    expect(back.code).toBe(0);
    const after = q.run("verify");
    expect(after.stderr).toBe("");
    expect(after.stdout).toContain(`✓ WebStack → ssh://${WEB}: gen-001, 2 file(s) match\n`);
    expect(after.code).toBe(0);
  });

  it("a re-apply repairs the drift", () => {
    const q = deployedQuickstart();
    tamper(q);
    expect(q.run("verify").code).toBe(1);
    expect(q.run("apply", "--dry-run").code).toBe(0);
    const r = q.run("verify");
    expect(r.stdout).toBe(
      `✓ WebStack → ssh://${WEB}: gen-002, 2 file(s) match\n✓ DbStack → ssh://${DB}: gen-002, 2 file(s) match\nfleet: 2/2 host(s) verified\n`,
    );
    expect(r.code).toBe(0);
  });

  it("reports bytes and mode together when both changed", () => {
    const q = deployedQuickstart();
    writeFileSync(join(q.web, "etc/webapp/site.conf"), "other\n");
    chmodSync(join(q.web, "etc/webapp/site.conf"), 0o640);
    const r = q.run("verify", "--only", "web");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("  changed /etc/webapp/site.conf (mode 0644 → 0640)\n");
    expect(r.stdout).toBe("fleet: 0/1 host(s) verified\n");
  });

  it("a never-deployed host fails verify, and verify writes nothing", () => {
    const dir = copyExample("quickstart");
    const out = join(tempDir(), "out");
    const r = runFleet(["verify", join(dir, "fleet.pcl"), "--transport-root", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `✗ WebStack → ssh://${WEB}: never deployed; run 'fleet apply' first\n✗ DbStack → ssh://${DB}: never deployed; run 'fleet apply' first\n`,
    );
    expect(r.stdout).toBe("fleet: 0/2 host(s) verified\n");
    expect(existsSync(out)).toBe(false);
  });

  it("checks the pinned store paths of a real (non-dry-run) generation, taken from the manifest", () => {
    const q = deployedQuickstart(0);
    expect(q.run("apply").code).toBe(0);
    // A different --store-root changes nothing: store paths come from each manifest.
    expect(q.run("verify", "--store-root", "/nonexistent/elsewhere").code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(q.web, "home/deploy/.fleet/deployments/WebStack/gen-001.json"), "utf8")) as {
      store_paths: string[];
    };
    const webapp = manifest.store_paths.find((p) => p.endsWith("-webapp-1.0.0"));
    expect(webapp).toBeDefined();
    expect(existsSync(join(q.web, webapp!, ".fleet-built"))).toBe(true);
    rmSync(join(q.web, webapp!), { recursive: true, force: true });
    const r = q.run("verify");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`✗ WebStack → ssh://${WEB}: gen-001, 1 store path(s) missing\n  missing store path ${webapp}\n`);
    expect(r.stdout).toBe(`✓ DbStack → ssh://${DB}: gen-001, 2 file(s) match\nfleet: 1/2 host(s) verified\n`);
  });
});

describe("secret files are compared by HMAC", () => {
  const secretFleet = () => {
    const dir = tempDir();
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "s.pcl" stack = "S" target = "ssh://ops@s.internal" } ] }\n`,
      "s.pcl": `module S {\n  backend = "systemd"\n  configFiles = [\n    { path = "/etc/s/token" content = { from_env = "FLEET_TEST_TOKEN" } }\n    { path = "/etc/s/plain" content = "p" }\n  ]\n}\n`,
    });
    const out = join(tempDir(), "out");
    const env = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store"), FLEET_TEST_TOKEN: "hunter2-planted" };
    const run = (cmd: string, ...extra: string[]) => runFleet([cmd, join(dir, "fleet.pcl"), "--transport-root", out, ...extra], { env });
    expect(run("apply", "--dry-run").code).toBe(0);
    return { run, host: join(out, "ops@s.internal") };
  };

  it("detects a changed secret file without printing its value, and flags it when the key is gone", () => {
    const s = secretFleet();
    expect(s.run("verify").code).toBe(0);
    writeFileSync(join(s.host, "etc/s/token"), "hunter3-changed");
    const r = s.run("verify");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("✗ S → ssh://ops@s.internal: gen-001, 1 drifted\n  changed /etc/s/token\n");
    expect(r.stdout + r.stderr).not.toContain("hunter");

    // Without the host's HMAC key the secret cannot be compared; verify must not create a new key.
    const keyPath = join(s.host, "home/ops/.fleet/deployments/.fleet-hmac-key");
    expect(existsSync(keyPath)).toBe(true);
    rmSync(keyPath);
    const nokey = s.run("verify");
    expect(nokey.code).toBe(1);
    expect(nokey.stderr).toContain("  unverifiable /etc/s/token (");
    expect(existsSync(keyPath)).toBe(false);
  });
});
