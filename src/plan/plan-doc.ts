/**
 * The plan document of `fleet plan` (SPEC §7): levels, edges, per-host file changes and store
 * paths to push, and `plan_hash` — the sha256 of the canonical JSON of everything else. Pure.
 * It names hosts by the target written in the host record, paths as the target sees them, PCL
 * locations relative to the fleet directory, and nothing of the machine running fleet.
 */
import { createHash } from "node:crypto";
import { canonicalJson as canonical } from "../canonical-json.js";

export interface PlanHostId {
  readonly stack: string;
  readonly target: string;
}

export interface PlanFile {
  readonly path: string;
  readonly mode: string;
  /** Absent for a secret file (never hashed into the plan). */
  readonly sha256?: string;
  readonly secret?: true;
}

export interface PlanHost extends PlanHostId {
  readonly machine: string | null;
  readonly tags: readonly string[];
  readonly position: number;
  readonly level: number;
  /** ready: would deploy; failed: would fail before touching it; blocked: a producer would not be ok; skipped: maintenance (ADR 236). */
  readonly status: "ready" | "failed" | "blocked" | "skipped";
  readonly error?: string;
  readonly generation: number | null;
  readonly add: readonly PlanFile[];
  readonly change: readonly PlanFile[];
  readonly remove: readonly { readonly path: string }[];
  /** Store paths to push, by base name. */
  readonly push: readonly string[];
  readonly artifacts_consumed: readonly string[];
  readonly artifacts_produced: readonly string[];
}

export interface PlanEdge {
  readonly producer: PlanHostId;
  readonly consumer: PlanHostId;
  readonly artifact: string;
  /** `hosts/dns.pcl:3:5`, where the consumer references it. */
  readonly at: string;
}

/** The waves of a staged rollout (ADR 160); absent from a plan without one. */
export interface PlanRollout {
  /** Each wave's hosts, in plan order. */
  readonly waves: readonly (readonly PlanHostId[])[];
  /** The wave sizes as asked for (`1`, `30%`); the last repeats. */
  readonly sizes: readonly string[];
  /** The failure budget as asked for, and in hosts. */
  readonly max_failed: string;
  readonly budget: number;
  /** Seconds; 0 = no soak re-check. */
  readonly soak: number;
}

export interface PlanDoc {
  readonly fleet: string;
  readonly scenarios: readonly string[];
  readonly only: readonly string[];
  readonly levels: readonly (readonly PlanHostId[])[];
  readonly edges: readonly PlanEdge[];
  /** In deploy order. */
  readonly hosts: readonly PlanHost[];
  readonly rollout?: PlanRollout;
}

export function planHash(doc: PlanDoc): string {
  return createHash("sha256").update(canonical(doc)).digest("hex");
}

export function planJson(doc: PlanDoc): string {
  return canonical({ ...doc, plan_hash: planHash(doc) });
}

/** Level of each host: 0 without producers, else 1 + the highest producer level. */
export function levelsOf(order: readonly number[], producers: (i: number) => readonly number[]): Map<number, number> {
  const level = new Map<number, number>();
  for (const i of order) {
    let l = 0;
    for (const p of producers(i)) l = Math.max(l, (level.get(p) ?? 0) + 1);
    level.set(i, l);
  }
  return level;
}

function dotId(h: PlanHostId): string {
  return JSON.stringify(`${h.stack} → ${h.target}`);
}

/** Graphviz rendering of the plan's graph. */
export function planDot(doc: PlanDoc): string {
  const lines = ["digraph fleet {", "  rankdir=LR;", "  node [shape=box];"];
  for (const h of doc.hosts) {
    const style = h.status === "ready" ? "" : h.status === "failed" ? ", color=red" : ", style=dashed";
    lines.push(`  ${dotId(h)} [label=${JSON.stringify(`${h.stack}\n${h.target}`)}${style}];`);
  }
  for (const e of doc.edges) lines.push(`  ${dotId(e.producer)} -> ${dotId(e.consumer)} [label=${JSON.stringify(e.artifact)}];`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
