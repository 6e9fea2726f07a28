import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

describe("fleet check / eval / why", () => {
  it("accepts the scenarios example", () => {
    expect(runFleet(["check", "examples/scenarios"])).toMatchObject({ code: 0, stdout: "ok\n", stderr: "" });
    expect(runFleet(["check", "examples/scenarios", "--scenario", "Prod", "--scenario", "Staging"]).code).toBe(0);
  });

  it("exits 2 for a missing file, an unknown flag or an unknown scenario", () => {
    expect(runFleet(["check", "no/such.pcl"]).code).toBe(2);
    expect(runFleet(["check", "examples/scenarios", "--bogus"]).code).toBe(2);
    const r = runFleet(["eval", "examples/scenarios", "--scenario", "Nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown scenario 'Nope'");
  });

  it("prints canonical JSON with references unresolved", () => {
    const r = runFleet(["eval", "examples/scenarios/web.pcl", "--json", "--scenario", "Prod"]);
    expect(r.code).toBe(0);
    const v = (JSON.parse(r.stdout) as { modules: unknown }).modules as { Settings: { port: number }; WebStack: { services: { environment: unknown }[] } };
    expect(v.Settings.port).toBe(443);
    expect(v.WebStack.services[0]?.environment).toEqual({ PORT: "443", TOKEN: { from_env: "API_TOKEN" } });
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(runFleet(["eval", "examples/scenarios/web.pcl"]).stdout).toContain("Settings.port = 8080\n");
  });

  it("explains a field, winner last", () => {
    const r = runFleet(["why", "examples/scenarios/web.pcl", "Settings.port", "--scenario", "Prod"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Settings.port = 443");
    expect(lines[lines.length - 1]).toMatch(/^ {2}examples\/scenarios\/web\.pcl:\d+:\d+: scenario Prod, priority 10: 443 {2}\(winner\)$/);
  });

  it("reports every diagnostic of a directory program on stderr, exit 1", () => {
    const dir = tempDir("fleet-check-");
    writeFileSync(join(dir, "a.pcl"), "module A { x = B.y }\n");
    writeFileSync(join(dir, "b.pcl"), "module B { z = 1 }\nmodule C { w = [1, \"a\"] }\n");
    const r = runFleet(["check", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.match(/error: \[E\d+\]/g)).toEqual(["error: [E2]", "error: [E1]"]);
  });
});
