/**
 * Captured output (issue 13, ADR 143): hooks, health checks, activation and std.shell builds keep
 * what they printed; a failure shows its last lines under its ✗/↩/⚠ line, `-v` streams them
 * prefixed by host, `--json` carries them — with secret values redacted.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, writeTree } from "../support/fleet-fixture.js";

const SECRET = "captured-canary-5ecret";

interface JsonOut {
  hosts: { stack: string; status: string; output: { step: string; stdout: string; stderr: string; exit_code: number | null; failed: boolean }[] }[];
}

function setup(hosts: Parameters<typeof writeFleet>[1], fleetExtra = "") {
  const fleet = writeFleet(tempDir(), hosts, fleetExtra);
  const d = tempDir();
  const env = { env: { FLEET_STORE_DIR: join(d, "store"), CAPTURE_TOKEN: SECRET } };
  const run = (...extra: string[]) => runFleet(["apply", fleet, "--transport-root", join(d, "out"), ...extra], env);
  return { fleet, run };
}

describe("captured output", () => {
  it("a failing health check's stderr and exit code appear under its ↩ line, in -v and in --json", () => {
    const check = (ok: boolean) =>
      // A 2 s deadline: one attempt, as the check never passes (ADR 191 retries until healthTimeout).
      `  secretFiles = []\n  healthTimeout = 2\n  healthChecks = [ { name = "boom" command = "${ok ? "echo fine" : "echo checked >&2; echo boom >&2; exit 7"}" } ]`;
    const hosts = (ok: boolean) => [{ stack: "Web", target: "ssh://ops@web.internal", machine: "web", files: { "/etc/w": ok ? "1" : "2" }, stackExtra: check(ok).replace("  secretFiles = []\n", "") }];
    const f = setup(hosts(true));
    expect(f.run().code).toBe(0);
    writeFleet(join(f.fleet, ".."), hosts(false));
    const r = f.run();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        "↩ Web → ssh://ops@web.internal: rolled back to gen-001 (health check 'boom' failed after 1 attempt: exit 7: checked | boom)",
        "  health check 'boom' exited 7; last lines of stderr:",
        "    checked",
        "    boom",
        "",
      ].join("\n"),
    );

    const v = f.run("-v");
    expect(v.stderr).toContain("[web] health check 'boom': boom\n");
    const j = f.run("--json");
    const out = (JSON.parse(j.stdout) as JsonOut).hosts[0]!.output;
    expect(out).toEqual([{ step: "health check 'boom'", stdout: "", stderr: "checked\nboom\n", exit_code: 7, failed: true, truncated: false }]);
  });

  it("a health check's report in --json (attempts, exit code, last lines) has secret values redacted", () => {
    const f = setup([{ stack: "Web", target: "ssh://ops@web.internal", machine: "web", files: { "/etc/w": "w" } }]);
    writeTree(join(f.fleet, ".."), {
      "hosts/Web.pcl": `module Web { backend = "systemd" configFiles = [ { path = "/etc/w" content = { from_env = "CAPTURE_TOKEN" } } ]
  healthTimeout = 1 healthChecks = [ { name = "leaky" command = "echo token $(cat $FLEET_TARGET_ROOT/etc/w) >&2; exit 4" } ] }\n`,
    });
    const j = f.run("--json");
    expect(j.code).toBe(1);
    const host = (JSON.parse(j.stdout) as { hosts: { health: unknown[]; error: { message: string } }[] }).hosts[0]!;
    expect(host.error.message).toBe("health check 'leaky' failed after 1 attempt: exit 4: token [secret]; no previous generation");
    expect(host.health).toEqual([
      { name: "leaky", kind: "command", attempts: 1, passed: false, exit_code: 4, http_status: null, error: "exit 4: token [secret]", output_tail: ["token [secret]"] },
    ]);
    expect(j.stdout + j.stderr).not.toContain(SECRET);
  });

  it("hook stdout is streamed by -v and carried by --json; a failing pre hook shows its last lines under ✗", () => {
    const f = setup(
      [
        { stack: "Web", target: "ssh://ops@web.internal", machine: "web", files: { "/etc/w": "w" } },
        { stack: "Db", target: "ssh://ops@db.internal", files: { "/etc/d": "d" } },
      ],
      `  hooks = { apply = {
    pre = "echo checking $FLEET_NODE; echo secret is $CAPTURE_TOKEN; test $FLEET_NODE != Db || { echo step one; echo db is frozen >&2; exit 3; }"
    post = "echo hello-from-post-hook $FLEET_NODE"
  } }`,
    );
    // Db's stack holds CAPTURE_TOKEN as a secret, so fleet knows the value is one.
    writeTree(join(f.fleet, ".."), {
      "hosts/Db.pcl": `module Db { backend = "systemd" configFiles = [ { path = "/etc/d" content = { from_env = "CAPTURE_TOKEN" } } ] }\n`,
    });
    const plain = f.run("--dry-run");
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe("✓ Web → ssh://ops@web.internal\nfleet: 1/2 host(s) deployed (1 failed)\n");
    expect(plain.stderr).toBe(
      [
        "✗ Db → ssh://ops@db.internal: apply pre hook failed (exit 3: db is frozen)",
        "  apply pre hook exited 3; last lines of stdout:",
        "    checking Db",
        "    secret is [secret]",
        "    step one",
        "  apply pre hook exited 3; last lines of stderr:",
        "    db is frozen",
        "",
      ].join("\n"),
    );
    const v = f.run("--dry-run", "-v");
    expect(v.stderr).toContain("[web] apply post hook: hello-from-post-hook web\n");
    expect(v.stderr).toContain("[Db] apply pre hook: step one\n");
    const j = f.run("--dry-run", "--json");
    const web = (JSON.parse(j.stdout) as JsonOut).hosts.find((h) => h.stack === "Web")!;
    expect(web.output.map((o) => [o.step, o.stdout, o.failed])).toEqual([
      ["apply pre hook", "checking web\nsecret is [secret]\n", false],
      ["apply post hook", "hello-from-post-hook web\n", false],
    ]);
    // Web's stack holds no secret, but the value is a secret of the fleet: redacted everywhere.
    const db = (JSON.parse(j.stdout) as JsonOut).hosts.find((h) => h.stack === "Db")!;
    expect(db.output[0]!.stdout).toBe("checking Db\nsecret is [secret]\nstep one\n");
    expect(v.stderr).toContain("[Db] apply pre hook: secret is [secret]\n");
    for (const t of [plain.stderr, v.stderr, j.stdout, j.stderr]) expect(t).not.toContain(SECRET);
  });

  it("a failing std.shell build shows its stdout and stderr under ✗ and in --json", () => {
    const f = setup([
      {
        stack: "Web",
        target: "ssh://ops@web.internal",
        files: { "/etc/w": "w" },
        extra: `module Tool { pname = "tool" version = "1" recipe = "std.shell" command = "echo compiling step 1; echo compiling step 2; echo cc: bad thing >&2; exit 4" }`,
        stackExtra: `  services = [ { name = "tool" package = "Tool" binary = "run" } ]`,
      },
    ]);
    const r = f.run();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ Web → ssh://ops@web.internal: build of package 'Tool'");
    expect(r.stderr).toContain("exited with code 4; last lines of stdout:\n    compiling step 1\n    compiling step 2\n  last lines of stderr:\n    cc: bad thing");
    const j = f.run("--json");
    const out = (JSON.parse(j.stdout) as JsonOut).hosts[0]!.output;
    expect(out).toEqual([expect.objectContaining({ stdout: "compiling step 1\ncompiling step 2\n", stderr: "cc: bad thing\n", exit_code: 4, failed: true })]);
    const v = f.run("-v");
    expect(v.stderr).toMatch(/^\[Web\] build of package 'Tool': compiling step 2$/m);
  });
});
