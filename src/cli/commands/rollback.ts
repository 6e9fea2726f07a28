import type { Command } from "commander";
import { rollbackFleet } from "../../deploy/fleet-rollback.js";
import { ExitCode } from "../exit-code.js";
import { watchInterrupts } from "../interrupt.js";
import { dieAtOption } from "../kill-points.js";
import type { HostOutcome } from "../../deploy/outcome.js";
import type { HostRecord } from "../../plan/fleet-model.js";
import { outcomesJson, refusalJson, writeJson } from "../json-report.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { FleetRefusal } from "../../deploy/fleet-load.js";
import { handleRefusal } from "../refusal.js";
import { reportRolledBack, summaryCounts } from "../report.js";

interface RollbackFlags extends TargetFlagValues {
  failFast?: boolean;
  jobs: number;
  only?: string[];
  includeMaintenance?: boolean;
  json?: boolean;
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
  cmd.option("--include-maintenance", "also roll back hosts whose record says lifecycle = \"maintenance\"");
  cmd.option("--fail-fast", "stop at the first failing host").action(async (file: string, flags: RollbackFlags) => {
    const json = Boolean(flags.json);
    const progress = liveProgress();
    const out = progress.wrap(processOutput());
    // Rollback prints its lines at the end; an interrupt prints those of the hosts that finished.
    let planned: readonly HostRecord[] = [];
    const shared = (o: HostOutcome): boolean => planned.filter((h) => h.stack === o.host.stack).length > 1;
    const watch = watchInterrupts("rollback", out, (o) => (json ? undefined : reportRolledBack(out, o, shared(o))), {
      beforeReport: () => progress.stop(),
      json,
    });
    let outcomes;
    try {
      outcomes = await rollbackFleet({
        fleetFile: file,
        ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
        ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
        ...transportOptions(flags),
        failFast: Boolean(flags.failFast),
        jobs: flags.jobs,
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        includeMaintenance: Boolean(flags.includeMaintenance),
        ...dieAtOption(),
        onPlan: (hosts) => {
          planned = hosts;
          watch.plan(hosts);
        },
        onFinish: watch.finished,
        onProgress: (e) => {
          watch.progress(e);
          progress.update(e);
        },
        onReport: (o) => progress.done(o.host),
      });
    } catch (e) {
      progress.stop();
      if (json && e instanceof FleetRefusal) writeJson(refusalJson("rollback", e));
      handleRefusal(out, e);
    } finally {
      progress.stop();
      watch.stop();
    }
    if (json) {
      writeJson(outcomesJson("rollback", outcomes));
      if (outcomes.some((o) => o.status !== "ok" && o.status !== "skipped")) throw new ExitCode(1);
      return;
    }
    const stacks = new Map<string, number>();
    for (const o of outcomes) stacks.set(o.host.stack, (stacks.get(o.host.stack) ?? 0) + 1);
    for (const o of outcomes) reportRolledBack(out, o, (stacks.get(o.host.stack) ?? 0) > 1);
    const { ok, counted, suffix } = summaryCounts(outcomes);
    out.out(`fleet: ${ok}/${counted} host(s) rolled back${suffix}`);
    if (ok !== counted) throw new ExitCode(1);
  });
}
