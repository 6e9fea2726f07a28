import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir } from "./helpers.js";

const PKGS = `
module Hello {
  pname = "hello"
  version = "1.0"
  recipe = "std.files"
  files = [ { path = "bin/hello" content = "#!/bin/sh\\necho hello\\n" mode = "0755" } ]
}
module App {
  pname = "app"
  version = "2"
  recipe = "std.shell"
  source = { type = "local" path = "./src" }
  command = "mkdir -p $out/share; cp $src/msg $out/share/msg"
  deps = [ "Hello" ]
}
module Settings { port = 8080 }
`;

function project(): { dir: string; file: string } {
  const dir = tempDir("fleet-build-cli-");
  mkdirSync(path.join(dir, "pkgs/src"), { recursive: true });
  writeFileSync(path.join(dir, "pkgs/src/msg"), "from the source dir\n");
  const file = path.join(dir, "pkgs/packages.pcl");
  writeFileSync(file, PKGS);
  return { dir, file };
}

const LINE = /^(\w+) → (\/.+\/([0-9abcdfghijklmnpqrsvwxyz]{32})-[^/]+)$/;

describe("fleet build", () => {
  it("prints every package module sorted by name with its store path and builds them", () => {
    const { dir, file } = project();
    const store = path.join(dir, "store");
    // Run from elsewhere: the local source is relative to the defining file, not the cwd.
    const r = runFleet(["build", file, "--store-root", store], { cwd: tempDir() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["App", "Hello"]);
    for (const l of lines) expect(l).toMatch(LINE);
    // The golden hash of the store tests, reached through the real front end.
    expect(lines[1]).toBe(`Hello → ${store}/wi2yzb43xvphkrsq7jf8yqbgn7q15l9v-hello-1.0`);
    const app = LINE.exec(lines[0]!)![2]!;
    expect(readFileSync(path.join(app, "share/msg"), "utf8")).toBe("from the source dir\n");
    const hello = LINE.exec(lines[1]!)![2]!;
    expect(statSync(path.join(hello, "bin/hello")).mode & 0o777).toBe(0o755);
    expect(existsSync(path.join(hello, ".fleet-built"))).toBe(true);
  });

  it("--dry-run prints the same paths and builds nothing", () => {
    const { dir, file } = project();
    const store = path.join(dir, "store");
    const dry = runFleet(["build", file, "--dry-run"], { env: { FLEET_STORE_DIR: store } });
    expect(dry.code).toBe(0);
    expect(existsSync(store) ? readdirSync(store).filter((n) => !n.startsWith(".")) : []).toEqual([]);
    const real = runFleet(["build", file], { env: { FLEET_STORE_DIR: store } });
    expect(real.code).toBe(0);
    expect(real.stdout).toBe(dry.stdout);
  });

  it("gives the same hashes for every store root; --store-root beats FLEET_STORE_DIR", () => {
    const { dir, file } = project();
    const a = runFleet(["build", file, "--dry-run", "--store-root", path.join(dir, "a")], { env: { FLEET_STORE_DIR: path.join(dir, "ignored") } });
    const b = runFleet(["build", file, "--dry-run", "--store-root", path.join(dir, "b/c")]);
    expect(a.stdout).toContain(path.join(dir, "a") + "/");
    expect(a.stdout).not.toContain("ignored");
    const bases = (s: string) => s.trimEnd().split("\n").map((l) => path.basename(l.split(" → ")[1]!));
    expect(bases(a.stdout)).toEqual(bases(b.stdout));
  });

  it("--json prints the packages and what was built", () => {
    const { dir, file } = project();
    const store = path.join(dir, "store");
    const r = runFleet(["build", file, "--store-root", store, "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { dry_run: boolean; packages: Record<string, string>; built: string[] };
    expect(Object.keys(doc.packages)).toEqual(["App", "Hello"]);
    expect(doc.dry_run).toBe(false);
    expect([...doc.built].sort()).toEqual(Object.values(doc.packages).sort());
    const again = JSON.parse(runFleet(["build", file, "--store-root", store, "--json"]).stdout) as { built: string[] };
    expect(again.built).toEqual([]);
  });

  it("reports a dependency cycle as a located [E7] and exits 1", () => {
    const dir = tempDir();
    const file = path.join(dir, "cycle.pcl");
    writeFileSync(file, [
      'module A { pname = "a" version = "1" recipe = "std.shell" command = "true" deps = [ "B" ] }',
      'module B { pname = "b" version = "1" recipe = "std.shell" command = "true" deps = [ "A" ] }',
      "",
    ].join("\n"));
    const r = runFleet(["build", "cycle.pcl", "--store-root", path.join(dir, "store")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^cycle\.pcl:\d+:\d+: error: \[E7\] package dependency cycle: (A → B → A|B → A → B)$/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("reports a failing build with the package, the exit code and its stderr, exit 1", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "bad.pcl"), 'module Bad { pname = "bad" version = "1" recipe = "std.shell" command = "echo it broke >&2; exit 7" }\n');
    const r = runFleet(["build", "bad.pcl", "--store-root", path.join(dir, "store")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("package 'Bad'");
    expect(r.stderr).toContain("exited with code 7");
    expect(r.stderr).toContain("it broke");
    expect(readdirSync(path.join(dir, "store")).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("treats a relative store root and a missing input file as usage errors (exit 2)", () => {
    const { file } = project();
    const rel = runFleet(["build", file, "--store-root", "relative/store"]);
    expect(rel.code).toBe(2);
    expect(rel.stderr).toContain("--store-root 'relative/store' is not an absolute path");
    const envRel = runFleet(["build", file], { env: { FLEET_STORE_DIR: "rel" } });
    expect(envRel.code).toBe(2);
    expect(envRel.stderr).toContain("FLEET_STORE_DIR 'rel'");
    const missing = runFleet(["build", "does-not-exist.pcl", "--store-root", "/tmp/x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("'does-not-exist.pcl' does not exist");
  });

  it("prints language diagnostics and exits 1 without building", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "typo.pcl"), 'module P { pname = "p" version = "1" recipe = "std.files" files = [] pnmae = "x" }\n');
    const r = runFleet(["build", "typo.pcl", "--store-root", path.join(dir, "store")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^typo\.pcl:1:\d+: error: \[E2\]/m);
    expect(existsSync(path.join(dir, "store"))).toBe(false);
  });

  it("applies --scenario to package modules, and refuses an unknown scenario (exit 2)", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "s.pcl"), [
      'module P { pname = "p" version = "1" recipe = "std.files" files = [ { path = "v" content = "one" } ] }',
      'scenario Next { P.version = "2" }',
      "",
    ].join("\n"));
    const store = path.join(dir, "store");
    const base = runFleet(["build", "s.pcl", "--dry-run", "--store-root", store], { cwd: dir });
    const next = runFleet(["build", "s.pcl", "--dry-run", "--store-root", store, "--scenario", "Next"], { cwd: dir });
    expect(base.stdout).toMatch(/^P → .*-p-1\n$/);
    expect(next.stdout).toMatch(/^P → .*-p-2\n$/);
    const unknown = runFleet(["build", "s.pcl", "--dry-run", "--store-root", store, "--scenario", "Nope"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("scenario 'Nope'");
  });
});
