/**
 * `--activate` / `--enable` under `--transport-root` through the built CLI. Hermetic means
 * hermetic (issue 10): a `systemctl` first on PATH that records its calls records none, and the
 * run says, in one `⚠` line per host, exactly which calls a real host would get, in order. The
 * calls themselves on a target are pinned in test/deploy/post-deploy.test.ts and over SSH.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { FLEET_BIN, REPO_ROOT, runFleet } from "../support/cli.js";
import { installFakeSystemctl, type FakeSystemctlOptions } from "../support/fake-systemctl.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

/** One host with three services: `web` and `worker` enabled, `batch` with enable = false. */
function activationFleet(): string {
  const dir = tempDir("fleet-activation-");
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [ { file = "hosts/app.pcl" stack = "AppStack" target = "ssh://ops@app.internal" } ]
}
`,
    "hosts/app.pcl": `module Bin { pname = "bin" version = "1" recipe = "std.files"
  files = [ { path = "bin/run" content = "#!/bin/sh\\n" mode = "0755" } ] }
module AppStack {
  backend = "systemd"
  services = [
    { name = "web" package = "Bin" binary = "run" }
    { name = "worker" package = "Bin" binary = "run" dependsOn = ["web"] }
    { name = "batch" package = "Bin" binary = "run" enable = false }
  ]
}
`,
  });
  return join(dir, "fleet.pcl");
}

function applyWith(flags: readonly string[], fake: FakeSystemctlOptions = {}, dryRun = false) {
  const systemctl = installFakeSystemctl(fake);
  const out = join(tempDir(), "out");
  const args = ["apply", activationFleet(), "--transport-root", out, "--store-root", join(tempDir(), "store"), ...flags];
  const r = runFleet(dryRun ? [...args, "--dry-run"] : args, { env: systemctl.env() });
  return { r, calls: systemctl.calls() };
}

const OK = "✓ AppStack → ssh://ops@app.internal\nfleet: 1/1 host(s) deployed\n";
const NOTE = "⚠ AppStack → ssh://ops@app.internal: not activated: --transport-root runs nothing on this machine; a real host would run ";

describe("activation under --transport-root runs nothing on this machine", () => {
  it("--activate reports daemon-reload, then (first activation) a start of each enabled unit in declaration order", () => {
    const { r, calls } = applyWith(["--activate"]);
    expect(r.stdout).toBe(OK);
    expect(r.stderr).toBe(`${NOTE}systemctl daemon-reload; systemctl start web.service worker.service\n`);
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("--enable reports daemon-reload, then an enable of each enabled unit, restarting none", () => {
    const { r, calls } = applyWith(["--enable"]);
    expect(r.stderr).toBe(`${NOTE}systemctl daemon-reload; systemctl enable web.service worker.service\n`);
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("--activate --enable reports every enable before any start, and calls nothing", () => {
    const { r, calls } = applyWith(["--activate", "--enable"]);
    expect(r.stdout).toBe(OK);
    expect(r.stderr).toBe(`${NOTE}systemctl daemon-reload; systemctl enable web.service worker.service; systemctl start web.service worker.service\n`);
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("touches nothing outside the host's folder", () => {
    const systemctl = installFakeSystemctl();
    const work = tempDir();
    const out = join(work, "out");
    const r = runFleet(["apply", activationFleet(), "--transport-root", out, "--store-root", join(work, "store"), "--activate", "--enable"], {
      env: systemctl.env(),
    });
    expect(r.code).toBe(0);
    expect(readdirSync(out)).toEqual(["ops@app.internal"]);
    expect(readdirSync(work).sort()).toEqual(["out", "store"]);
    expect(systemctl.calls()).toEqual([]);
  });

  it("without --activate or --enable, nothing is reported", () => {
    const { r, calls } = applyWith([]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("is skipped under --dry-run", () => {
    const { r, calls } = applyWith(["--activate", "--enable"], {}, true);
    expect(r.stdout).toBe(OK);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("the per-host activation line (on a terminal or with -v)", () => {
  it("says under the host's line what a real host would get, for apply and rollback --activate; without -v off a TTY the report keeps its bytes", () => {
    const systemctl = installFakeSystemctl();
    const fleet = activationFleet();
    const work = tempDir();
    const run = (cmd: string, ...flags: string[]) =>
      runFleet([cmd, fleet, "--transport-root", join(work, "out"), "--store-root", join(work, "store"), ...flags], { env: systemctl.env() });
    const line = (l: string) => `✓ AppStack → ssh://ops@app.internal\n  activation: ${l}\nfleet: 1/1 host(s) deployed\n`;

    expect(run("apply", "--activate", "--enable", "-v").stdout).toBe(
      line("would start web.service, worker.service; would enable web.service, worker.service"),
    );
    expect(run("apply", "--activate", "-v").stdout).toBe(line("2 unchanged"));
    expect(run("apply", "--activate").stdout).toBe(OK);

    // worker leaves the stack: stopped and disabled; the rollback brings it back.
    const host = join(fleet, "..", "hosts/app.pcl");
    writeFileSync(host, readFileSync(host, "utf8").replace(/\n    \{ name = "worker"[^\n]*/, ""));
    const leave = run("apply", "--activate", "-v");
    expect(leave.stdout).toBe(line("would stop worker.service; would disable worker.service; 1 unchanged"));
    const back = run("rollback", "--activate", "-v");
    expect(back.stdout).toBe("↩ AppStack → gen-003 (was gen-004); 1 restored, 0 removed\n  activation: would start worker.service; 1 unchanged\nfleet: 1/1 host(s) rolled back\n");
    expect(back.code).toBe(0);
    expect(systemctl.calls()).toEqual([]);
  });

  it("is printed on a terminal without -v", () => {
    const systemctl = installFakeSystemctl();
    const work = tempDir();
    const args = ["apply", activationFleet(), "--transport-root", join(work, "out"), "--store-root", join(work, "store"), "--activate"];
    const cmd = [process.execPath, FLEET_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    // util-linux `script` gives the CLI a pseudo-terminal; everything it prints comes back on stdout.
    const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, ...systemctl.env(), NO_COLOR: "1", TERM: "dumb" } });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\r/g, "")).toContain("✓ AppStack → ssh://ops@app.internal\n  activation: would start web.service, worker.service\n");
    expect(systemctl.calls()).toEqual([]);
  });
});
