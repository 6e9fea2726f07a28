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
import { fleetMessages } from "../../fleet-messages.js";
import { closureFor, isPackageModule, realise, resolveRoot, storePath } from "../../store/index.js";
import { FleetRefusal } from "../../load/fleet-load.js";
import { writeJsonDocument } from "../json-contract.js";
import { fleetBuild } from "../../deploy/fleet-build.js";
import { isFleetFile } from "../../load/fleet-check.js";
import { ExitCode } from "../exit-code.js";
import { outputJson as capturedJson } from "../json-report.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag } from "../options.js";
import { outputTail } from "../report.js";
import { processOutput, type Output } from "../output.js";

interface BuildFlags {
  storeRoot?: string;
  dryRun?: boolean;
  json?: boolean;
  scenario: string[];
  only?: string[];
  jobs: number;
  includeMaintenance?: boolean;
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command("build")
    .description("build every package module of the given PCL files into the local store; given one fleet file, build each selected host's closure")
    .argument("<files...>", "PCL files, evaluated together as one program")
    .option("--store-root <path>", "store location (default ~/.fleet/store, or FLEET_STORE_DIR)")
    .option("--dry-run", "print the store paths, build nothing");
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addJobsFlag(cmd, "build");
  cmd.option("--include-maintenance", "with a fleet file: also build hosts whose record says lifecycle = \"maintenance\"");
  cmd.action(async (files: string[], flags: BuildFlags) => {
    const out = processOutput();
    if (files.length === 1 && isFleetFile(files[0]!)) return buildFleetHosts(out, files[0]!, flags);
    if (flags.only !== undefined && flags.only.length > 0) throw new UsageError(fleetMessages.buildOnlyNeedsFleetFile());
    const storeRoot = resolveRoot(flags.storeRoot, process.env["FLEET_STORE_DIR"], "~/.fleet/store", homedir(), {
      flag: "--store-root",
      env: "FLEET_STORE_DIR",
    });
    const sources = files.map(readSource);
    const program = evaluateProgram(sources, { scenarios: flags.scenario });
    for (const s of flags.scenario) {
      if (!program.scenarios.has(s)) throw new UsageError(fleetMessages.buildScenarioNotDefined(s));
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

/** `fleet build FLEET`: each selected host's closure, per host (ADR 231). */
async function buildFleetHosts(out: Output, file: string, flags: BuildFlags): Promise<void> {
  const { hosts } = await fleetBuild({
    fleetFile: file,
    scenarios: flags.scenario,
    ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
    ...(flags.only !== undefined ? { only: flags.only } : {}),
    dryRun: Boolean(flags.dryRun),
    jobs: flags.jobs,
    includeMaintenance: Boolean(flags.includeMaintenance),
  });
  const ok = hosts.every((h) => h.status !== "failed");
  if (flags.json) {
    writeJsonDocument("build", ok, {
      dry_run: Boolean(flags.dryRun),
      packages: {},
      built: [...new Set(hosts.flatMap((h) => h.built))].sort(),
      hosts: hosts.map((h) => ({
        machine: h.host.machine,
        stack: h.host.stack,
        target: h.host.target,
        status: h.status,
        reason: h.reason ?? null,
        store_paths: [...h.storePaths],
        built: [...h.built],
        warnings: [...h.warnings],
        output: h.output.map(capturedJson),
      })),
    });
  } else {
    for (const h of hosts) {
      const name = `${h.host.stack} → ${h.host.target}`;
      if (h.status === "ok") out.out(`${out.green("✓")} ${name}: ${h.storePaths.length} store path(s), ${h.built.length} built${flags.dryRun ? " (dry run)" : ""}`);
      else if (h.status === "skipped") out.err(`${out.dim("⊘")} ${name}: skipped (maintenance)`);
      else out.err(`${out.red("✗")} ${name}: ${h.reason}`);
      for (const w of h.warnings) out.err(`${out.yellow("⚠")} ${name}: ${w}`);
      for (const c of h.output) if (c.failed) for (const l of outputTail(c)) out.err(l);
    }
    out.out(`fleet: ${hosts.filter((h) => h.status === "ok").length}/${hosts.length} host(s) built`);
  }
  if (!ok) throw new ExitCode(1);
}

function readSource(file: string): SourceFile {
  try {
    return { path: file, text: readFileSync(file, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(fleetMessages.inputFileMissing(file));
    if (code === "EISDIR") throw new UsageError(fleetMessages.inputIsDirectory(file));
    throw new UsageError(fleetMessages.inputFileUnreadable(file, code ?? String(e)));
  }
}

function failWith(_out: Output, diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): never {
  throw new FleetRefusal(diagnostics, sources);
}
