/** `fleet eval FILE... [--scenario S]... [--json]`: the evaluated modules. */
import type { Command } from "commander";
import { canonicalModulesJson, evaluateProgram, isRecordValue, type ModuleValues, type Value } from "../../lang/index.js";
import { writeJsonDocument } from "../json-contract.js";
import { FleetRefusal } from "../../load/fleet-load.js";
import { collectRepeatable, expandPclPaths, readSources, requireScenarios } from "../pcl-input.js";

/** The readable form: one `Module.path = value` line per leaf, in sorted order. */
export function renderModulesReadable(modules: ModuleValues): string {
  const lines: string[] = [];
  const walk = (path: string, v: Value): void => {
    if (Array.isArray(v)) {
      const items = v as readonly Value[];
      if (items.length === 0) lines.push(`${path} = []`);
      items.forEach((x, i) => walk(`${path}[${i}]`, x));
    } else if (isRecordValue(v)) {
      const keys = Object.keys(v).sort();
      if (keys.length === 0) lines.push(`${path} = {}`);
      for (const k of keys) walk(`${path}.${k}`, v[k] as Value);
    } else lines.push(`${path} = ${JSON.stringify(v)}`);
  };
  for (const [name, rec] of [...modules].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) walk(name, rec);
  return lines.map((l) => l + "\n").join("");
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate PCL files and print every module")
    .argument("<files...>", "PCL files or directories")
    .option("--scenario <name>", "apply a scenario (repeatable)", collectRepeatable, [] as string[])
    .option("--json", "print {modules} as one canonical JSON document")
    .action((paths: string[], opts: { scenario: string[]; json?: boolean }) => {
      const files = readSources(expandPclPaths(paths));
      const result = evaluateProgram(files, { scenarios: opts.scenario });
      requireScenarios(opts.scenario, result.scenarios);
      if (result.diagnostics.length > 0) throw new FleetRefusal(result.diagnostics, files);
      if (opts.json) writeJsonDocument("eval", true, { modules: JSON.parse(canonicalModulesJson(result.modules)) as unknown });
      else process.stdout.write(renderModulesReadable(result.modules));
    });
}
