/**
 * `fleet diff` (ADR 233): per host the store paths apply would add and remove, by base name with
 * sizes, and a unified diff of each changed non-secret file; secret files are named only. Also
 * the hooks of `build` and `diff` (ADR 234), hermetically.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet, writeTree } from "../support/fleet-fixture.js";
import { validateJsonOutput } from "../support/json-schema.js";

const T = "ssh://ops@web.internal";

/** A one-host fleet: a package of `version`, a config file listening on `listen`, a secret file. */
function writeWeb(dir: string, listen: string, version: string): string {
  writeTree(dir, {
    "fleet.pcl": `module Fleet {\n  hosts = [ { file = "hosts/web.pcl" stack = "Web" target = "${T}" machine = "web" } ]\n}\n`,
    "hosts/web.pcl": `module WebPkg { pname = "web" version = "${version}" recipe = "std.files"
  files = [ { path = "bin/run" content = "#!/bin/sh\\necho ${version}\\n" mode = "0755" } ] }
module Web {
  backend = "systemd"
  storeModules = ["WebPkg"]
  configFiles = [
    { path = "/etc/web/site.conf" content = "listen ${listen}\\nworkers 4\\n" }
    { path = "/etc/web/token" content = { from_env = "TOKEN" } }
  ]
}
`,
  });
  return join(dir, "fleet.pcl");
}

describe("fleet diff", () => {
  it("names added and removed store paths with sizes, diffs changed files, never shows a secret", () => {
    const dir = tempDir();
    const out = join(tempDir(), "out");
    const store = join(tempDir(), "store");
    const env = { env: { FLEET_STORE_DIR: store, TOKEN: "s3cret-one" } };
    const fleet = writeWeb(dir, "8080", "1.0");
    expect(runFleet(["apply", fleet, "--transport-root", out], env).code).toBe(0);

    writeWeb(dir, "9090", "2.0");
    const r = runFleet(["diff", fleet, "--transport-root", out], { env: { ...env.env, TOKEN: "s3cret-two" } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`Web → ${T} (now gen-001)`);
    // The new package is not built yet (size unknown); the old one is in the local store.
    expect(lines[1]).toMatch(/^ {2}\+ [0-9a-z]{32}-web-2\.0 \(size unknown\)$/);
    expect(lines[2]).toMatch(/^ {2}- [0-9a-z]{32}-web-1\.0 \(\d+ B\)$/);
    expect(r.stdout).toContain("--- /etc/web/site.conf\tcurrent\n+++ /etc/web/site.conf\tplanned\n@@ -1,2 +1,2 @@\n-listen 8080\n+listen 9090\n workers 4\n");
    expect(r.stdout).toContain("  /etc/web/token: changed, not shown (secret)\n");
    expect(r.stdout).not.toContain("s3cret");
    expect(r.stdout).toMatch(/fleet: 1\/1 host\(s\) would change\n$/);

    const j = runFleet(["diff", fleet, "--transport-root", out, "--json"], { env: { ...env.env, TOKEN: "s3cret-two" } });
    expect(j.stdout).not.toContain("s3cret");
    const doc = validateJsonOutput(j.stdout);
    const host = (doc["hosts"] as Record<string, unknown>[])[0]!;
    expect(host).toMatchObject({ stack: "Web", status: "ready", generation: 1 });
    const files = host["files"] as { path: string; secret: boolean; diff: string | null }[];
    expect(files.find((f) => f.path === "/etc/web/token")).toMatchObject({ secret: true, diff: null });
    expect(files.find((f) => f.path === "/etc/web/site.conf")!.diff).toContain("+listen 9090\n");

    // plan --diff shows the same file diff: one computation for both.
    const plan = runFleet(["plan", fleet, "--transport-root", out, "--diff"], { env: { ...env.env, TOKEN: "s3cret-two" } });
    expect(plan.stdout).toContain("--- /etc/web/site.conf\tcurrent\n+++ /etc/web/site.conf\tplanned\n@@ -1,2 +1,2 @@\n-listen 8080\n+listen 9090\n workers 4\n");

    // After applying, nothing is left to show.
    expect(runFleet(["apply", fleet, "--transport-root", out], { env: { ...env.env, TOKEN: "s3cret-two" } }).code).toBe(0);
    const none = runFleet(["diff", fleet, "--transport-root", out], { env: { ...env.env, TOKEN: "s3cret-two" } });
    expect(none.stdout).toBe(`Web → ${T} (now gen-002)\n  (no change)\nfleet: 0/1 host(s) would change\n`);
  });

  it("build and diff hooks: a failing pre hook fails that host's operation, a failing post hook warns", () => {
    const dir = tempDir();
    const log = join(tempDir(), "hooks.log");
    const out = join(tempDir(), "out");
    const fleet = writeFleet(
      dir,
      [
        { stack: "Web", target: T, machine: "web", service: true },
        { stack: "Db", target: "ssh://ops@db.internal", machine: "db", service: true },
      ],
      `  hooks = {
    build = { pre = "echo build-pre $FLEET_NODE $FLEET_HOST $FLEET_USER >> ${log}; test $FLEET_NODE != db || { echo no db builds >&2; exit 4; }" post = "echo build-post $FLEET_NODE >> ${log}" }
    diff = { pre = "echo diff-pre $FLEET_NODE >> ${log}" post = "echo diff post failed >&2; exit 1" }
  }`,
    );
    const env = { env: { FLEET_STORE_DIR: join(tempDir(), "store") } };
    const b = runFleet(["build", fleet, "--jobs", "1"], env);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/^✓ Web → ssh:\/\/ops@web\.internal: 1 store path\(s\), 1 built\nfleet: 1\/2 host\(s\) built\n$/);
    expect(b.stderr).toBe(
      "✗ Db → ssh://ops@db.internal: build pre hook failed (exit 4: no db builds)\n  build pre hook exited 4; last lines of stderr:\n    no db builds\n",
    );
    const d = runFleet(["diff", fleet, "--transport-root", out, "--only", "web"], env);
    expect(d.code).toBe(0);
    expect(d.stderr).toBe(`⚠ Web → ${T}: diff post hook failed (exit 1: diff post failed)\n  diff post hook exited 1; last lines of stderr:\n    diff post failed\n`);
    expect(readFileSync(log, "utf8")).toBe("build-pre web web.internal ops\nbuild-post web\nbuild-pre db db.internal ops\ndiff-pre web\n");
    const j = runFleet(["build", fleet, "--json", "--only", "web"], env);
    expect(validateJsonOutput(j.stdout)).toMatchObject({ command: "build", ok: true, hosts: [{ stack: "Web", status: "ok", built: [] }] });
  });

  it("an unknown hook operation is a located error", () => {
    const fleet = writeFleet(tempDir(), [{ stack: "Web", target: T }], `  hooks = { deplyo = { pre = "true" } }`);
    const r = runFleet(["check", fleet]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fleet\.pcl:\d+:\d+: error: \[E14\] unknown field 'deplyo' on hooks record/);
  });
});
