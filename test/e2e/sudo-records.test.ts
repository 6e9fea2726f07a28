/**
 * The `sudo` field of a host record and the `--sudo` flag (ADR 107), through the built CLI:
 * checked like every other field, the same target cannot be reached two ways, and a hermetic run
 * is unaffected by them.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

function fleet(a: string, b: string): string {
  const dir = tempDir("fleet-sudo-records-");
  writeTree(dir, {
    "fleet.pcl": `module Fleet { hosts = [
  { file = "h/a.pcl" stack = "A" target = "ssh://deploy@a.internal"${a} }
  { file = "h/b.pcl" stack = "B" target = "ssh://deploy@a.internal"${b} }
] }
`,
    "h/a.pcl": `module A { backend = "systemd" configFiles = [ { path = "/etc/a" content = "a" } ] }\n`,
    "h/b.pcl": `module B { backend = "systemd" configFiles = [ { path = "/etc/b" content = "b" } ] }\n`,
  });
  return join(dir, "fleet.pcl");
}

describe("sudo in host records", () => {
  it("is a Bool field of the host record: fleet check accepts true and refuses a string, located", () => {
    expect(runFleet(["check", fleet(" sudo = true", " sudo = true")]).code).toBe(0);
    const bad = runFleet(["check", fleet(" sudo = true", ' sudo = "yes"')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fleet\.pcl:3:\d+: error: \[E14\] field 'sudo' of host record 2 of Fleet\.hosts must be Bool, not Str/);
  });

  it("records of one target that disagree (a field against the --sudo default) are a usage error before any host", () => {
    const f = fleet(" sudo = false", "");
    const work = tempDir();
    const r = runFleet(["apply", f, "--sudo", "--transport-root", join(work, "out"), "--store-root", join(work, "store")]);
    expect(r.stderr).toBe("fleet: error: host records for 'ssh://deploy@a.internal' disagree on sudo; give every record of that target the same 'sudo' value\n");
    expect(r.code).toBe(2);
    // Without the flag both records mean "no sudo": they agree.
    const ok = runFleet(["apply", f, "--transport-root", join(work, "out"), "--store-root", join(work, "store")]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("under --transport-root, --sudo changes nothing: same output, same target paths", () => {
    const f = fleet(" sudo = true", " sudo = true");
    const work = tempDir();
    const r = runFleet(["apply", f, "--sudo", "--transport-root", join(work, "out"), "--store-root", join(work, "store")]);
    expect(r.stdout).toBe("✓ A → ssh://deploy@a.internal\n✓ B → ssh://deploy@a.internal\nfleet: 2/2 host(s) deployed\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
