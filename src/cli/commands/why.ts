/** `fleet why FILE... Module.field [--scenario S]...`: the value and its contributions, winner last. */
import type { Command } from "commander";
import { FleetError, UsageError } from "../../fleet-error.js";
import { fleetMessages } from "../../fleet-messages.js";
import { evaluateProgram, locationOf, why } from "../../lang/index.js";
import { writeJsonDocument } from "../json-contract.js";
import { FleetRefusal } from "../../load/fleet-load.js";
import { collectRepeatable, expandPclPaths, readSources, requireScenarios } from "../pcl-input.js";

export function registerWhy(program: Command): void {
  program
    .command("why")
    .description("explain where a field's value comes from")
    .argument("<args...>", "PCL files, then Module.field")
    .option("--scenario <name>", "apply a scenario (repeatable)", collectRepeatable, [] as string[])
    .option("--json", "print {field, value, chain} as one JSON document")
    .action((args: string[], opts: { scenario: string[]; json?: boolean }) => {
      const path = args[args.length - 1];
      const paths = args.slice(0, -1);
      if (paths.length === 0 || path === undefined || !/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(path)) {
        throw new UsageError(fleetMessages.whyUsage());
      }
      const files = readSources(expandPclPaths(paths));
      requireScenarios(opts.scenario, evaluateProgram(files, {}).scenarios);
      const r = why(files, path, { scenarios: opts.scenario });
      if (r.diagnostics.length > 0) throw new FleetRefusal(r.diagnostics, files);
      if (r.value === undefined) throw new FleetError(fleetMessages.whyFieldNotDefined(path));
      if (opts.json) {
        writeJsonDocument("why", true, {
          field: path,
          value: r.value,
          chain: r.chain.map((c) => ({ at: locationOf(c.span, files), origin: c.origin, priority: c.priority, value: c.value })),
        });
        return;
      }
      const out = [`${path} = ${JSON.stringify(r.value)}`];
      r.chain.forEach((c, i) => {
        const winner = i === r.chain.length - 1 ? "  (winner)" : "";
        out.push(`  ${locationOf(c.span, files)}: ${c.origin}, priority ${c.priority}: ${JSON.stringify(c.value)}${winner}`);
      });
      process.stdout.write(out.join("\n") + "\n");
    });
}
