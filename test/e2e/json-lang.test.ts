import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir } from "../support/fleet-fixture.js";

describe("--json on check and why", () => {
  it("check --json reports ok, or every located diagnostic, with the same exit codes", () => {
    const ok = runFleet(["check", "examples/quickstart/fleet.pcl", "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ format_version: 1, command: "check", ok: true, diagnostics: [] });
    const file = join(tempDir(), "bad.pcl");
    writeFileSync(file, `module A {\n  x = 1\n  y = "a" == 1\n}\n`);
    const bad = runFleet(["check", file, "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("");
    const doc = JSON.parse(bad.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.diagnostics).toEqual([expect.objectContaining({ code: "E1", file, line: 3 })]);
    expect(doc.diagnostics[0].message).not.toMatch(/^\[E1\]/);
  });

  it("why --json gives the value and the contribution chain, winner last", () => {
    const r = runFleet(["why", "examples/scenarios/web.pcl", "Settings.port", "--scenario", "Prod", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.value).toBe(443);
    expect(doc.chain.map((c: { origin: string }) => c.origin)).toEqual(["base", "scenario Prod"]);
    expect(doc.chain[1].at).toMatch(/^examples\/scenarios\/web\.pcl:\d+:\d+$/);
  });
});
