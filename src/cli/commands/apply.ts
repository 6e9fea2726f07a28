import { InvalidArgumentError, type Command } from "commander";
import type { OutputChunk } from "../../deploy/outcome.js";
import { applyFleet } from "../../deploy/fleet-apply.js";
import { ExitCode } from "../exit-code.js";
import { watchInterrupts } from "../interrupt.js";
import { dieAtOption } from "../kill-points.js";
import { outcomesJson } from "../json-report.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJobsFlag, addRunsDirFlag, addVerboseFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { handleRefusal } from "../refusal.js";
import { reportApplied, summaryCounts, summaryLine, verboseLines } from "../report.js";
import { openRunLog } from "../run-log.js";
import { counts } from "../json-report.js";
import { addRolloutFlags, rolloutFlags, type RolloutFlagValues } from "../rollout-flags.js";
import { rolloutPrinter, withRolloutJson } from "../rollout-report.js";

interface ApplyFlags extends TargetFlagValues, RolloutFlagValues {
  dryRun?: boolean;
  failFast?: boolean;
  jobs: number;
  tlsCerts?: string;
  vaultSecrets?: string;
  activate?: boolean;
  enable?: boolean;
  autoRollback: boolean;
  expectPlan?: string;
  only?: string[];
  includeMaintenance?: boolean;
  scenario: string[];
  json?: boolean;
  verbose?: boolean;
  runsDir?: string;
}

/** A plan_hash is 64 hex digits; anything shorter could never match, so it is a usage error. */
function planHashArg(v: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError("give the full 64-hex-digit plan_hash printed by 'fleet plan --json'");
  return v;
}

export function registerApply(program: Command): void {
  const cmd = program
    .command("apply")
    .description("deploy every host of a Fleet module, in artifact order, each atomically")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addVerboseFlag(cmd);
  addRunsDirFlag(cmd);
  addJobsFlag(cmd, "deploy");
  cmd
    .option("--dry-run", "compute and record every store path, build and push nothing (needs --transport-root)")
    .option("--fail-fast", "stop launching new deploys at the first failing host")
    .option("--tls-certs <dir>", "pre-supplied certificates: DIR/<domain>/{fullchain,privkey}.pem")
    .option("--vault-secrets <file>", "JSON {ref: value} resolving each host's {from_vault = \"REF\"}")
    .option("--activate", "after each flip, daemon-reload and restart that host's units")
    .option("--enable", "also systemctl enable each unit")
    .option("--expect-plan <hash>", "refuse (exit 1, nothing touched) unless 'fleet plan --json' still gives this plan_hash", planHashArg)
    .option("--include-maintenance", "also deploy hosts whose record says lifecycle = \"maintenance\"")
    .option("--no-auto-rollback", "keep the new generation when a health check fails (report the failure)");
  addRolloutFlags(cmd, true)
    .action(async (file: string, flags: ApplyFlags) => {
      const json = Boolean(flags.json);
      // The per-host activation line (ADR 237): on a terminal or with -v; off a TTY the report keeps its bytes.
      const style = { activation: Boolean(flags.verbose) || Boolean(process.stdout.isTTY) };
      const progress = liveProgress({ title: "fleet apply" });
      const out = progress.wrap(processOutput());
      const watch = watchInterrupts("apply", out, (o) => (json ? undefined : reportApplied(out, o, style)), { beforeReport: () => progress.stop(), json });
      const log = openRunLog("apply", file, flags.runsDir, (l) => out.err(l));
      const rollout = rolloutPrinter(out, json, (h) => progress.done(h));
      let outcomes;
      try {
        outcomes = await applyFleet({
          fleetFile: file,
          scenarios: flags.scenario,
          ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
          ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
          ...transportOptions(flags),
          dryRun: Boolean(flags.dryRun),
          failFast: Boolean(flags.failFast),
          jobs: flags.jobs,
          ...(flags.tlsCerts !== undefined ? { tlsCerts: flags.tlsCerts } : {}),
          ...(flags.vaultSecrets !== undefined ? { vaultSecrets: flags.vaultSecrets } : {}),
          activate: Boolean(flags.activate),
          enable: Boolean(flags.enable),
          autoRollback: flags.autoRollback,
          ...(flags.expectPlan !== undefined ? { expectPlan: flags.expectPlan } : {}),
          ...(flags.only !== undefined ? { only: flags.only } : {}),
          includeMaintenance: Boolean(flags.includeMaintenance),
          rollout: rolloutFlags(flags),
          rollbackOnHalt: Boolean(flags.rollbackOnHalt),
          onRollout: rollout.onRollout,
          clock: () => new Date(),
          ...dieAtOption(),
          onPlan: (hosts) => {
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
            watch.reported(o);
            log.hostDone(o);
            progress.done(o.host, o.status);
            if (!json) reportApplied(out, o, style);
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
      const { ok, counted } = summaryCounts(outcomes);
      log.end(counts(outcomes.map((o) => o.status), ["ok", "failed", "blocked", "not-attempted", "rolled-back", "skipped"]), ok === counted ? 0 : 1);
      const summary = rollout.summary();
      const body = outcomesJson("apply", outcomes, (h) => log.durationOf(h), log.id);
      if (json) writeJsonDocument("apply", ok === counted, (summary ? withRolloutJson(body, outcomes, summary, Boolean(flags.rollbackOnHalt)) : body) as Record<string, unknown>);
      else out.out(summaryLine(outcomes, "deployed"));
      rollout.finish();
      if (ok !== counted) throw new ExitCode(1);
    });
}
