/** `fleet check FILE|DIR... [--scenario S]...`: `ok` on stdout, or every diagnostic on stderr. */
import type { Command } from "commander";
import { evaluateProgram, renderDiagnostics, type Diagnostic, type SourceFile } from "../../lang/index.js";
import { resolve } from "node:path";
import { checkFleet, isFleetFile } from "../../load/fleet-check.js";
import { ExitCode } from "../exit-code.js";
import { writeJsonDocument } from "../json-contract.js";
import { diagnosticJson, plainProblem } from "../json-problem.js";
import { collectRepeatable, expandPclPaths, readSources, requireScenarios } from "../pcl-input.js";

export interface CheckOutcome {
  readonly files: readonly SourceFile[];
  readonly diagnostics: readonly Diagnostic[];
  /** Fleet problems that are not located diagnostics (bad host file paths, cycles). */
  readonly errors: readonly string[];
}

/**
 * Checks the named files (directories expanded) as one program. Throws UsageError for a missing
 * file or an unknown scenario. A fleet-aware checker can replace this function wholesale.
 */
export function checkProgramFiles(paths: readonly string[], scenarios: readonly string[]): CheckOutcome {
  const all = expandPclPaths(paths);
  const fleets = all.filter(isFleetFile);
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const errors: string[] = [];
  const defined = new Set<string>();
  const reached = new Set<string>();
  // SPEC §1.4: each fleet file is checked host by host, exactly as apply composes it…
  for (const f of fleets) {
    const r = checkFleet(f, scenarios);
    files.push(...r.sources);
    diagnostics.push(...r.diagnostics);
    errors.push(...r.errors);
    for (const s of r.scenarios) defined.add(s);
    for (const h of r.reached) reached.add(h);
  }
  // …and every other file that no fleet file reaches is checked as one program.
  const rest = all.filter((p) => !fleets.includes(p) && !reached.has(resolve(p)));
  if (rest.length > 0 || fleets.length === 0) {
    const sources = readSources(rest);
    const result = evaluateProgram(sources, { scenarios });
    files.push(...sources);
    diagnostics.push(...result.diagnostics);
    for (const s of result.scenarios) defined.add(s);
  }
  requireScenarios(scenarios, defined);
  return { files, diagnostics, errors };
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("type-check PCL files (a directory means every .pcl file under it)")
    .argument("<paths...>", "PCL files or directories")
    .option("--scenario <name>", "apply a scenario (repeatable)", collectRepeatable, [] as string[])
    .option("--json", "print {ok, diagnostics} as one JSON document")
    .action((paths: string[], opts: { scenario: string[]; json?: boolean }) => {
      const outcome = checkProgramFiles(paths, opts.scenario);
      if (opts.json) {
        const ok = outcome.diagnostics.length === 0 && outcome.errors.length === 0;
        const diagnostics = [...outcome.diagnostics.map((d) => diagnosticJson(d, outcome.files)), ...outcome.errors.map((e) => plainProblem(null, e))];
        writeJsonDocument("check", ok, { diagnostics });
        if (!ok) throw new ExitCode(1);
        return;
      }
      if (outcome.diagnostics.length > 0 || outcome.errors.length > 0) {
        if (outcome.diagnostics.length > 0) process.stderr.write(renderDiagnostics(outcome.diagnostics, outcome.files));
        for (const e of outcome.errors) process.stderr.write(`fleet: error: ${e}\n`);
        throw new ExitCode(1);
      }
      process.stdout.write("ok\n");
    });
}
