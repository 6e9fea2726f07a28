/**
 * The checks of a Fleet module's `flows` that span several steps (ADR 230): step ids unique in
 * their flow, every `dependsOn` naming a step of the same flow, no cycle among the steps, and
 * every `targets` entry naming a host (machine or stack) or a `@tag` of `hosts`. The schema has
 * already checked each step's own shape; this reads only what is well typed. Pure.
 */
import type { DiagnosticCode } from "./diagnostic.js";
import { closest } from "./edit-distance.js";
import { elemSpan, fieldValueSpan, originOf } from "./origins.js";
import type { Span } from "./source.js";
import { isRecordValue, type RecordValue, type Value } from "./value.js";

export type ReportError = (code: DiagnosticCode, message: string, at: Span, hint?: string) => void;

function strings(v: Value | undefined): readonly string[] {
  return Array.isArray(v) ? (v as readonly Value[]).filter((x): x is string => typeof x === "string") : [];
}

/** Host names and `@tags` a step's `targets` may use, from the module's `hosts`. */
function selectors(fleet: RecordValue): Set<string> {
  const out = new Set<string>();
  for (const h of Array.isArray(fleet["hosts"]) ? (fleet["hosts"] as readonly Value[]) : []) {
    if (!isRecordValue(h)) continue;
    for (const k of ["machine", "stack"]) if (typeof h[k] === "string") out.add(h[k] as string);
    for (const t of strings(h["tags"])) out.add(`@${t}`);
  }
  return out;
}

const hintFor = (name: string, known: Iterable<string>): string | undefined => {
  const c = closest(name, known);
  return c === undefined ? undefined : `did you mean '${c}'?`;
};

export function checkFlowGraphs(fleet: RecordValue, moduleSpan: Span, report: ReportError): void {
  const flows = fleet["flows"];
  if (!isRecordValue(flows)) return;
  const hosts = selectors(fleet);
  for (const name of Object.keys(flows)) {
    const flow = flows[name];
    if (!isRecordValue(flow) || !Array.isArray(flow["steps"])) continue;
    const flowSpan = fieldValueSpan(flows, name, moduleSpan);
    const steps = (flow["steps"] as readonly Value[]).map((s, i) => ({ s, i })).filter((x): x is { s: RecordValue; i: number } => isRecordValue(x.s));
    const byId = new Map<string, number>();
    for (const { s, i } of steps) {
      const id = s["id"];
      if (typeof id !== "string") continue;
      if (byId.has(id)) {
        report("E14", `step id '${id}' is used twice in flow '${name}' (steps ${byId.get(id)! + 1} and ${i + 1})`, fieldValueSpan(s, "id", flowSpan), "give each step of a flow its own id");
      } else byId.set(id, i);
    }
    // Edges: step index → indexes of the steps it depends on, with the span of each reference.
    const deps = new Map<number, { to: number; span: Span }[]>();
    for (const { s, i } of steps) {
      const list = s["dependsOn"];
      const edges: { to: number; span: Span }[] = [];
      const stepSpan = originOf(s) ?? flowSpan;
      (Array.isArray(list) ? (list as readonly Value[]) : []).forEach((d, k) => {
        if (typeof d !== "string") return;
        const at = elemSpan(list as Value, k, fieldValueSpan(s, "dependsOn", stepSpan));
        const to = byId.get(d);
        if (to === undefined) report("E14", `step '${String(s["id"])}' of flow '${name}' depends on '${d}', which is not a step of that flow`, at, hintFor(d, byId.keys()));
        else edges.push({ to, span: at });
      });
      deps.set(i, edges);
      const targets = s["targets"];
      (Array.isArray(targets) ? (targets as readonly Value[]) : []).forEach((t, k) => {
        if (typeof t !== "string" || hosts.has(t)) return;
        const at = elemSpan(targets as Value, k, fieldValueSpan(s, "targets", stepSpan));
        report("E14", `target '${t}' of step '${String(s["id"])}' in flow '${name}' names no host (machine or stack) and no @tag of Fleet.hosts`, at, hintFor(t, hosts));
      });
    }
    const cycle = findCycle(steps.map((x) => x.i), deps);
    if (cycle) {
      const all = flow["steps"] as readonly Value[];
      const idOf = (i: number): string => {
        const s = all[i];
        return isRecordValue(s) && typeof s["id"] === "string" ? s["id"] : `step ${i + 1}`;
      };
      report("E14", `the steps of flow '${name}' depend on each other in a cycle: ${cycle.path.map(idOf).join(" → ")}`, cycle.span, "remove one of these dependsOn entries");
    }
  }
}

/** The first cycle in step order, reported at the dependsOn entry that closes it. */
function findCycle(nodes: readonly number[], deps: ReadonlyMap<number, readonly { to: number; span: Span }[]>): { path: number[]; span: Span } | undefined {
  const state = new Map<number, 1 | 2>();
  for (const root of nodes) {
    if (state.has(root)) continue;
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    const path = [root];
    state.set(root, 1);
    while (frames.length > 0) {
      const top = frames[frames.length - 1]!;
      const edges = deps.get(top.node) ?? [];
      if (top.next >= edges.length) {
        frames.pop();
        path.pop();
        state.set(top.node, 2);
        continue;
      }
      const e = edges[top.next++]!;
      const st = state.get(e.to);
      if (st === 1) return { path: [...path.slice(path.indexOf(e.to)), e.to], span: e.span };
      if (st === undefined) {
        state.set(e.to, 1);
        path.push(e.to);
        frames.push({ node: e.to, next: 0 });
      }
    }
  }
  return undefined;
}
