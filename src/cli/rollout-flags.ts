/** The staged-rollout flags of `apply` and `plan` (ADR 160), declared and parsed once. */
import { InvalidArgumentError, type Command } from "commander";
import { parseHostCount, type HostCount, type RolloutFlags } from "../plan/rollout.js";

export interface RolloutFlagValues {
  waves?: HostCount[];
  maxFailed?: HostCount;
  soak?: number;
  rollbackOnHalt?: boolean;
}

function waves(v: string): HostCount[] {
  const parts = v.split(",").map((p) => p.trim());
  const sizes = parts.map((p) => parseHostCount(p, 1));
  const bad = parts.filter((_, i) => sizes[i] === undefined);
  if (bad.length > 0 || parts.length === 0) {
    throw new InvalidArgumentError(`--waves takes wave sizes separated by commas, each a whole number ≥ 1 or a percentage from 1% to 100% (e.g. 1,10%,50%); not ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  }
  return sizes as HostCount[];
}

function maxFailed(v: string): HostCount {
  const c = parseHostCount(v, 0);
  if (c === undefined) throw new InvalidArgumentError(`--max-failed takes a whole number ≥ 0 or a percentage from 0% to 100%, not ${JSON.stringify(v)}`);
  return c;
}

function seconds(v: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`--soak takes whole seconds ≥ 0, not ${JSON.stringify(v)}`);
  return Number(v);
}

/** `--waves`, `--max-failed`, `--soak`; apply also gets `--rollback-on-halt`. */
export function addRolloutFlags(cmd: Command, apply: boolean): Command {
  cmd
    .option("--waves <sizes>", "staged rollout: cut the hosts, in plan order, into waves of these sizes (e.g. 1,10%,50%; the last repeats)", waves)
    .option("--max-failed <n|p%>", "rollout failure budget: halt when more hosts than this fail (default 0)", maxFailed)
    .option("--soak <seconds>", "after each wave, wait this long and run its health checks again", seconds);
  if (apply) cmd.option("--rollback-on-halt", "when the rollout halts, roll back every host it moved to a new generation");
  return cmd;
}

export function rolloutFlags(f: RolloutFlagValues): RolloutFlags {
  return {
    ...(f.waves !== undefined ? { waves: f.waves } : {}),
    ...(f.maxFailed !== undefined ? { maxFailed: f.maxFailed } : {}),
    ...(f.soak !== undefined ? { soak: f.soak } : {}),
  };
}
