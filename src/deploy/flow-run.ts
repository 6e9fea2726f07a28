/**
 * Running a flow (ADR 232): its steps level by level, in fleet-file order inside a level, one
 * step at a time (a step may own the terminal). A step whose dependency failed or was blocked is
 * blocked; a step whose condition exits non-zero is skipped, and a skipped step satisfies the
 * steps after it. How a step runs is the caller's (cli/flow-steps.ts: it runs children on the terminal). Emits results; never prints.
 */
import { flowLevels, type Flow, type FlowStep } from "../plan/flows.js";

export type StepStatus = "ok" | "failed" | "blocked" | "skipped";

export interface StepRun {
  /** The step's exit code (a fleet command's, a shell's), null when it could not start. */
  readonly exitCode: number | null;
  /** `exit 1`, `killed by SIGTERM`, `could not start: …` when it failed. */
  readonly reason?: string;
  /** The --json document of a fleet command step. */
  readonly result?: unknown;
  /** What a shell step printed, when its output was captured (`--json`). */
  readonly stdout?: string;
}

export interface StepOutcome {
  readonly step: FlowStep;
  /** 1-based, as the execution plan prints it. */
  readonly level: number;
  readonly status: StepStatus;
  readonly reason?: string;
  readonly run?: StepRun;
  readonly durationMs: number;
}

export interface FlowRunner {
  /** Run the step's condition: did it exit 0? `detail` says how it failed. */
  condition(step: FlowStep, command: string): Promise<{ readonly ok: boolean; readonly detail: string }>;
  run(step: FlowStep): Promise<StepRun>;
  onStart?(step: FlowStep, level: number): void;
  onDone?(outcome: StepOutcome): void;
  now(): number;
}

export async function runFlow(flow: Flow, runner: FlowRunner): Promise<StepOutcome[]> {
  const outcomes = new Map<string, StepOutcome>();
  const levels = flowLevels(flow);
  for (const [i, steps] of levels.entries()) {
    for (const step of steps) {
      const outcome = await runOne(step, i + 1, outcomes, runner);
      outcomes.set(step.id, outcome);
      runner.onDone?.(outcome);
    }
  }
  return levels.flat().map((s) => outcomes.get(s.id)!);
}

async function runOne(step: FlowStep, level: number, done: ReadonlyMap<string, StepOutcome>, runner: FlowRunner): Promise<StepOutcome> {
  const stopped = step.dependsOn.map((d) => done.get(d)).find((o) => o !== undefined && (o.status === "failed" || o.status === "blocked"));
  if (stopped) return { step, level, status: "blocked", reason: `blocked by step '${stopped.step.id}' (${stopped.status})`, durationMs: 0 };
  const started = runner.now();
  if (step.condition !== undefined) {
    const c = await runner.condition(step, step.condition);
    if (!c.ok) return { step, level, status: "skipped", reason: `condition '${step.condition}' ${c.detail}`, durationMs: Math.round(runner.now() - started) };
  }
  runner.onStart?.(step, level);
  const run = await runner.run(step);
  const durationMs = Math.round(runner.now() - started);
  if (run.exitCode === 0) return { step, level, status: "ok", run, durationMs };
  return { step, level, status: "failed", reason: run.reason ?? `exit ${run.exitCode}`, run, durationMs };
}
