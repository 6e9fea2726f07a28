/**
 * Scenarios through `fleet apply` (SPEC §1.4, §6), and every example under examples/ checked and
 * dry-run applied the way its header comment tells a reader to.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runFleet } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";

/** The fleet file defines a scenario over Fleet.globals; host `a` defines the same name and one more. */
function scenarioFleet(): string {
  const dir = tempDir("fleet-scenario-");
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [
    { file = "hosts/a.pcl" stack = "AStack" target = "ssh://ops@a.internal" machine = "a" }
    { file = "hosts/b.pcl" stack = "BStack" target = "ssh://ops@b.internal" machine = "b" }
  ]
  globals = { env = "prod" }
}
scenario Staging { Fleet.globals.env = "staging" }
`,
    "hosts/a.pcl": `module AStack { backend = "systemd" configFiles = [ { path = "/etc/a" content = "env \${Fleet.globals.env} level \${Log.level}\\n" } ] }
module Log { level = "warn" }
scenario Staging { Log.level = "debug" }
scenario Verbose { Log.level = Setting<Str>("trace", priority = 20) }
`,
    "hosts/b.pcl": `module BStack { backend = "systemd" configFiles = [ { path = "/etc/b" content = "env \${Fleet.globals.env}\\n" } ] }\n`,
  });
  return join(dir, "fleet.pcl");
}

function applyScenarios(fleet: string, scenarios: readonly string[]): { code: number; stderr: string; a: string; b: string; out: string } {
  const out = join(tempDir(), "out");
  const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, ...scenarios.flatMap((s) => ["--scenario", s])]);
  const read = (p: string): string => (existsSync(join(out, p)) ? readFileSync(join(out, p), "utf8") : "");
  return { code: r.code, stderr: r.stderr, a: read("ops@a.internal/etc/a"), b: read("ops@b.internal/etc/b"), out };
}

describe("fleet apply --scenario", () => {
  it("without a scenario uses the base values", () => {
    const r = applyScenarios(scenarioFleet(), []);
    expect(r.code).toBe(0);
    expect([r.a, r.b]).toEqual(["env prod level warn\n", "env prod\n"]);
  });

  it("applies the scenario in every evaluation that defines it: the fleet file and each host file", () => {
    const r = applyScenarios(scenarioFleet(), ["Staging"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The fleet file's Staging reaches both hosts through Fleet.globals; a's own Staging applies too.
    expect([r.a, r.b]).toEqual(["env staging level debug\n", "env staging\n"]);
  });

  it("a scenario defined by one host file only changes that host; the others evaluate as usual", () => {
    const r = applyScenarios(scenarioFleet(), ["Verbose"]);
    expect(r.code).toBe(0);
    expect([r.a, r.b]).toEqual(["env prod level trace\n", "env prod\n"]);
  });

  it("several scenarios give the same result in any flag order (priorities decide)", () => {
    const one = applyScenarios(scenarioFleet(), ["Verbose", "Staging"]);
    const two = applyScenarios(scenarioFleet(), ["Staging", "Verbose"]);
    expect(one.code).toBe(0);
    expect([one.a, one.b]).toEqual(["env staging level trace\n", "env staging\n"]);
    expect([two.a, two.b]).toEqual([one.a, one.b]);
  });

  it("an unknown scenario is a usage error (exit 2) before anything is written", () => {
    const r = applyScenarios(scenarioFleet(), ["Staging", "Nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'Nope'");
    expect(existsSync(r.out)).toBe(false);
  });

  it("the artifacts example's Staging scenario shortens the zone TTL only", () => {
    const dir = copyExample("artifacts");
    const out = join(tempDir(), "out");
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", out, "--tls-certs", join(dir, "certs"), "--scenario", "Staging"]);
    expect(r.code).toBe(0);
    const zone = readFileSync(join(out, "deploy@ns1.example.test/etc/nsd/zones/example.test.zone"), "utf8");
    expect(zone).toMatch(/^\$ORIGIN example\.test\.\n\$TTL 60\n/);
    const check = runFleet(["check", join(dir, "fleet.pcl"), "--scenario", "Staging"]);
    expect(check.stdout).toBe("ok\n");
    expect(check.code).toBe(0);
  });
});

/** Every `.pcl` file directly in an example directory that defines `module Fleet`. */
function exampleFleets(): { name: string; fleet: string | undefined }[] {
  const root = join(REPO_ROOT, "examples");
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((name) => {
      const fleet = readdirSync(join(root, name))
        .filter((f) => f.endsWith(".pcl"))
        .find((f) => /^\s*module\s+Fleet\b/m.test(readFileSync(join(root, name, f), "utf8")));
      return { name, fleet: fleet === undefined ? undefined : `examples/${name}/${fleet}` };
    });
}

/**
 * What the examples' header comments ask a reader to provide: the secrets example's env var,
 * vault export and session-key file, and the certificate directories. The file lives at a fixed
 * path because the example names it; it is written atomically with fixed bytes.
 */
function readerInputs(name: string): { args: string[]; env: Record<string, string> } {
  if (name === "secrets") {
    mkdirSync("/tmp/fleet-secrets", { recursive: true });
    const tmp = join("/tmp/fleet-secrets", `.session-key.${process.pid}`);
    writeFileSync(tmp, "session-key\n");
    renameSync(tmp, "/tmp/fleet-secrets/session-key");
    return { args: ["--vault-secrets", "examples/secrets/vault.example.json"], env: { API_TOKEN: "token" } };
  }
  if (existsSync(join(REPO_ROOT, "examples", name, "certs"))) return { args: ["--tls-certs", `examples/${name}/certs`], env: {} };
  return { args: [], env: {} };
}

describe("every example", () => {
  const examples = exampleFleets();

  it("is found (the list is not empty)", () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(["artifacts", "quickstart", "secrets", "tls"]));
  });

  for (const { name, fleet } of examples) {
    it(`${name}: fleet check says ok`, () => {
      const r = runFleet(["check", fleet ?? `examples/${name}`]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("ok\n");
      expect(r.code).toBe(0);
    });
    if (fleet === undefined) continue;
    it(`${name}: the README-style dry-run apply deploys every host`, () => {
      const { args, env } = readerInputs(name);
      const out = join(tempDir(), "out");
      const r = runFleet(["apply", fleet, "--dry-run", "--transport-root", out, ...args], { env });
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^fleet: (\d+)\/\1 host\(s\) deployed$/m);
      expect(r.code).toBe(0);
    });
  }

  it("the whole examples/ directory checks ok in one run", () => {
    const r = runFleet(["check", "examples"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
    expect(r.code).toBe(0);
  });

  it("a relative --transport-root is taken from the working directory", () => {
    const cwd = tempDir("fleet-cwd-");
    const r = runFleet(["apply", join(REPO_ROOT, "examples/quickstart/fleet.pcl"), "--dry-run", "--transport-root", "out"], { cwd });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(join(cwd, "out")).sort()).toEqual(["deploy@db.example.com", "deploy@web.example.com"]);
  });
});
