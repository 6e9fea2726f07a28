/**
 * Flows (ADR 230–232): DAG workflows of the Fleet module, checked before anything runs, listed,
 * previewed in the seed's execution-plan format and run level by level through the CLI.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";
import { validateJsonOutput } from "../support/json-schema.js";

/** pleme-fleet README's dry-run of deploy-cluster, byte for byte. */
const SEED_PLAN = `Execution plan (dry-run):

  Level 1:
    build [build] targets: server, agent
  Level 2:
    diff [diff] targets: server, agent
      depends_on: build
  Level 3:
    confirm [shell] targets: (inherit CLI targets)
      depends_on: diff
  Level 4:
    deploy-server [deploy] targets: server
      depends_on: confirm
  Level 5:
    health-check [shell] targets: (inherit CLI targets)
      depends_on: deploy-server
  Level 6:
    deploy-agent [deploy] targets: agent
      depends_on: health-check
`;

const EXAMPLE = "examples/flows/fleet.pcl";

/** The example's hosts with a flow of our own (the example's host files are reused). */
function fleetWithFlows(flows: string): { dir: string; fleet: string } {
  const dir = copyExample("flows");
  const text = readFileSync(join(dir, "fleet.pcl"), "utf8");
  const start = text.indexOf("  flows = {");
  writeFileSync(join(dir, "fleet.pcl"), `${text.slice(0, start)}  flows = {\n${flows}\n  }\n}\n`);
  return { dir, fleet: join(dir, "fleet.pcl") };
}

describe("fleet flow", () => {
  it("--dry-run of the seed's deploy-cluster flow, written in PCL, prints the seed's six levels exactly", () => {
    const r = runFleet(["flow", "run", EXAMPLE, "deploy-cluster", "--dry-run"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(SEED_PLAN);
    const j = runFleet(["flow", "run", EXAMPLE, "deploy-cluster", "--dry-run", "--json"]);
    expect(j.code).toBe(0);
    const doc = validateJsonOutput(j.stdout);
    expect(doc["levels"]).toEqual([["build"], ["diff"], ["confirm"], ["deploy-server"], ["health-check"], ["deploy-agent"]]);
    expect((doc["steps"] as { status: string }[]).every((s) => s.status === "planned")).toBe(true);
  });

  it("list names each flow with its description; --json too", () => {
    const r = runFleet(["flow", "list", EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("deploy-cluster  Build, diff, then rolling deploy with health checks (6 step(s))\n");
    const j = runFleet(["flow", "list", EXAMPLE, "--json"]);
    expect(validateJsonOutput(j.stdout)["flows"]).toEqual([
      { name: "deploy-cluster", description: "Build, diff, then rolling deploy with health checks", steps: 6, levels: 6 },
    ]);
  });

  it("inside a level steps keep fleet-file order; a step depending on two waits for the deeper one", () => {
    const { fleet } = fleetWithFlows(`    f = { steps = [
      { id = "z" action = { type = "shell" command = "true" } }
      { id = "a" action = { type = "shell" command = "true" } dependsOn = ["z"] }
      { id = "m" action = { type = "shell" command = "true" } }
      { id = "last" action = { type = "shell" command = "true" } dependsOn = ["m", "a"] }
    ] }`);
    const r = runFleet(["flow", "run", fleet, "f", "--dry-run"]);
    expect(r.stdout).toBe(
      "Execution plan (dry-run):\n\n  Level 1:\n    z [shell] targets: (inherit CLI targets)\n    m [shell] targets: (inherit CLI targets)\n" +
        "  Level 2:\n    a [shell] targets: (inherit CLI targets)\n      depends_on: z\n  Level 3:\n    last [shell] targets: (inherit CLI targets)\n      depends_on: m, a\n",
    );
  });

  it("an unknown action type, an unknown dependsOn id and a cycle are located errors; nothing runs", () => {
    const { dir, fleet } = fleetWithFlows(`    f = { steps = [
      { id = "touch" action = { type = "shell" command = "touch ran" } }
      { id = "b" action = { type = "biuld" } dependsOn = ["touch"] }
      { id = "c" action = { type = "status" } dependsOn = ["bb"] }
      { id = "d" action = { type = "ping" } dependsOn = ["e"] }
      { id = "e" action = { type = "ping" } dependsOn = ["d"] }
    ] }`);
    for (const args of [["check", fleet], ["flow", "run", fleet, "f"]]) {
      const r = runFleet(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/fleet\.pcl:24:36: error: \[E14\] field 'type' of step action is 'biuld'; it must be one of/);
      expect(r.stderr).toContain("hint: did you mean 'build'?");
      expect(r.stderr).toMatch(/fleet\.pcl:25:60: error: \[E14\] step 'c' of flow 'f' depends on 'bb', which is not a step of that flow/);
      expect(r.stderr).toMatch(/fleet\.pcl:27:58: error: \[E14\] the steps of flow 'f' depend on each other in a cycle: d → e → d/);
    }
    const j = runFleet(["flow", "run", fleet, "f", "--json"]);
    expect(j.code).toBe(1);
    expect(validateJsonOutput(j.stdout)).toMatchObject({ command: "flow-run", ok: false, error: { kind: "input" } });
    expect(existsSync(join(dir, "ran"))).toBe(false);
    const usage = runFleet(["flow", "run", EXAMPLE, "deploy-clutser"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("fleet: error: no flow 'deploy-clutser' in this fleet; did you mean 'deploy-cluster'? (flows: deploy-cluster)\n");
  });

  it("a real run: build, apply, status and shell steps; a failing check blocks the dependent deploy, a false condition skips", () => {
    const { dir, fleet } = fleetWithFlows(`    release = {
      description = "build, deploy the server, check it, then the agent"
      steps = [
        { id = "build" action = { type = "build" } targets = ["server", "agent"] }
        { id = "deploy-server" action = { type = "apply" } targets = ["server"] dependsOn = ["build"] }
        { id = "status" action = { type = "status" } targets = ["server"] dependsOn = ["deploy-server"] }
        { id = "health-check" action = { type = "shell" command = "echo checking $FLEET_STEP; test \\"$HEALTH\\" = ok" } dependsOn = ["deploy-server"] }
        { id = "deploy-agent" action = { type = "deploy" } targets = ["@agents"] dependsOn = ["health-check"] }
        { id = "canary" action = { type = "shell" command = "touch canary-ran" } condition = { command = "test -f .canary-enabled" } dependsOn = ["build"] }
      ]
    }`);
    const out = join(tempDir(), "out");
    const env = { env: { FLEET_STORE_DIR: join(tempDir(), "store"), HEALTH: "bad" } };
    const r = runFleet(["flow", "run", fleet, "release", "--transport-root", out], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain("Level 1:\n▸ step build [build] targets: server, agent\n");
    expect(r.stdout).toContain("✓ step build\n");
    expect(r.stdout).toContain("▸ step deploy-server [apply] targets: server\n✓ ServerStack → ssh://deploy@server.example.com\nfleet: 1/1 host(s) deployed\n✓ step deploy-server\n");
    expect(r.stdout).toContain("✓ step status\n");
    expect(r.stdout).toContain("checking health-check\n");
    expect(r.stderr).toContain("✗ step health-check: exit 1\n");
    expect(r.stderr).toContain("⊘ step deploy-agent: blocked by step 'health-check' (failed)\n");
    expect(r.stderr).toContain("⊘ step canary: skipped (condition 'test -f .canary-enabled' exited 1)\n");
    expect(r.stdout).toMatch(/fleet: flow release: 3 ok, 1 failed, 1 blocked, 1 skipped\n$/);
    expect(existsSync(join(out, "deploy@server.example.com"))).toBe(true);
    expect(existsSync(join(out, "deploy@agent.example.com"))).toBe(false);
    expect(existsSync(join(dir, "canary-ran"))).toBe(false);

    // Healthy, with the canary enabled: every step runs, the agent deploys, exit 0; --json embeds each command's document.
    writeTree(dir, { ".canary-enabled": "" });
    const ok = runFleet(["flow", "run", fleet, "release", "--transport-root", out, "--json"], { env: { ...env.env, HEALTH: "ok" } });
    expect(ok.code, ok.stderr).toBe(0);
    const doc = validateJsonOutput(ok.stdout);
    expect(doc).toMatchObject({ command: "flow-run", ok: true, flow: "release", summary: { total: 6, ok: 6, failed: 0, blocked: 0, skipped: 0 } });
    const steps = doc["steps"] as { id: string; status: string; result: Record<string, unknown> | null; stdout: string | null }[];
    const byId = new Map(steps.map((s) => [s.id, s]));
    for (const id of ["build", "deploy-server", "status", "deploy-agent"]) validateJsonOutput(`${JSON.stringify(byId.get(id)!.result)}\n`);
    expect(byId.get("deploy-agent")!.result).toMatchObject({ command: "apply", ok: true });
    expect(byId.get("health-check")!.stdout).toBe("checking health-check\n");
    expect(existsSync(join(out, "deploy@agent.example.com"))).toBe(true);
    expect(existsSync(join(dir, "canary-ran"))).toBe(true);
  });

  it("the deploy-cluster example runs hermetically: the confirm step reads the terminal, its ssh health check fails and blocks the agents", () => {
    const dir = copyExample("flows");
    // No network in a test: the health check's ssh is a stand-in that cannot reach the server.
    writeTree(dir, { "no-ssh/ssh": "#!/bin/sh\necho \"ssh: Could not resolve hostname $1\" >&2\nexit 255\n" });
    chmodSync(join(dir, "no-ssh/ssh"), 0o755);
    const out = join(tempDir(), "out");
    const r = runFleet(["flow", "run", join(dir, "fleet.pcl"), "deploy-cluster", "--transport-root", out], {
      env: { FLEET_STORE_DIR: join(tempDir(), "store"), PATH: `${join(dir, "no-ssh")}:${process.env["PATH"] ?? ""}` },
      input: "\n",
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain("Review the diff above. Press enter or Ctrl-C to abort.\n✓ step confirm\n");
    expect(r.stdout).toContain("+role = server\n");
    expect(r.stdout).toContain("✓ step deploy-server\n");
    expect(r.stderr).toContain("ssh: Could not resolve hostname root@server\n✗ step health-check: exit 255\n");
    expect(r.stderr).toContain("⊘ step deploy-agent: blocked by step 'health-check' (failed)\n");
    expect(r.stdout).toMatch(/fleet: flow deploy-cluster: 4 ok, 1 failed, 1 blocked, 0 skipped\n$/);
  });
});
