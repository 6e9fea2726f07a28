/**
 * How a flow step runs (ADR 232): a fleet action is the matching fleet command, run as a child
 * `fleet` process with the flow's target flags, the step's targets as `--only` and the action's
 * fields as flags, so a step prints, refuses and exits exactly as that command does; a `shell`
 * step and a condition run locally in the fleet file's directory. Spawns local processes only; it
 * lives in cli/ because the children share fleet's terminal (their output is the command's output).
 */
import { spawn } from "node:child_process";
import type { FlowStep } from "../plan/flows.js";
import type { StepRun } from "../deploy/flow-run.js";

export interface StepContext {
  readonly fleetFile: string;
  readonly fleetDir: string;
  readonly flow: string;
  /** How to start this fleet: `[node, bin/fleet.js]`. */
  readonly self: readonly string[];
  /** `--only` of the command line: the targets of a step without its own. */
  readonly only?: readonly string[];
  /** `--all` of the command line, for exec and reboot steps without targets. */
  readonly all: boolean;
  /** The command line's flags that `command` also takes, as arguments. */
  readonly passthrough: (command: string) => readonly string[];
  /** Capture each step's --json document (and a shell step's stdout) instead of showing it. */
  readonly json: boolean;
}

/** The fleet command of a step's action (`deploy` is pleme-fleet's `apply`). */
export function stepCommand(step: FlowStep): string | undefined {
  const t = step.action.type;
  if (t === "shell") return undefined;
  return t === "deploy" ? "apply" : t;
}

function targetsOf(step: FlowStep, ctx: StepContext): readonly string[] | undefined {
  return step.targets ?? (ctx.only && ctx.only.length > 0 ? ctx.only : undefined);
}

/** The arguments of the child `fleet` of a fleet action step. */
export function stepArgs(step: FlowStep, ctx: StepContext): string[] {
  const command = stepCommand(step)!;
  const a = step.action;
  const args = [command, ctx.fleetFile, ...ctx.passthrough(command)];
  const targets = targetsOf(step, ctx);
  if (targets !== undefined) args.push("--only", targets.join(","));
  else if (ctx.all && (command === "exec" || command === "reboot")) args.push("--all");
  if (a.activate) args.push("--activate");
  if (a.enable) args.push("--enable");
  if (a.scenario !== undefined) args.push("--scenario", a.scenario);
  if (a.jobs !== undefined) args.push("--jobs", String(a.jobs));
  if (a.wait === false) args.push("--no-wait");
  if (a.waitTimeout !== undefined) args.push("--wait-timeout", String(a.waitTimeout));
  if (ctx.json) args.push("--json");
  if (command === "exec") args.push("--", ...(Array.isArray(a.command) ? a.command : []));
  return args;
}

function stepEnv(step: FlowStep, ctx: StepContext): NodeJS.ProcessEnv {
  return { ...process.env, FLEET_FLOW: ctx.flow, FLEET_STEP: step.id, FLEET_TARGETS: (targetsOf(step, ctx) ?? []).join(",") };
}

function how(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit ${code}`;
}

/** Run a step: a child fleet for a fleet action, `/bin/sh -c` for a shell step. */
export function runStep(step: FlowStep, ctx: StepContext): Promise<StepRun> {
  const command = stepCommand(step);
  const [file, ...pre] = command === undefined ? ["/bin/sh", "-c", String(step.action.command ?? "")] : [...ctx.self, ...stepArgs(step, ctx)];
  return new Promise((resolve) => {
    // An interactive shell step owns the terminal; under --json only stdout is kept for the document.
    const child = spawn(file!, pre, {
      cwd: command === undefined ? ctx.fleetDir : process.cwd(),
      env: stepEnv(step, ctx),
      stdio: ["inherit", ctx.json ? "pipe" : "inherit", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", (e) => resolve({ exitCode: null, reason: `could not start: ${e.message}` }));
    child.on("close", (code, signal) => {
      const stdout = Buffer.concat(chunks).toString("utf8");
      const base: StepRun = { exitCode: signal ? null : code, ...(code === 0 ? {} : { reason: how(code, signal) }) };
      if (!ctx.json) return resolve(base);
      if (command === undefined) return resolve({ ...base, stdout });
      let result: unknown;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = undefined;
      }
      resolve(result !== undefined ? { ...base, result } : base);
    });
  });
}

/** A step's condition: `/bin/sh -c` in the fleet file's directory, its output not shown. */
export function runCondition(step: FlowStep, command: string, ctx: StepContext): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], { cwd: ctx.fleetDir, env: stepEnv(step, ctx), stdio: ["ignore", "ignore", "ignore"] });
    child.on("error", (e) => resolve({ ok: false, detail: `could not start: ${e.message}` }));
    child.on("close", (code, signal) => resolve({ ok: code === 0, detail: signal ? `was killed by ${signal}` : `exited ${code}` }));
  });
}
