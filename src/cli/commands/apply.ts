import type { Command } from "commander";
import { applyFleet } from "../../deploy/fleet-apply.js";
import { ExitCode } from "../exit-code.js";
import { outcomesJson, refusalJson, writeJson } from "../json-report.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { FleetRefusal } from "../../deploy/fleet-load.js";
import { handleRefusal } from "../refusal.js";
import { reportApplied } from "../report.js";
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
  scenario: string[];
  json?: boolean;
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
  addJobsFlag(cmd, "deploy");
  cmd
    .option("--dry-run", "compute and record every store path, build and push nothing (needs --transport-root)")
    .option("--fail-fast", "stop launching new deploys at the first failing host")
    .option("--tls-certs <dir>", "pre-supplied certificates: DIR/<domain>/{fullchain,privkey}.pem")
    .option("--vault-secrets <file>", "JSON {ref: value} resolving each host's {from_vault = \"REF\"}")
    .option("--activate", "after each flip, daemon-reload and restart that host's units")
    .option("--enable", "also systemctl enable each unit")
    .option("--expect-plan <hash>", "refuse (exit 1, nothing touched) unless 'fleet plan --json' still gives this plan_hash")
    .option("--no-auto-rollback", "keep the new generation when a health check fails (report the failure)");
  addRolloutFlags(cmd, true)
    .action(async (file: string, flags: ApplyFlags) => {
      const json = Boolean(flags.json);
      const progress = liveProgress();
      const out = progress.wrap(processOutput());
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
          rollout: rolloutFlags(flags),
          rollbackOnHalt: Boolean(flags.rollbackOnHalt),
          onRollout: rollout.onRollout,
          clock: () => new Date(),
          ...(process.env["FLEET_TEST_DIE_AT"] ? { dieAt: process.env["FLEET_TEST_DIE_AT"] } : {}),
          onProgress: (e) => progress.update(e),
          onReport: (o) => {
            progress.done(o.host);
            if (!json) reportApplied(out, o);
          },
        });
      } catch (e) {
        progress.stop();
        if (json && e instanceof FleetRefusal) writeJson(refusalJson("apply", e));
        handleRefusal(out, e);
      } finally {
        progress.stop();
      }
      const ok = outcomes.filter((o) => o.status === "ok").length;
      const summary = rollout.summary();
      if (json) writeJson(summary ? withRolloutJson(outcomesJson("apply", outcomes), outcomes, summary, Boolean(flags.rollbackOnHalt)) : outcomesJson("apply", outcomes));
      else out.out(`fleet: ${ok}/${outcomes.length} host(s) deployed`);
      rollout.finish();
      if (ok !== outcomes.length) throw new ExitCode(1);
    });
}
