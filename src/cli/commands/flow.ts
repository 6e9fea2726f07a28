/**
 * `fleet flow list FLEET` and `fleet flow run FLEET NAME [--dry-run]` (issue 14, ADR 230–232):
 * the Fleet module's DAG workflows. A run resolves the steps into topological levels and runs
 * them level by level, each fleet action as the matching fleet command.
 */
import { fleetMessages } from "../../fleet-messages.js";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { runFlow, type StepOutcome } from "../../deploy/flow-run.js";
import { runCondition, runStep, type StepContext } from "../flow-steps.js";
import { loadFleetFile } from "../../load/fleet-load.js";
import { UsageError } from "../../fleet-error.js";
import { closest } from "../../lang/index.js";
import { executionPlanLines, flowLevels, targetsText, type Flow, type FlowStep } from "../../plan/flows.js";
import { ExitCode } from "../exit-code.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags } from "../options.js";
import { processOutput, type Output } from "../output.js";
import { handleRefusal } from "../refusal.js";

interface FlowFlags {
  json?: boolean;
  dryRun?: boolean;
  only?: string[];
  all?: boolean;
  scenario: string[];
}

/** Flags of `flow run` that are the run's own, never handed to a step's command. */
const OWN = new Set(["--json", "--dry-run", "--only", "--all"]);

function loadFlows(out: Output, file: string, scenarios: readonly string[]): readonly Flow[] {
  try {
    return loadFleetFile(file, scenarios).model.flows;
  } catch (e) {
    handleRefusal(out, e);
  }
}

function findFlow(flows: readonly Flow[], name: string): Flow {
  const flow = flows.find((f) => f.name === name);
  if (flow) return flow;
  const names = flows.map((f) => f.name);
  const c = closest(name, names);
  throw new UsageError(
    fleetMessages.noSuchFlow(name, c !== undefined ? `; did you mean '${c}'?` : "", names.join(", ") || "none; add flows = { … } to the Fleet module"),
  );
}

/**
 * The flags given to `flow run` on the command line that `command` also takes, as arguments:
 * read from commander, so a flag added to both later is handed on without an edit here.
 */
function passthroughFor(run: Command): (command: string) => string[] {
  const root = run.parent?.parent;
  return (command) => {
    const target = root?.commands.find((c) => c.name() === command);
    if (!target) return [];
    const takes = new Set(target.options.map((o) => o.long));
    const args: string[] = [];
    for (const o of run.options) {
      if (o.long === undefined || OWN.has(o.long) || !takes.has(o.long)) continue;
      const key = o.attributeName();
      if (run.getOptionValueSource(key) !== "cli") continue;
      const v: unknown = run.getOptionValue(key);
      if (v === true) args.push(o.long);
      else if (Array.isArray(v)) for (const x of v) args.push(o.long, String(x));
      else if (v !== undefined && v !== false) args.push(o.long, String(v));
    }
    return args;
  };
}

function stepJson(s: FlowStep, level: number, o: StepOutcome | undefined) {
  return {
    id: s.id,
    type: s.action.type,
    level,
    targets: s.targets !== undefined ? [...s.targets] : null,
    depends_on: [...s.dependsOn],
    condition: s.condition ?? null,
    status: o?.status ?? "planned",
    reason: o?.reason ?? null,
    exit_code: o?.run?.exitCode ?? null,
    duration_ms: o?.durationMs ?? null,
    result: o?.run?.result ?? null,
    stdout: o?.run?.stdout ?? null,
  };
}

export function registerFlow(program: Command): void {
  const flow = program.command("flow").description("the Fleet module's DAG workflows: list them, or run one level by level");

  const list = flow.command("list").description("list the flows of a fleet with their descriptions").argument("<file>", "fleet file (defines module Fleet)");
  addScenarioFlag(list);
  addJsonFlag(list);
  list.action((file: string, flags: FlowFlags) => {
    const out = processOutput();
    const flows = loadFlows(out, file, flags.scenario);
    if (flags.json) {
      writeJsonDocument("flow-list", true, {
        flows: flows.map((f) => ({ name: f.name, description: f.description, steps: f.steps.length, levels: flowLevels(f).length })),
      });
      return;
    }
    if (flows.length === 0) {
      out.err("fleet: this fleet has no flows (add flows = { NAME = { description = \"…\" steps = [ … ] } } to the Fleet module)");
      return;
    }
    const width = Math.max(...flows.map((f) => f.name.length));
    for (const f of flows) out.out(`${f.name.padEnd(width)}  ${f.description || "(no description)"} (${f.steps.length} step(s))`);
  });

  const run = flow
    .command("run")
    .description("run a flow: its steps in topological levels; a failed step blocks the steps that depend on it")
    .argument("<file>", "fleet file (defines module Fleet)")
    .argument("<name>", "the flow to run")
    .option("--dry-run", "print the execution plan, run nothing")
    .option("--all", "let exec and reboot steps without targets run on every host (without --only)")
    .option("--include-maintenance", "let apply, rollback and build steps also work on maintenance hosts");
  addTargetFlags(run);
  addScenarioFlag(run);
  addOnlyFlag(run);
  addJsonFlag(run);
  addJobsFlag(run, "work on");
  run.action(async (file: string, name: string, flags: FlowFlags) => {
    const out = processOutput();
    const f = findFlow(loadFlows(out, file, flags.scenario), name);
    const levels = flowLevels(f);
    const levelOf = new Map(levels.flatMap((steps, i) => steps.map((s) => [s.id, i + 1] as const)));
    if (flags.dryRun) {
      if (flags.json) {
        writeJsonDocument("flow-run", true, {
          flow: f.name,
          description: f.description,
          dry_run: true,
          levels: levels.map((l) => l.map((s) => s.id)),
          steps: levels.flatMap((l, i) => l.map((s) => stepJson(s, i + 1, undefined))),
          summary: { total: f.steps.length, ok: 0, failed: 0, blocked: 0, skipped: 0 },
        });
      } else for (const l of executionPlanLines(f)) out.out(l);
      return;
    }
    const json = Boolean(flags.json);
    const ctx: StepContext = {
      fleetFile: file,
      fleetDir: dirname(resolve(file)),
      flow: f.name,
      self: [process.execPath, ...process.execArgv, process.argv[1]!],
      ...(flags.only !== undefined ? { only: flags.only.flatMap((o) => o.split(",")).filter((o) => o !== "") } : {}),
      all: Boolean(flags.all),
      passthrough: passthroughFor(run),
      json,
    };
    let shownLevel = 0;
    const level = (l: number) => {
      if (json || l === shownLevel) return;
      shownLevel = l;
      out.out(`Level ${l}:`);
    };
    const outcomes = await runFlow(f, {
      condition: (step, command) => runCondition(step, command, ctx),
      run: (step) => runStep(step, ctx),
      now: () => performance.now(),
      onStart: (step, l) => {
        level(l);
        if (!json) out.out(`▸ step ${step.id} [${step.action.type}] targets: ${targetsText(step)}`);
      },
      onDone: (o) => {
        level(o.level);
        if (json) return;
        if (o.status === "ok") out.out(`${out.green("✓")} step ${o.step.id}`);
        else if (o.status === "failed") out.err(`${out.red("✗")} step ${o.step.id}: ${o.reason}`);
        else out.err(`${out.dim("⊘")} step ${o.step.id}: ${o.status === "skipped" ? `skipped (${o.reason})` : o.reason}`);
      },
    });
    const count = (s: StepOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
    const summary = { total: outcomes.length, ok: count("ok"), failed: count("failed"), blocked: count("blocked"), skipped: count("skipped") };
    const ok = summary.failed === 0 && summary.blocked === 0;
    if (json) {
      const byId = new Map(outcomes.map((o) => [o.step.id, o]));
      writeJsonDocument("flow-run", ok, {
        flow: f.name,
        description: f.description,
        dry_run: false,
        levels: levels.map((l) => l.map((s) => s.id)),
        steps: levels.flatMap((l) => l.map((s) => stepJson(s, levelOf.get(s.id)!, byId.get(s.id)))),
        summary,
      });
    } else {
      out.out(`fleet: flow ${f.name}: ${summary.ok} ok, ${summary.failed} failed, ${summary.blocked} blocked, ${summary.skipped} skipped`);
    }
    if (!ok) throw new ExitCode(1);
  });
}
