/**
 * flake.nix (issue 16): it parses (as CI also checks), has no fake hash (importNpmLock reads
 * package-lock.json), takes its version from package.json, and carries meta, formatter,
 * devShells and checks. Building needs nixpkgs, which cannot be fetched here.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

describe("flake.nix", () => {
  const text = readFileSync(join(REPO_ROOT, "flake.nix"), "utf8");

  it("parses with nix-instantiate", () => {
    const r = spawnSync("nix-instantiate", ["--parse", "flake.nix"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (r.error) throw new Error(`nix-instantiate is needed (.ci/run installs nix-bin): ${r.error.message}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("locks dependencies from package-lock.json and reads its version from package.json", () => {
    expect(text).not.toMatch(/fakeHash|npmDepsHash/);
    expect(text).toContain("pkgs.importNpmLock { npmRoot = ./.; }");
    expect(text).toContain("builtins.fromJSON (builtins.readFile ./package.json)");
    expect(text).toContain("version = manifest.version;");
    expect(text).not.toMatch(/version = "\d/);
  });

  it("ships only run-time dependencies and declares meta, formatter, devShells and checks", () => {
    expect(text).toContain("npm prune --omit=dev");
    for (const attr of ["mainProgram = \"fleet\";", "license = pkgs.lib.licenses.mit;", "description = manifest.description;", "formatter =", "devShells =", "checks ="]) {
      expect(text).toContain(attr);
    }
  });
});
