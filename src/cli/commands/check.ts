/** `fleet check FILE|DIR... [--scenario S]...`: `ok` on stdout, or every diagnostic on stderr. */
import type { Command } from "commander";
import { evaluateProgram, renderDiagnostics, type Diagnostic, type SourceFile } from "../../lang/index.js";
import { ExitCode } from "../exit-code.js";
import { collectRepeatable, expandPclPaths, readSources, requireScenarios } from "../pcl-input.js";

export interface CheckOutcome {
  readonly files: readonly SourceFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Checks the named files (directories expanded) as one program. Throws UsageError for a missing
 * file or an unknown scenario. A fleet-aware checker can replace this function wholesale.
 */
export function checkProgramFiles(paths: readonly string[], scenarios: readonly string[]): CheckOutcome {
  const files = readSources(expandPclPaths(paths));
  const result = evaluateProgram(files, { scenarios });
  requireScenarios(scenarios, result.scenarios);
  return { files, diagnostics: result.diagnostics };
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("type-check PCL files (a directory means every .pcl file under it)")
    .argument("<paths...>", "PCL files or directories")
    .option("--scenario <name>", "apply a scenario (repeatable)", collectRepeatable, [] as string[])
    .action((paths: string[], opts: { scenario: string[] }) => {
      const outcome = checkProgramFiles(paths, opts.scenario);
      if (outcome.diagnostics.length > 0) {
        process.stderr.write(renderDiagnostics(outcome.diagnostics, outcome.files));
        throw new ExitCode(1);
      }
      process.stdout.write("ok\n");
    });
}
