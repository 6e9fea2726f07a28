/**
 * `fleet build FILE... [--store-root P] [--dry-run] [--scenario S] [--json]`: evaluate the files,
 * take every package module, print `Module → <store path>` sorted by module name, and build what
 * is missing (nothing under --dry-run).
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../fleet-error.js";
import { type Diagnostic, evaluateProgram, type SourceFile } from "../../lang/index.js";
import { closureFor, isPackageModule, realise, resolveRoot, storePath } from "../../store/index.js";
import { FleetRefusal } from "../../deploy/fleet-load.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJsonFlag, addScenarioFlag } from "../options.js";
import { processOutput, type Output } from "../output.js";

interface BuildFlags {
  storeRoot?: string;
  dryRun?: boolean;
  json?: boolean;
  scenario: string[];
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command("build")
    .description("build every package module of the given PCL files into the local store")
    .argument("<files...>", "PCL files, evaluated together as one program")
    .option("--store-root <path>", "store location (default ~/.fleet/store, or FLEET_STORE_DIR)")
    .option("--dry-run", "print the store paths, build nothing");
  addScenarioFlag(cmd);
  addJsonFlag(cmd);
  cmd.action(async (files: string[], flags: BuildFlags) => {
    const out = processOutput();
    const storeRoot = resolveRoot(flags.storeRoot, process.env["FLEET_STORE_DIR"], "~/.fleet/store", homedir(), {
      flag: "--store-root",
      env: "FLEET_STORE_DIR",
    });
    const sources = files.map(readSource);
    const program = evaluateProgram(sources, { scenarios: flags.scenario });
    for (const s of flags.scenario) {
      if (!program.scenarios.has(s)) throw new UsageError(`scenario '${s}' is not defined in any of the given files; check its name`);
    }
    if (program.diagnostics.length > 0) failWith(out, program.diagnostics, sources);

    const packages = [...program.modules.keys()]
      .filter((m) => program.shapes.get(m) === "package" || isPackageModule(program.modules.get(m)))
      .sort();
    const texts = new Map(sources.map((s) => [s.path, s.text]));
    const { closure, diagnostics } = await closureFor({
      modules: program.modules,
      moduleSpans: program.moduleSpans,
      roots: packages,
      fileDir: (file) => path.dirname(path.resolve(file)),
      sourceText: (file) => texts.get(file),
    });
    if (!closure) failWith(out, diagnostics, sources);

    let built: string[] = [];
    if (!flags.dryRun) {
      const result = await realise(closure, storeRoot, {
        onEvent: (e) => {
          if (out.isTTY && !flags.json && e.type === "build-start") out.err(out.dim(`building ${e.module} (${e.base})…`));
        },
      });
      built = result.built;
    }
    const pathOf = (m: string) => storePath(storeRoot, closure.byModule.get(m)!);
    if (flags.json) {
      writeJsonDocument("build", true, {
        dry_run: Boolean(flags.dryRun),
        packages: Object.fromEntries(packages.map((m) => [m, pathOf(m)])),
        built: built.map((b) => storePath(storeRoot, b)),
      });
      return;
    }
    for (const m of packages) out.out(`${m} → ${pathOf(m)}`);
    if (packages.length === 0) out.err("fleet: no package modules (modules with a recipe) in the given files");
  });
}

function readSource(file: string): SourceFile {
  try {
    return { path: file, text: readFileSync(file, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`input file '${file}' does not exist; check the path`);
    if (code === "EISDIR") throw new UsageError(`input '${file}' is a directory; give the .pcl files to build`);
    throw new UsageError(`input file '${file}' cannot be read (${code ?? String(e)})`);
  }
}

function failWith(_out: Output, diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): never {
  throw new FleetRefusal(diagnostics, sources);
}
