import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runFleet } from "../support/cli.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";

/** Usage errors exit 2 and are detected before any host is contacted (SPEC §7). */
describe("usage errors", () => {
  it.each([
    [["frobnicate"], /unknown command/],
    [["apply", "/no/such/fleet.pcl", "--dry-run", "--transport-root", "/tmp/x"], /no such file/],
    [["apply", "examples/quickstart/fleet.pcl", "--jobs", "0", "--dry-run", "--transport-root", "/tmp/x"], /--jobs/],
    [["apply", "examples/quickstart/fleet.pcl", "--store-root", "relative/store", "--dry-run", "--transport-root", "/tmp/x"], /not an absolute path/],
    [["apply", "examples/quickstart/fleet.pcl", "--key", "/no/such/key"], /--key/],
    [["check", "/no/such/file.pcl"], /cannot read/],
  ])("fleet %j exits 2", (args, message) => {
    const r = runFleet(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe("");
  });

  it("a malformed ssh target is a usage error before any host is contacted", () => {
    const fleet = writeFleet(tempDir(), [
      { stack: "A", target: "ssh://ops@good.test", files: { "/a": "a" } },
      { stack: "B", target: "ftp://nope", files: { "/b": "b" } },
    ]);
    const r = runFleet(["apply", fleet, "--connect-timeout", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("malformed target 'ftp://nope'");
    expect(r.stdout).toBe("");
  });

  it("--help works for every command", () => {
    for (const c of ["apply", "rollback", "plan", "status", "verify", "check", "eval", "why", "build"]) {
      const r = runFleet([c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: fleet ${c}`);
    }
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(runFleet(["--version"]).stdout).toBe(`${version}\n`);
  });
});
