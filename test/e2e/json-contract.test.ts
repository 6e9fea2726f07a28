/**
 * The --json contract (ADR 140): every command prints exactly one document on stdout, on success
 * and on every failure, valid against schemas/<command>.schema.json (runFleet validates each one;
 * this file makes sure every command's success and failure shapes are produced at least once).
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerCommands } from "../../src/cli/commands/index.js";
import { runFleet, type CliResult } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";
import { SCHEMA_DIR, validateJsonOutput } from "../support/json-schema.js";

function doc(r: CliResult): Record<string, unknown> {
  return validateJsonOutput(r.stdout);
}

function expectError(r: CliResult, command: string | null, kind: string, exit: number): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(exit);
  const d = doc(r);
  expect(d).toMatchObject({ format_version: 1, command, ok: false, error: { kind, exit_code: exit } });
  return d;
}

describe("the --json contract", () => {
  it("every command that takes --json has a schema, and every schema a command", () => {
    const program = new Command("fleet");
    registerCommands(program);
    // A command with subcommands (`flow run`) names its documents `flow-run`.
    const all = program.commands.flatMap((c) => [c, ...c.commands.map((s) => ({ options: s.options, name: () => `${c.name()}-${s.name()}` }))]);
    const withJson = all.filter((c) => c.options.some((o) => o.long === "--json")).map((c) => c.name()).sort();
    expect(withJson.length).toBeGreaterThan(5);
    const schemas = readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith(".schema.json"))
      .map((f) => f.replace(/\.schema\.json$/, ""))
      .filter((n) => n !== "common" && n !== "error")
      .sort();
    expect(schemas).toEqual(withJson);
  });

  it("language commands: success, input errors and usage errors are each one valid document", () => {
    const bad = join(tempDir(), "bad.pcl");
    writeFileSync(bad, `module A {\n  x = 1\n  y = "a" == 1\n}\n`);
    const web = "examples/scenarios/web.pcl";
    const store = join(tempDir(), "store");

    expect(doc(runFleet(["check", web, "--json"]))).toMatchObject({ command: "check", ok: true });
    expect(doc(runFleet(["eval", web, "--json"]))).toMatchObject({ command: "eval", ok: true });
    expect(doc(runFleet(["why", web, "Settings.port", "--json"]))).toMatchObject({ command: "why", ok: true, field: "Settings.port" });
    expect(doc(runFleet(["build", "examples/quickstart/hosts/web.pcl", "--store-root", store, "--dry-run", "--json"]))).toMatchObject({ command: "build", ok: true });

    const checked = runFleet(["check", bad, "--json"]);
    expect(checked.code).toBe(1);
    expect(doc(checked)).toMatchObject({ command: "check", ok: false, diagnostics: [{ code: "E1", file: bad, line: 3 }] });
    for (const cmd of ["eval", "build"]) {
      const d = expectError(runFleet([cmd, bad, "--json", ...(cmd === "build" ? ["--store-root", store] : [])]), cmd, "input", 1);
      expect(d["diagnostics"]).toEqual([expect.objectContaining({ code: "E1", file: bad, line: 3, message: expect.not.stringMatching(/^\[/) as string })]);
    }
    expectError(runFleet(["why", bad, "A.x", "--json"]), "why", "input", 1);
    expectError(runFleet(["why", web, "Settings.nope", "--json"]), "why", "failed", 1);
    expectError(runFleet(["eval", web, "--json", "--scenario", "Nope"]), "eval", "usage", 2);
    expectError(runFleet(["check", "/nonexistent.pcl", "--json"]), "check", "usage", 2);
    expectError(runFleet(["check", web, "--json", "--bogus"]), "check", "usage", 2);
    expectError(runFleet(["nosuch", "--json"]), null, "usage", 2);
  });

  it("fleet commands: success, per-host failures, refusals and usage errors are each one valid document", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    const out = join(tempDir(), "out");
    const t = ["--transport-root", out];
    const env = { env: { FLEET_STORE_DIR: join(tempDir(), "store") } };
    const run = (...a: string[]) => runFleet([...a, "--json"], env);

    expect(doc(run("plan", fleet, ...t))).toMatchObject({ command: "plan", ok: true });
    expect(doc(run("status", fleet, ...t))).toMatchObject({ command: "status", ok: true });
    const rbNone = run("rollback", fleet, ...t);
    expect(rbNone.code).toBe(1);
    expect(doc(rbNone)).toMatchObject({ command: "rollback", ok: false });
    expect(doc(run("apply", fleet, ...t, "--dry-run"))).toMatchObject({ command: "apply", ok: true });
    expect(doc(run("apply", fleet, ...t, "--dry-run"))).toMatchObject({ command: "apply", ok: true });
    expect(doc(run("verify", fleet, ...t))).toMatchObject({ command: "verify", ok: true });
    expect(doc(run("rollback", fleet, ...t))).toMatchObject({ command: "rollback", ok: true });

    expectError(run("apply", fleet, ...t, "--expect-plan", "abc123"), "apply", "usage", 2);
    expectError(run("apply", fleet, ...t, "--expect-plan", "0".repeat(64)), "apply", "failed", 1);
    expectError(run("apply", fleet, ...t, "--jobs", "0"), "apply", "usage", 2);
    expectError(run("plan", fleet, ...t, "--only", "nosuch"), "plan", "usage", 2);
    expectError(run("status", join(dir, "missing.pcl"), ...t), "status", "usage", 2);

    // A host file with a type error: apply fails that host (a result document), plan says ok:false.
    writeTree(dir, { "hosts/web.pcl": `module WebStack {\n  backend = "systemd"\n  x = "a" == 1\n}\n` });
    const applied = run("apply", fleet, ...t, "--dry-run");
    expect(applied.code).toBe(1);
    const a = doc(applied) as { hosts: { status: string; error: { code: string; file: string } }[] };
    expect(a.hosts.find((h) => h.status === "failed")!.error).toMatchObject({ code: "E1", file: "hosts/web.pcl" });
    const planned = run("plan", fleet, ...t);
    expect(planned.code).toBe(1);
    expect(doc(planned)).toMatchObject({ ok: false });
  });
});
