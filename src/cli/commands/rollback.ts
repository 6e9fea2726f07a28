import type { Command } from "commander";
import { rollbackFleet } from "../../deploy/fleet-rollback.js";
import { ExitCode } from "../exit-code.js";
import { outcomesJson, refusalJson, writeJson } from "../json-report.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { FleetRefusal } from "../../deploy/fleet-load.js";
import { handleRefusal } from "../refusal.js";
import { reportRolledBack } from "../report.js";

interface RollbackFlags extends TargetFlagValues {
  failFast?: boolean;
  jobs: number;
  only?: string[];
  json?: boolean;
  activate?: boolean;
  enable?: boolean;
}

export function registerRollback(program: Command): void {
  const cmd = program
    .command("rollback")
    .description("roll every host of a Fleet module back one generation, consumers before producers")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addJobsFlag(cmd, "roll back");
  cmd.option("--activate", "after each flip, start, restart or stop that host's units as the restored generation requires (ADR 190)");
  cmd.option("--enable", "enable the restored generation's new units, disable those it drops");
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
        activate: Boolean(flags.activate),
        enable: Boolean(flags.enable),
        jobs: flags.jobs,
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        ...(process.env["FLEET_TEST_DIE_AT"] ? { dieAt: process.env["FLEET_TEST_DIE_AT"] } : {}),
        onProgress: (e) => progress.update(e),
        onReport: (o) => progress.done(o.host),
      });
    } catch (e) {
      progress.stop();
      if (json && e instanceof FleetRefusal) writeJson(refusalJson("rollback", e));
      handleRefusal(out, e);
    } finally {
      progress.stop();
    }
    if (json) {
      writeJson(outcomesJson("rollback", outcomes));
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
