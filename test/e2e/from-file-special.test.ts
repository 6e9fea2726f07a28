/**
 * `from_file` reads regular files only, of at most 1 MiB (issue 12, item 8; ADR 123): a device
 * or a named pipe used to be read until memory ran out, or blocked forever, even under --dry-run.
 * Each is now refused for that host with the reason, and nothing is written to it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

function fleetReading(dir: string, secret: string): string {
  writeTree(dir, {
    "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "S" target = "ssh://ops@h.internal" } ] }\n`,
    "h.pcl": `module S { backend = "systemd" configFiles = [ { path = "/etc/s" content = { from_file = "${secret}" } } ] }\n`,
  });
  return join(dir, "fleet.pcl");
}

function applyDry(fleet: string, out: string): ReturnType<typeof runFleet> {
  // A hang would be the bug: the timeout turns it into a failed expectation, not a stuck suite.
  return runFleet(["apply", fleet, "--dry-run", "--transport-root", out], { timeout: 20_000 });
}

describe("from_file on something that is not a regular file", () => {
  const cases: [string, (dir: string) => string, string][] = [
    ["/dev/zero (a character device)", () => "/dev/zero", "it is a character device, not a regular file"],
    ["a named pipe with no writer", (dir) => {
      const p = join(dir, "pipe");
      execFileSync("mkfifo", [p]);
      return p;
    }, "it is a named pipe (FIFO), not a regular file"],
    ["a directory", (dir) => dir, "it is a directory, not a regular file"],
    ["a file over 1 MiB", (dir) => {
      const p = join(dir, "big");
      writeFileSync(p, "");
      truncateSync(p, 1024 * 1024 + 1);
      return p;
    }, "it holds 1048577 bytes, more than the 1048576 a secret file may"],
  ];
  for (const [what, make, why] of cases) {
    it(`${what}: the host fails with the reason, nothing is written`, () => {
      const dir = tempDir("fleet-from-file-special-");
      const secret = make(dir);
      const out = join(dir, "out");
      const r = applyDry(fleetReading(dir, secret), out);
      expect(r.stderr).toBe(`✗ S → ssh://ops@h.internal: [E11] secret from_file:${secret} cannot be read: ${why}\n`);
      expect(r.code).toBe(1);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("a regular file of exactly 1 MiB is still read", () => {
    const dir = tempDir("fleet-from-file-cap-");
    const secret = join(dir, "cap");
    writeFileSync(secret, "k".repeat(1024 * 1024));
    const out = join(dir, "out");
    const r = applyDry(fleetReading(dir, secret), out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(join(out, "ops@h.internal/etc/s"))).toBe(true);
  });
});
