/**
 * The npm tarball installs and runs (issue 16): `npm pack` (its prepack script builds dist/), then
 * `npm install -g --prefix` into a temporary prefix, then the installed `fleet` is run from a
 * directory outside the repository, as a user who installed it from the registry would.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let work: string;
let tarball: string;
let fleetBin: string;
let packedFiles: string[];

beforeAll(() => {
  work = tempDir("fleet-npm-");
  const packed = JSON.parse(
    execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
  ) as { filename: string; files: { path: string }[] }[];
  const first = packed[0];
  if (first === undefined) throw new Error("npm pack printed no package");
  tarball = join(work, first.filename);
  packedFiles = first.files.map((f) => f.path).sort();
  const prefix = join(work, "prefix");
  // Dependencies come from npm's cache when `npm ci` already fetched them (--prefer-offline).
  execFileSync(npm, ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball], {
    cwd: work,
    stdio: ["ignore", "pipe", "pipe"],
  });
  fleetBin = join(prefix, "bin", "fleet");
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function runInstalled(args: string[], cwd: string) {
  const r = spawnSync(fleetBin, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FLEET_STORE_DIR: join(cwd, "store"), FLEET_DEPLOYMENTS_DIR: join(cwd, "deployments") },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the npm tarball", () => {
  it("ships the bundle, grammar, README and LICENSE, and no sources or tests", () => {
    expect(packedFiles).toEqual(expect.arrayContaining(["LICENSE", "README.md", "bin/fleet.js", "dist/fleet.mjs", "grammar/pcl.tmLanguage.json", "package.json"]));
    expect(packedFiles.some((f) => f.startsWith("dist/chunks/") && f.endsWith(".mjs"))).toBe(true);
    expect(packedFiles.filter((f) => /^(src|test|adrs|bench|scripts)\//.test(f) || f.endsWith(".map"))).toEqual([]);
  });

  it("installs with npm install -g --prefix and prints its version from another directory", () => {
    const r = runInstalled(["--version"], work);
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("runs the quickstart dry-run from a directory outside the repository", () => {
    const cwd = mkdtempSync(join(work, "user-"));
    cpSync(join(REPO_ROOT, "examples/quickstart"), join(cwd, "quickstart"), { recursive: true });
    const r = runInstalled(["apply", "quickstart/fleet.pcl", "--dry-run", "--transport-root", "out"], cwd);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("✓ WebStack → ssh://deploy@web.example.com\n✓ DbStack → ssh://deploy@db.example.com\nfleet: 2/2 host(s) deployed\n");
    expect(r.code).toBe(0);
    expect(readdirSync(join(cwd, "out")).sort()).toEqual(["deploy@db.example.com", "deploy@web.example.com"]);
    // The bundled language tools run from the installed package too.
    expect(runInstalled(["fmt", "--check", "quickstart"], cwd)).toMatchObject({ code: 0, stdout: "" });
    expect(runInstalled(["completion", "bash"], cwd).stdout).toContain("complete -o default -F _fleet fleet");
  });

  it("depends at run time on ssh2 alone: everything else is in the bundle", () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(["ssh2"]);
  });
});
