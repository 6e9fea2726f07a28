import type { Command } from "commander";
import type { OutputChunk } from "../../deploy/outcome.js";
import { rollbackFleet } from "../../deploy/fleet-rollback.js";
import { ExitCode } from "../exit-code.js";
import { watchInterrupts } from "../interrupt.js";
import { dieAtOption } from "../kill-points.js";
import type { HostOutcome } from "../../deploy/outcome.js";
import type { HostRecord } from "../../plan/fleet-model.js";
import { writeOutcomes } from "../json-report.js";
import { addJobsFlag, addRunsDirFlag, addVerboseFlag, addJsonFlag, addOnlyFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { handleRefusal } from "../refusal.js";
import { reportRolledBack, summaryCounts, summaryLine, verboseLines } from "../report.js";
import { openRunLog } from "../run-log.js";
import { counts } from "../json-report.js";

interface RollbackFlags extends TargetFlagValues {
  failFast?: boolean;
  jobs: number;
  only?: string[];
  includeMaintenance?: boolean;
  json?: boolean;
  verbose?: boolean;
  runsDir?: string;
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
  addVerboseFlag(cmd);
  addRunsDirFlag(cmd);
  addJobsFlag(cmd, "roll back");
  cmd.option("--include-maintenance", "also roll back hosts whose record says lifecycle = \"maintenance\"");
  cmd.option("--activate", "after each flip, start, restart or stop that host's units as the restored generation requires (ADR 190)");
  cmd.option("--enable", "enable the restored generation's new units, disable those it drops");
  cmd.option("--fail-fast", "stop at the first failing host").action(async (file: string, flags: RollbackFlags) => {
    const json = Boolean(flags.json);
    // The per-host activation line (ADR 237): on a terminal or with -v; off a TTY the report keeps its bytes.
    const style = { activation: Boolean(flags.verbose) || Boolean(process.stdout.isTTY) };
    const progress = liveProgress({ title: "fleet rollback" });
    const out = progress.wrap(processOutput());
    // Rollback prints its lines at the end; an interrupt prints those of the hosts that finished.
    let planned: readonly HostRecord[] = [];
    const shared = (o: HostOutcome): boolean => planned.filter((h) => h.stack === o.host.stack).length > 1;
    const watch = watchInterrupts("rollback", out, (o) => (json ? undefined : reportRolledBack(out, o, shared(o), style)), {
      beforeReport: () => progress.stop(),
      json,
    });
    const log = openRunLog("rollback", file, flags.runsDir, (l) => out.err(l));
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
        includeMaintenance: Boolean(flags.includeMaintenance),
        ...dieAtOption(),
        onPlan: (hosts) => {
          planned = hosts;
          watch.plan(hosts);
          progress.plan(hosts);
        },
        onFinish: (o) => {
          watch.finished(o);
          progress.finished(o.host, o.status);
        },
        onProgress: (e) => {
          watch.progress(e);
          log.phase(e);
          progress.update(e);
        },
        ...(flags.verbose ? { onOutput: (c: OutputChunk) => verboseLines(c).forEach((l) => out.err(l)) } : {}),
        onReport: (o) => {
          log.hostDone(o);
          progress.done(o.host, o.status);
        },
      });
    } catch (e) {
      progress.stop();
      log.end({ total: 0 }, 1);
      handleRefusal(out, e);
    } finally {
      progress.stop();
      watch.stop();
    }
    log.end(counts(outcomes.map((o) => o.status), ["ok", "failed", "blocked", "not-attempted", "rolled-back"]), outcomes.every((o) => o.status === "ok") ? 0 : 1);
    if (json) {
      writeOutcomes("rollback", outcomes, log);
      if (outcomes.some((o) => o.status !== "ok" && o.status !== "skipped")) throw new ExitCode(1);
      return;
    }
    const stacks = new Map<string, number>();
    for (const o of outcomes) stacks.set(o.host.stack, (stacks.get(o.host.stack) ?? 0) + 1);
    for (const o of outcomes) reportRolledBack(out, o, (stacks.get(o.host.stack) ?? 0) > 1, style);
    const { ok, counted } = summaryCounts(outcomes);
    out.out(summaryLine(outcomes, "rolled back"));
    if (ok !== counted) throw new ExitCode(1);
  });
}
