import type { Command } from "commander";
import { computePlan, type PlanDetails } from "../../deploy/fleet-plan.js";
import type { HostOutcome } from "../../deploy/outcome.js";
import type { HostRecord } from "../../plan/fleet-model.js";
import { planDot, planHash, type PlanDoc, type PlanHost } from "../../plan/plan-doc.js";
import { ExitCode } from "../exit-code.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJobsFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { explainHost, planDiffsJson, renderPlan } from "../plan-render.js";
import { handleRefusal } from "../refusal.js";
import { reportApplied } from "../report.js";
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
  diff?: boolean;
  includeMaintenance?: boolean;
  detailedExitcode?: boolean;
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command("plan")
    .description("show what apply would do — order, edges, files and store paths per host — writing nothing; exit 1 when a host would fail")
    .argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJobsFlag(cmd, "read");
  cmd
    .option("--json", "the plan as canonical JSON with its plan_hash")
    .option("--dot", "the host graph in Graphviz dot")
    .option("--explain <host>", "why a host (machine, stack or target) is where it is in the order")
    .option("--diff", "also show a unified diff of each changed file against what the target has now (secret files: not shown)")
    .option("--include-maintenance", "plan hosts whose record says lifecycle = \"maintenance\" as apply --include-maintenance would deploy them")
    .option("--detailed-exitcode", "exit 2 when the plan has changes (0: none, 1: a host would fail)")
    .option("--tls-certs <dir>", "certificates, as for apply")
    .option("--vault-secrets <file>", "vault export, as for apply");
  addRolloutFlags(cmd, false)
    .action(async (file: string, flags: PlanFlags) => {
      const out = processOutput();
      const details: PlanDetails = new Map();
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
          diff: Boolean(flags.diff),
          includeMaintenance: Boolean(flags.includeMaintenance),
        }, details);
      } catch (e) {
        handleRefusal(out, e);
      }
      const failing = doc.hosts.filter((h) => h.status !== "ready" && h.status !== "skipped");
      if (flags.json) {
        writeJsonDocument("plan", failing.length === 0, {
          ...doc,
          plan_hash: planHash(doc),
          ...(flags.diff ? { diffs: planDiffsJson(doc, details) } : {}),
        });
      } else if (flags.dot) process.stdout.write(planDot(doc));
      else if (flags.explain !== undefined) process.stdout.write(explainHost(doc, flags.explain));
      else {
        process.stdout.write(renderPlan(doc, planHash(doc), flags.diff ? details : undefined));
        for (const h of doc.hosts) if (h.status !== "ready") reportApplied(out, wouldFail(h, details));
      }
      if (failing.length > 0) throw new ExitCode(1);
      if (flags.detailedExitcode && hasChanges(doc)) throw new ExitCode(2);
    });
}

/** Terraform's `-detailed-exitcode`: any file or store path to write, or a host never deployed. */
export function hasChanges(doc: PlanDoc): boolean {
  return doc.hosts.some((h) => h.status !== "skipped" && (h.generation === null || h.add.length + h.change.length + h.remove.length + h.push.length > 0));
}

/** A host the plan says would fail, as the outcome apply would report (for the same `✗` lines). */
function wouldFail(h: PlanHost, details: PlanDetails): HostOutcome {
  const d = details.get(h.position);
  const host: HostRecord = { index: h.position, file: "", stack: h.stack, target: h.target, machine: h.machine, tags: h.tags };
  return {
    host,
    status: h.status === "blocked" ? "blocked" : h.status === "skipped" ? "skipped" : "failed",
    reason: d?.reason ?? h.error ?? h.status,
    ...(d?.code !== undefined ? { code: d.code } : {}),
    ...(d?.diagnostics !== undefined && d.diagnostics.length > 0 ? { diagnostics: d.diagnostics, sources: d.sources ?? [] } : {}),
    warnings: [],
  };
}
