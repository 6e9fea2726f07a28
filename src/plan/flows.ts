/**
 * Flows (ADR 230): named DAG workflows of the Fleet module, read as data and resolved into
 * topological levels. The checker has already refused unknown action types, unknown `dependsOn`
 * ids and cycles (src/lang/flow-check.ts), so this only reads. Pure.
 */
import { isRecordValue, type RecordValue, type Value } from "../lang/index.js";

export type FlowActionType = "build" | "apply" | "deploy" | "diff" | "status" | "ping" | "exec" | "shell" | "rollback" | "reboot";

export interface FlowAction {
  readonly type: FlowActionType;
  /** `shell`: the local command; `exec`: the remote words. */
  readonly command?: string | readonly string[];
  readonly activate?: boolean;
  readonly enable?: boolean;
  readonly scenario?: string;
  readonly jobs?: number;
  readonly wait?: boolean;
  readonly waitTimeout?: number;
}

export interface FlowStep {
  readonly id: string;
  readonly action: FlowAction;
  /** Absent: the targets given on the command line (`--only`). */
  readonly targets?: readonly string[];
  readonly dependsOn: readonly string[];
  /** A local shell command that must exit 0 for the step to run. */
  readonly condition?: string;
}

export interface Flow {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly FlowStep[];
}

const strings = (v: Value | undefined): string[] => (Array.isArray(v) ? (v as readonly Value[]).filter((x): x is string => typeof x === "string") : []);

function readAction(v: RecordValue): FlowAction {
  const out: Record<string, unknown> = { type: v["type"] };
  if (typeof v["command"] === "string") out["command"] = v["command"];
  else if (Array.isArray(v["command"])) out["command"] = strings(v["command"]);
  for (const k of ["activate", "enable", "wait"]) if (typeof v[k] === "boolean") out[k] = v[k];
  for (const k of ["jobs", "waitTimeout"]) if (typeof v[k] === "number") out[k] = v[k];
  if (typeof v["scenario"] === "string") out["scenario"] = v["scenario"];
  return out as unknown as FlowAction;
}

/** The flows of an evaluated Fleet module, in name order. */
export function readFlows(v: Value | undefined): Flow[] {
  if (!isRecordValue(v)) return [];
  return Object.keys(v)
    .sort()
    .flatMap((name) => {
      const f = v[name];
      if (!isRecordValue(f) || !Array.isArray(f["steps"])) return [];
      const steps = (f["steps"] as readonly Value[]).filter(isRecordValue).flatMap((s): FlowStep[] => {
        if (typeof s["id"] !== "string" || !isRecordValue(s["action"])) return [];
        const cond = s["condition"];
        return [
          {
            id: s["id"],
            action: readAction(s["action"]),
            ...(Array.isArray(s["targets"]) ? { targets: strings(s["targets"]) } : {}),
            dependsOn: strings(s["dependsOn"]),
            ...(isRecordValue(cond) && typeof cond["command"] === "string" ? { condition: cond["command"] } : {}),
          },
        ];
      });
      return [{ name, description: typeof f["description"] === "string" ? f["description"] : "", steps }];
    });
}

/**
 * The steps in topological levels: a step's level is one more than the deepest step it depends
 * on; inside a level, steps keep their fleet-file order. A dependency on an unknown step is
 * ignored and a cycle leaves its steps out (the checker refused both before anything runs).
 */
export function flowLevels(flow: Flow): FlowStep[][] {
  const byId = new Map(flow.steps.map((s) => [s.id, s]));
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (s: FlowStep): number => {
    const known = level.get(s.id);
    if (known !== undefined) return known;
    if (visiting.has(s.id)) return -Infinity;
    visiting.add(s.id);
    let l = 0;
    for (const d of s.dependsOn) {
      const dep = byId.get(d);
      if (dep) l = Math.max(l, levelOf(dep) + 1);
    }
    visiting.delete(s.id);
    level.set(s.id, l);
    return l;
  };
  const levels: FlowStep[][] = [];
  for (const s of flow.steps) {
    const l = levelOf(s);
    if (!Number.isFinite(l)) continue;
    (levels[l] ??= []).push(s);
  }
  return levels.filter((l) => l !== undefined);
}

/** `targets: server, agent` or the seed's `(inherit CLI targets)`. */
export function targetsText(step: FlowStep): string {
  return step.targets === undefined ? "(inherit CLI targets)" : step.targets.join(", ");
}

/** The seed's `--dry-run` execution plan (pleme-fleet README), line for line. */
export function executionPlanLines(flow: Flow): string[] {
  const lines = ["Execution plan (dry-run):", ""];
  flowLevels(flow).forEach((steps, i) => {
    lines.push(`  Level ${i + 1}:`);
    for (const s of steps) {
      lines.push(`    ${s.id} [${s.action.type}] targets: ${targetsText(s)}`);
      if (s.dependsOn.length > 0) lines.push(`      depends_on: ${s.dependsOn.join(", ")}`);
    }
  });
  return lines;
}
