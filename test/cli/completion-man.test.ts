/**
 * Shell completions and the man page (issue 16), generated from the commander program: bash and
 * fish are driven for real (bash through its completion function, fish with `complete -C`), zsh
 * is parsed by zsh; `man/fleet.1` is what regenerating from the program gives.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { programSpec } from "../../src/cli/command-spec.js";
import { manPage } from "../../src/cli/man-page.js";
import { buildProgram } from "../../src/cli/program.js";
import { VERSION } from "../../src/cli/version.js";
import { FLEET_BIN, REPO_ROOT, runFleet } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const spec = programSpec(buildProgram());
let binDir: string;

beforeAll(() => {
  // A `fleet` on PATH, as an installed one would be, for the scripts' `fleet __only-names` calls.
  binDir = tempDir("fleet-completion-");
  writeFileSync(join(binDir, "fleet"), `#!/bin/sh\nexec "${process.execPath}" "${FLEET_BIN}" "$@"\n`);
  chmodSync(join(binDir, "fleet"), 0o755);
});

function shell(cmd: string, args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, input, encoding: "utf8", env: { ...process.env, PATH: `${binDir}:${process.env["PATH"] ?? ""}` } });
  if (r.error) throw new Error(`${cmd} is needed for this test (.ci/run installs it): ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What bash offers for the words typed so far (the last one being completed). */
function bashComplete(words: string[]): string[] {
  const script = runFleet(["completion", "bash"]).stdout;
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _fleet; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = shell("bash", ["-c", program]);
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter(Boolean).sort();
}

/** What fish offers for a command line (`complete -C`). */
function fishComplete(line: string): string[] {
  const script = runFleet(["completion", "fish"]).stdout;
  const r = shell("fish", ["-c", `${script}\ncomplete -C '${line}'`]);
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter(Boolean).map((l) => l.split("\t")[0] as string).sort();
}

describe("fleet completion", () => {
  it("bash: commands, each command's flags, and --only names from the fleet file on the line", () => {
    expect(bashComplete(["fleet", ""])).toEqual(expect.arrayContaining([...spec.commands.map((c) => c.name), "help"]));
    expect(bashComplete(["fleet", "ro"])).toEqual(["rollback"]);
    expect(bashComplete(["fleet", "fmt", "--"])).toEqual(["--check", "--diff", "--help"]);
    const apply = spec.commands.find((c) => c.name === "apply");
    expect(bashComplete(["fleet", "apply", "x.pcl", "--"])).toEqual(apply?.options.flatMap((o) => (o.long ? [o.long] : [])).sort());
    expect(bashComplete(["fleet", "apply", "examples/mesh/fleet.pcl", "--only", ""])).toEqual(["@eu", "@mesh", "@us", "MeshNode", "alpha", "beta", "gamma"]);
    expect(bashComplete(["fleet", "plan", "examples/mesh/fleet.pcl", "--only", "alpha,@"])).toEqual(["alpha,@eu", "alpha,@mesh", "alpha,@us"]);
    expect(bashComplete(["fleet", "completion", ""])).toEqual(["bash", "fish", "zsh"]);
  });

  it("fish: the same, through fish's own completion engine", () => {
    expect(fishComplete("fleet ")).toEqual(expect.arrayContaining(spec.commands.map((c) => c.name)));
    expect(fishComplete("fleet fmt --")).toEqual(expect.arrayContaining(["--check", "--diff"]));
    expect(fishComplete("fleet apply examples/mesh/fleet.pcl --only ")).toEqual(["@eu", "@mesh", "@us", "MeshNode", "alpha", "beta", "gamma"]);
  });

  it("zsh: the script parses and names every command and flag", () => {
    const script = runFleet(["completion", "zsh"]).stdout;
    expect(shell("zsh", ["-n"], script)).toMatchObject({ code: 0, stderr: "" });
    expect(script.startsWith("#compdef fleet\n")).toBe(true);
    for (const c of spec.commands) {
      expect(script).toContain(`    ${c.name})\n`);
      for (const o of c.options) if (o.long) expect(script).toContain(o.long);
    }
  });

  it("an unknown shell is a usage error", () => {
    expect(runFleet(["completion", "tcsh"]).code).toBe(2);
  });
});

describe("man/fleet.1", () => {
  it("is what regenerating it from the program gives (run `npm run man` after changing a command)", () => {
    expect(readFileSync(join(REPO_ROOT, "man/fleet.1"), "utf8")).toBe(manPage(spec, VERSION));
  });

  it("documents every command and flag, the exit codes and the environment variables", () => {
    const page = readFileSync(join(REPO_ROOT, "man/fleet.1"), "utf8").replace(/\\-/g, "-");
    for (const c of spec.commands) {
      expect(page).toContain(`.SS "fleet ${c.name} `);
      for (const o of c.options) expect(page).toContain(o.term);
    }
    expect(page).toMatch(/\.SH EXIT STATUS\n\.TP\n\.B 0\n[^]*\.B 1\n[^]*\.B 2\n/);
    for (const v of ["FLEET_STORE_DIR", "FLEET_DEPLOYMENTS_DIR", "NO_COLOR"]) expect(page).toContain(`.B ${v}\n`);
  });
});
