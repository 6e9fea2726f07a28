import { appendFileSync, chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { copyExample, tempDir } from "../support/fleet-fixture.js";

const WEB = "deploy@web.example.com";
const DB = "deploy@db.example.com";
const STAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/;

function quickstart() {
  const dir = copyExample("quickstart");
  const fleet = join(dir, "fleet.pcl");
  const out = join(tempDir(), "out");
  const env = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store"), FLEET_DEPLOYER: "tester@ctl" };
  const run = (cmd: string, ...extra: string[]): CliResult => runFleet([cmd, fleet, "--transport-root", out, ...extra], { env });
  return { fleet, out, env, run, web: join(out, WEB), db: join(out, DB) };
}

/** Replace the ISO timestamps, which are the only non-deterministic part of a status line. */
const stamped = (s: string): string => s.replace(new RegExp(STAMP.source, "g"), "<when>");

describe("fleet status", () => {
  it("says never deployed, exits 0, and creates nothing", () => {
    const q = quickstart();
    const r = q.run("status");
    expect(r.stdout).toBe(`WebStack → ssh://${WEB} never deployed\nDbStack → ssh://${DB} never deployed\n`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(q.out)).toBe(false);
  });

  it("shows the current and previous generation, when, and the same drift verify finds", () => {
    const q = quickstart();
    expect(q.run("apply", "--dry-run").code).toBe(0);
    expect(q.run("apply", "--dry-run").code).toBe(0);
    const clean = q.run("status");
    expect(clean.code).toBe(0);
    const history = "  deployed by: tester@ctl\n  previous: gen-001 (<when>, by tester@ctl)\n  desired: up to date\n";
    expect(stamped(clean.stdout)).toBe(
      `WebStack → ssh://${WEB} gen-002 (<when>, previous gen-001, dry run), no drift\n${history}` +
        `DbStack → ssh://${DB} gen-002 (<when>, previous gen-001, dry run), no drift\n${history}`,
    );

    appendFileSync(join(q.web, "etc/webapp/site.conf"), "# edited\n");
    chmodSync(join(q.web, "etc/systemd/system/webapp.service"), 0o600);
    rmSync(join(q.db, "etc/postgres/postgresql.conf"));
    const r = q.run("status");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(stamped(r.stdout)).toBe(
      [
        `WebStack → ssh://${WEB} gen-002 (<when>, previous gen-001, dry run), 2 drifted`,
        "  mode /etc/systemd/system/webapp.service (0644 → 0600)",
        "  changed /etc/webapp/site.conf",
        history.trimEnd(),
        `DbStack → ssh://${DB} gen-002 (<when>, previous gen-001, dry run), 1 drifted`,
        "  missing /etc/postgres/postgresql.conf",
        history.trimEnd(),
        "",
      ].join("\n"),
    );

    expect(q.run("rollback").code).toBe(0);
    const after = q.run("status");
    // The rolled-back generation is the last attempt: by whom and why.
    const back = "  deployed by: tester@ctl\n  desired: up to date\n  last attempt: gen-002 rolled back (<when>, by tester@ctl): fleet rollback\n";
    expect(stamped(after.stdout)).toBe(
      `WebStack → ssh://${WEB} gen-001 (<when>, no previous, dry run), no drift\n${back}` +
        `DbStack → ssh://${DB} gen-001 (<when>, no previous, dry run), no drift\n${back}`,
    );
  });

  it("--only limits the report to the selected hosts; an unknown name is a usage error", () => {
    const q = quickstart();
    expect(q.run("apply", "--dry-run").code).toBe(0);
    const r = q.run("status", "--only", "db");
    expect(stamped(r.stdout)).toBe(`DbStack → ssh://${DB} gen-001 (<when>, no previous, dry run), no drift\n  deployed by: tester@ctl\n  desired: up to date\n`);
    const bad = q.run("status", "--only", "nosuch");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("nosuch");
  });

  it("exits 1 when a host cannot be read, still reporting the others", () => {
    const q = quickstart();
    expect(q.run("apply", "--dry-run").code).toBe(0);
    writeFileSync(join(q.web, "home/deploy/.fleet/deployments/WebStack/gen-001.json"), "{ not json");
    const r = q.run("status");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^✗ WebStack → ssh://${WEB}: manifest /home/deploy/\\.fleet/deployments/WebStack/gen-001\\.json is corrupt`));
    expect(stamped(r.stdout)).toBe(`DbStack → ssh://${DB} gen-001 (<when>, no previous, dry run), no drift\n  deployed by: tester@ctl\n  desired: up to date\n`);
  });

  it("mentions an interrupted operation left pending", () => {
    const q = quickstart();
    expect(q.run("apply", "--dry-run").code).toBe(0);
    const died = runFleet(["apply", q.fleet, "--dry-run", "--transport-root", q.out, "--only", "web"], {
      env: { ...q.env, FLEET_TEST_DIE_AT: "apply:pending-written" },
    });
    expect(died.code).not.toBe(0);
    const r = q.run("status", "--only", "web");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "  interrupted apply to gen-002 pending; the next 'fleet apply' or 'fleet rollback' finishes or undoes it\n",
    );
  });

  it("refuses a relative deployments root (usage, exit 2)", () => {
    const q = quickstart();
    const r = q.run("status", "--deployments-root", "relative/dir");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--deployments-root");
  });
});
