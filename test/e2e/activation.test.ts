/**
 * `--activate` / `--enable` through the built CLI with a fake `systemctl` first on PATH (the
 * local transport runs target commands with fleet's PATH). Asserts the exact call sequence.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
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

describe("activation through systemctl", () => {
  it("--activate reloads the daemon, then restarts each enabled unit in declaration order", () => {
    const { r, calls } = applyWith(["--activate"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(OK);
    expect(r.code).toBe(0);
    expect(calls).toEqual(["daemon-reload", "restart web.service", "restart worker.service"]);
  });

  it("--enable reloads the daemon, then enables each enabled unit, restarting none", () => {
    const { r, calls } = applyWith(["--enable"]);
    expect(r.code).toBe(0);
    expect(calls).toEqual(["daemon-reload", "enable web.service", "enable worker.service"]);
  });

  it("--activate --enable enables every unit before restarting any", () => {
    const { r, calls } = applyWith(["--activate", "--enable"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls).toEqual([
      "daemon-reload",
      "enable web.service",
      "enable worker.service",
      "restart web.service",
      "restart worker.service",
    ]);
  });

  it("without --activate or --enable, systemctl is never called", () => {
    const { r, calls } = applyWith([]);
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("is skipped under --dry-run", () => {
    const { r, calls } = applyWith(["--activate", "--enable"], {}, true);
    expect(r.stdout).toBe(OK);
    expect(r.code).toBe(0);
    expect(calls).toEqual([]);
  });

  it("a failing restart is a ⚠ warning on stderr; the host stays ✓, later units still restart, exit 0", () => {
    const { r, calls } = applyWith(["--activate"], { failOn: ["restart web.service"] });
    expect(r.stdout).toBe(OK);
    expect(r.stderr).toBe("⚠ AppStack → ssh://ops@app.internal: systemctl restart web.service failed (exit 1): fake systemctl: restart web.service refused\n");
    expect(r.code).toBe(0);
    expect(calls).toEqual(["daemon-reload", "restart web.service", "restart worker.service"]);
  });

  it("every failing call gets its own ⚠ line, in call order", () => {
    const { r } = applyWith(["--activate", "--enable"], { failOn: ["daemon-reload", "enable worker.service", "restart"] });
    expect(r.stdout).toBe(OK);
    expect(r.stderr).toBe(
      [
        "⚠ AppStack → ssh://ops@app.internal: systemctl daemon-reload failed (exit 1): fake systemctl: daemon-reload refused",
        "⚠ AppStack → ssh://ops@app.internal: systemctl enable worker.service failed (exit 1): fake systemctl: enable worker.service refused",
        "⚠ AppStack → ssh://ops@app.internal: systemctl restart web.service failed (exit 1): fake systemctl: restart web.service refused",
        "⚠ AppStack → ssh://ops@app.internal: systemctl restart worker.service failed (exit 1): fake systemctl: restart worker.service refused",
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(0);
  });
});
