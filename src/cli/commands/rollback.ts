import type { Command } from "commander";
import type { OutputChunk } from "../../deploy/outcome.js";
import { rollbackFleet } from "../../deploy/fleet-rollback.js";
import { ExitCode } from "../exit-code.js";
import { writeOutcomes } from "../json-report.js";
import { addVerboseFlag, addJsonFlag, addOnlyFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { handleRefusal } from "../refusal.js";
import { reportRolledBack, verboseLines } from "../report.js";

interface RollbackFlags extends TargetFlagValues {
  failFast?: boolean;
  only?: string[];
  json?: boolean;
  verbose?: boolean;
}

export function registerRollback(program: Command): void {
  const cmd = program
    .command("rollback")
    .description("roll every host of a Fleet module back one generation, consumers before producers")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addVerboseFlag(cmd);
  cmd.option("--fail-fast", "stop at the first failing host").action(async (file: string, flags: RollbackFlags) => {
    const json = Boolean(flags.json);
    const progress = liveProgress();
    const out = progress.wrap(processOutput());
    let outcomes;
    try {
      outcomes = await rollbackFleet({
        fleetFile: file,
        ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
        ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
        ...transportOptions(flags),
        failFast: Boolean(flags.failFast),
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        ...(process.env["FLEET_TEST_DIE_AT"] ? { dieAt: process.env["FLEET_TEST_DIE_AT"] } : {}),
        onProgress: (e) => progress.update(e),
        ...(flags.verbose ? { onOutput: (c: OutputChunk) => verboseLines(c).forEach((l) => out.err(l)) } : {}),
        onReport: (o) => progress.done(o.host),
      });
    } catch (e) {
      progress.stop();
      handleRefusal(out, e);
    } finally {
      progress.stop();
    }
    if (json) {
      writeOutcomes("rollback", outcomes);
      if (outcomes.some((o) => o.status !== "ok")) throw new ExitCode(1);
      return;
    }
    const stacks = new Map<string, number>();
    for (const o of outcomes) stacks.set(o.host.stack, (stacks.get(o.host.stack) ?? 0) + 1);
    for (const o of outcomes) reportRolledBack(out, o, (stacks.get(o.host.stack) ?? 0) > 1);
    const ok = outcomes.filter((o) => o.status === "ok").length;
    out.out(`fleet: ${ok}/${outcomes.length} host(s) rolled back`);
    if (ok !== outcomes.length) throw new ExitCode(1);
  });
}
