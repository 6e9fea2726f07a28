import type { Command } from "commander";
import { computePlan } from "../../deploy/fleet-plan.js";
import { planDot, planHash, planJson } from "../../plan/plan-doc.js";
import { addJobsFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { explainHost, renderPlan } from "../plan-render.js";
import { handleRefusal } from "../refusal.js";
import { addRolloutFlags, rolloutFlags, type RolloutFlagValues } from "../rollout-flags.js";

interface PlanFlags extends TargetFlagValues, RolloutFlagValues {
  scenario: string[];
  only: string[];
  jobs: number;
  json?: boolean;
  dot?: boolean;
  explain?: string;
  tlsCerts?: string;
  vaultSecrets?: string;
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command("plan")
    .description("show what apply would do — order, edges, files and store paths per host — writing nothing")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJobsFlag(cmd, "read");
  cmd
    .option("--json", "the plan as canonical JSON with its plan_hash")
    .option("--dot", "the host graph in Graphviz dot")
    .option("--explain <host>", "why a host (machine, stack or target) is where it is in the order")
    .option("--tls-certs <dir>", "certificates, as for apply")
    .option("--vault-secrets <file>", "vault export, as for apply");
  addRolloutFlags(cmd, false)
    .action(async (file: string, flags: PlanFlags) => {
      const out = processOutput();
      let doc;
      try {
        doc = await computePlan({
          fleetFile: file,
          scenarios: flags.scenario,
          only: flags.only,
          rollout: rolloutFlags(flags),
          jobs: flags.jobs,
          ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
          ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
          ...(flags.tlsCerts !== undefined ? { tlsCerts: flags.tlsCerts } : {}),
          ...(flags.vaultSecrets !== undefined ? { vaultSecrets: flags.vaultSecrets } : {}),
          ...transportOptions(flags),
        });
      } catch (e) {
        handleRefusal(out, e);
      }
      if (flags.json) process.stdout.write(planJson(doc));
      else if (flags.dot) process.stdout.write(planDot(doc));
      else if (flags.explain !== undefined) process.stdout.write(explainHost(doc, flags.explain));
      else process.stdout.write(renderPlan(doc, planHash(doc)));
    });
}
