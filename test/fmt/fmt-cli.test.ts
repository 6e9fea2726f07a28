/** `fleet fmt` through the built CLI (issue 16): in place, --check, --diff, refusals. */
import { readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const UGLY = 'module A { x = 1 ; y = [ 1,2 ] }\n';
const PRETTY = "module A {\n  x = 1\n  y = [1, 2]\n}\n";

function tmp(files: Record<string, string>): string {
  const dir = tempDir("fleet-fmt-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("fleet fmt", () => {
  it("--check passes on examples/ (the examples are formatted)", () => {
    expect(runFleet(["fmt", "--check", "examples"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("rewrites files in place, keeping their mode, and is then a no-op", () => {
    const dir = tmp({ "a.pcl": UGLY, "b.pcl": PRETTY });
    chmodSync(join(dir, "a.pcl"), 0o640);
    expect(runFleet(["fmt", dir])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(join(dir, "a.pcl"), "utf8")).toBe(PRETTY);
    expect(statSync(join(dir, "a.pcl")).mode & 0o777).toBe(0o640);
    expect(runFleet(["fmt", "--check", dir]).code).toBe(0);
  });

  it("--check lists the files that would change, exits 1 and writes nothing", () => {
    const dir = tmp({ "a.pcl": UGLY, "b.pcl": PRETTY });
    const r = runFleet(["fmt", "--check", dir]);
    expect(r).toEqual({ code: 1, stdout: `${join(dir, "a.pcl")}\n`, stderr: "" });
    expect(readFileSync(join(dir, "a.pcl"), "utf8")).toBe(UGLY);
  });

  it("--diff prints a unified diff and writes nothing; with --check it also exits 1", () => {
    const dir = tmp({ "a.pcl": UGLY });
    const file = join(dir, "a.pcl");
    const diff = [`--- ${file}`, `+++ ${file}`, "@@ -1,1 +1,4 @@", "-module A { x = 1 ; y = [ 1,2 ] }", "+module A {", "+  x = 1", "+  y = [1, 2]", "+}", ""].join("\n");
    expect(runFleet(["fmt", "--diff", file])).toEqual({ code: 0, stdout: diff, stderr: "" });
    expect(runFleet(["fmt", "--diff", "--check", file])).toEqual({ code: 1, stdout: diff, stderr: "" });
    expect(readFileSync(file, "utf8")).toBe(UGLY);
  });

  it("leaves a file with a syntax error untouched, reports it located, formats the others, exits 1", () => {
    const dir = tmp({ "a.pcl": UGLY, "bad.pcl": "module B { x = }\n" });
    const r = runFleet(["fmt", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${join(dir, "bad.pcl").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:16: error: \\[E8\\] `));
    expect(readFileSync(join(dir, "bad.pcl"), "utf8")).toBe("module B { x = }\n");
    expect(readFileSync(join(dir, "a.pcl"), "utf8")).toBe(PRETTY);
  });

  it("a missing path is a usage error (exit 2)", () => {
    expect(runFleet(["fmt", "/nonexistent/x.pcl"]).code).toBe(2);
  });
});
