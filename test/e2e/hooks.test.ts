import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";

function hookFleet(log: string, pre: string, post: string): string {
  return writeFleet(
    tempDir(),
    [
      { stack: "Web", target: "ssh://deploy@web.test:2222", machine: "web", files: { "/etc/w": "w" } },
      { stack: "Db", target: "ssh://ops@db.test", files: { "/etc/d": "d" } },
    ],
    `  hooks = {
    apply = { pre = "${pre}" post = "${post}" }
    rollback = { pre = "echo rollback-pre $FLEET_NODE >> ${log}" post = "echo rollback-post $FLEET_NODE >> ${log}" }
  }`,
  );
}

describe("fleet hooks", () => {
  it("run locally per host with FLEET_NODE, FLEET_HOST and FLEET_USER, around apply and rollback", () => {
    // One job, so the log's interleaving is the plan order (with more, hosts' hooks overlap).
    const log = join(tempDir(), "hooks.log");
    const fleet = hookFleet(log, `echo pre $FLEET_NODE $FLEET_HOST $FLEET_USER >> ${log}`, `echo post $FLEET_NODE >> ${log}`);
    const root = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", root, "--jobs", "1"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(runFleet(["apply", fleet, "--dry-run", "--transport-root", root, "--jobs", "1"]).code).toBe(0);
    expect(runFleet(["rollback", fleet, "--transport-root", root, "--jobs", "1"]).code).toBe(0);
    expect(readFileSync(log, "utf8")).toBe(
      [
        "pre web web.test deploy",
        "post web",
        "pre Db db.test ops",
        "post Db",
        "pre web web.test deploy",
        "post web",
        "pre Db db.test ops",
        "post Db",
        "rollback-pre Db",
        "rollback-post Db",
        "rollback-pre web",
        "rollback-post web",
        "",
      ].join("\n"),
    );
  });

  it("a failing pre hook fails that host untouched; a failing post hook only warns", () => {
    const log = join(tempDir(), "hooks.log");
    const fleet = hookFleet(log, `test $FLEET_NODE != web || { echo no web today >&2; exit 3; }`, `echo post-failed >&2; exit 1`);
    const root = join(tempDir(), "out");
    const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "✗ Web → ssh://deploy@web.test:2222: apply pre hook failed (exit 3: no web today)\n" +
        "  apply pre hook exited 3; last lines of stderr:\n    no web today\n" +
        "⚠ Db → ssh://ops@db.test: apply post hook failed (exit 1: post-failed)\n" +
        "  apply post hook exited 1; last lines of stderr:\n    post-failed\n",
    );
    expect(r.stdout).toBe("✓ Db → ssh://ops@db.test\nfleet: 1/2 host(s) deployed (1 failed)\n");
    expect(() => readFileSync(join(root, "deploy@web.test_2222/etc/w"))).toThrow();
  });
});
