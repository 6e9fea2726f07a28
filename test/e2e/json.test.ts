import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { copyExample, tempDir, writeTree } from "../support/fleet-fixture.js";

const PLANTED = "s3cr3t-PLANTED-v4lue";

interface JsonHost {
  stack: string;
  target: string;
  machine: string | null;
  status: string;
  generation: number | null;
  previous: number | null;
  error: { code: string | null; message: string } | null;
  [k: string]: unknown;
}
interface JsonDoc {
  command: string;
  hosts: JsonHost[];
  summary: Record<string, number>;
  format_version: number;
  ok: boolean;
  error?: { kind: string; exit_code: number; code: string | null; message: string };
  diagnostics?: { code: string | null; message: string; file: string | null; line: number | null }[];
}

/** stdout must be exactly one canonical JSON document: parse it and re-serialise it identically. */
function parse(r: CliResult): JsonDoc {
  const doc = JSON.parse(r.stdout) as JsonDoc;
  expect(r.stdout.endsWith("}\n")).toBe(true);
  expect(r.stdout).not.toMatch(/^[✓✗↩⊘]|^fleet:/m);
  return doc;
}

/** Paths (relative to root) of every file under dir holding `needle`. */
function filesContaining(root: string, needle: string, rel = ""): string[] {
  return readdirSync(join(root, rel)).flatMap((name) => {
    const r = `${rel}/${name}`;
    if (statSync(join(root, r)).isDirectory()) return filesContaining(root, needle, r);
    return readFileSync(join(root, r), "utf8").includes(needle) ? [r] : [];
  });
}

/** Three hosts: one with a secret env file and secret config file, one missing a secret, one plain. */
function mixedFleet() {
  const dir = tempDir();
  writeTree(dir, {
    "fleet.pcl": `module Fleet {
  hosts = [
    { file = "sec.pcl" stack = "Sec" target = "ssh://ops@sec.internal" machine = "sec" }
    { file = "bad.pcl" stack = "Bad" target = "ssh://ops@bad.internal" }
    { file = "plain.pcl" stack = "Plain" target = "ssh://ops@plain.internal" tags = ["edge"] }
  ]
}
`,
    "sec.pcl": `module Pkg { pname = "sec" version = "1" recipe = "std.files" files = [ { path = "bin/run" content = "#!/bin/sh\\n" mode = "0755" } ] }
module Sec {
  backend = "systemd"
  services = [ { name = "sec" package = "Pkg" binary = "run" environment = { TOKEN = { from_env = "FLEET_TEST_PLANTED" } PLAIN = "x" } } ]
  configFiles = [ { path = "/etc/sec/token" content = { from_env = "FLEET_TEST_PLANTED" } } ]
}
`,
    "bad.pcl": `module Bad {
  backend = "systemd"
  configFiles = [ { path = "/etc/bad" content = { from_env = "FLEET_TEST_SURELY_UNSET" } } ]
}
`,
    "plain.pcl": `module Plain { backend = "systemd" configFiles = [ { path = "/etc/plain" content = "plain" } ] }\n`,
  });
  const out = join(tempDir(), "out");
  const env = { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store"), FLEET_TEST_PLANTED: PLANTED };
  const run = (cmd: string, ...extra: string[]): CliResult => runFleet([cmd, join(dir, "fleet.pcl"), "--transport-root", out, "--json", ...extra], { env });
  return { dir, out, run };
}

describe("--json", () => {
  it("apply, status, verify and rollback each print one JSON document with every host's status, never the secret", () => {
    const f = mixedFleet();
    const texts: string[] = [];
    const keep = (r: CliResult): CliResult => {
      texts.push(r.stdout, r.stderr);
      return r;
    };

    const first = keep(f.run("apply", "--dry-run"));
    expect(first.code).toBe(1);
    const applied = parse(first);
    expect(applied.command).toBe("apply");
    expect(applied.hosts.map((h) => [h.stack, h.target, h.machine, h.status, h.generation, h.previous])).toEqual([
      ["Sec", "ssh://ops@sec.internal", "sec", "ok", 1, null],
      ["Bad", "ssh://ops@bad.internal", null, "failed", null, null],
      ["Plain", "ssh://ops@plain.internal", null, "ok", 1, null],
    ]);
    expect(applied.hosts[1]!.error).toEqual({ code: "E11", message: "secret(s) not set: from_env:FLEET_TEST_SURELY_UNSET", file: null, line: null, col: null, hint: null, labels: [] });
    expect(applied.format_version).toBe(1);
    expect(applied.ok).toBe(false);
    expect(applied.hosts[0]!.error).toBeNull();
    expect(applied.summary).toEqual({ total: 3, ok: 2, failed: 1, blocked: 0, not_attempted: 0, rolled_back: 0, skipped: 0 });
    // No human lines in JSON mode, on either stream.
    expect(first.stderr).toBe("");

    expect(keep(f.run("apply", "--dry-run", "--only", "sec,@edge")).code).toBe(0);

    const st = keep(f.run("status"));
    expect(st.code).toBe(0);
    const status = parse(st);
    expect(status.hosts.map((h) => [h.stack, h.status, h.generation, h.previous, h["dry_run"]])).toEqual([
      ["Sec", "clean", 2, 1, true],
      ["Bad", "never-deployed", null, null, null],
      ["Plain", "clean", 2, 1, true],
    ]);
    expect(status.summary).toEqual({ total: 3, clean: 2, drifted: 0, never_deployed: 1, failed: 0, out_of_date: 0 });

    writeFileSync(join(f.out, "ops@sec.internal/etc/sec/token"), "tampered");
    const ve = keep(f.run("verify"));
    expect(ve.code).toBe(1);
    const verify = parse(ve);
    expect(verify.hosts.map((h) => h.status)).toEqual(["drifted", "never-deployed", "verified"]);
    expect(verify.hosts[0]!["drift"]).toEqual([
      { path: "/etc/sec/token", kind: "changed", secret: true, expected_mode: null, actual_mode: null },
    ]);
    expect(verify.summary).toEqual({ total: 3, verified: 1, drifted: 1, never_deployed: 1, failed: 0 });

    const rb = keep(f.run("rollback"));
    expect(rb.code).toBe(1);
    const rolled = parse(rb);
    // Reverse of fleet order; the never-deployed host fails with E12.
    expect(rolled.hosts.map((h) => [h.stack, h.status, h.generation, h.previous, h.error?.code ?? null])).toEqual([
      ["Plain", "ok", 1, 2, null],
      ["Bad", "failed", null, null, "E12"],
      ["Sec", "ok", 1, 2, null],
    ]);
    expect(rolled.hosts[2]!["secret_skipped"]).toBe(2);
    expect(rolled.summary["ok"]).toBe(2);

    for (const t of texts) expect(t).not.toContain(PLANTED);
    // On the target the planted value lives only in the env file (the token file was overwritten
    // above and rollback never restores secret files): not in a manifest, a unit or files/.
    expect(filesContaining(f.out, PLANTED)).toEqual(["/ops@sec.internal/etc/fleet/secrets/sec.env"]);
  });

  it("a refused run prints a JSON error document and exits 1", () => {
    const dir = copyExample("quickstart");
    const fleet = join(dir, "fleet.pcl");
    writeFileSync(fleet, readFileSync(fleet, "utf8").replace('stack = "DbStack"', 'stak = "DbStack"'));
    const out = join(tempDir(), "out");
    for (const cmd of ["apply", "status", "verify", "plan", "rollback"]) {
      const r = runFleet([cmd, fleet, "--transport-root", out, "--json", ...(cmd === "apply" ? ["--dry-run"] : [])]);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as JsonDoc;
      expect(doc.command).toBe(cmd);
      expect(doc.ok).toBe(false);
      expect(doc.error).toMatchObject({ kind: "input", exit_code: 1, code: "E14" });
      expect(doc.diagnostics![0]).toMatchObject({ code: "E14", file: "fleet.pcl", line: expect.any(Number) as number });
      expect(r.stderr).toContain("error: [E14]");
    }
  });

  it("usage errors keep exit 2 and print a JSON error document", () => {
    const dir = copyExample("quickstart");
    const r = runFleet(["status", join(dir, "fleet.pcl"), "--json", "--only", "nosuch"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as JsonDoc;
    expect(doc).toMatchObject({ command: "status", ok: false, error: { kind: "usage", exit_code: 2 } });
    expect(doc.diagnostics![0]!.message).toContain("nosuch");
  });
});
