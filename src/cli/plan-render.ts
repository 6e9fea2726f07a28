/** Human renderings of a plan: the overview and `--explain HOST`. */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { genName } from "../deploy/outcome.js";
import type { PlanDetails } from "../deploy/fleet-plan.js";
import type { FileDiff } from "../plan/file-diff.js";
import type { PlanDoc, PlanHost, PlanHostId, PlanRollout } from "../plan/plan-doc.js";

const label = (h: PlanHostId): string => `${h.stack} → ${h.target}`;

/** `plan --diff`: one block per changed file, after the host's own lines. */
export function diffLines(d: FileDiff): string[] {
  if (d.secret) return [`     ${d.path}: changed, not shown (secret)`];
  if (d.binary) return [`     ${d.path}: binary file ${d.kind === "add" ? "added" : d.kind === "remove" ? "removed" : "changed"}, not shown`];
  if (d.diff === null) return [`     ${d.path}: mode changed only`];
  return d.diff.replace(/\n$/, "").split("\n");
}

export function renderPlan(doc: PlanDoc, hash: string, details?: PlanDetails): string {
  const lines: string[] = [];
  lines.push(`plan for ${doc.fleet}: ${doc.hosts.length} host(s) in ${doc.levels.length} level(s)`);
  doc.levels.forEach((level, i) => lines.push(`level ${i}: ${level.map(label).join(", ")}`));
  if (doc.rollout) lines.push(...rolloutLines(doc.rollout));
  if (doc.edges.length > 0) {
    lines.push("edges:");
    for (const e of doc.edges) lines.push(`  ${label(e.producer)} ⇒ ${label(e.consumer)}: ${e.artifact} (${e.at})`);
  }
  lines.push("hosts, in deploy order:");
  doc.hosts.forEach((h, i) => {
    const gen = h.generation === null ? "never deployed" : `now ${genName(h.generation)}`;
    lines.push(`  ${i + 1}. ${label(h)} [${h.status}; ${gen}]${h.error ? `: ${h.error}` : ""}`);
    for (const f of h.add) lines.push(`     + ${f.path} ${f.mode}${f.secret ? " (secret)" : ""}`);
    for (const f of h.change) lines.push(`     ~ ${f.path} ${f.mode}${f.secret ? " (secret)" : ""}`);
    for (const f of h.remove) lines.push(`     - ${f.path}`);
    for (const p of h.push) lines.push(`     push ${p}`);
    if (h.status === "ready" && h.add.length + h.change.length + h.remove.length + h.push.length === 0) lines.push("     (no change; a new generation is still written)");
    for (const d of details?.get(h.position)?.diffs ?? []) lines.push(...diffLines(d));
  });
  lines.push(`plan_hash: ${hash}`);
  return `${lines.join("\n")}\n`;
}

/** The waves of a staged rollout (ADR 160). */
function rolloutLines(r: PlanRollout): string[] {
  const soak = r.soak > 0 ? `soak ${r.soak}s` : "no soak";
  const lines = [`rollout: ${r.waves.length} wave(s) of ${r.sizes.join(", ")}; max failed ${r.max_failed} (${r.budget} host(s)); ${soak}`];
  r.waves.forEach((w, k) => lines.push(`wave ${k + 1}/${r.waves.length}: ${w.length} host(s): ${w.map(label).join(", ")}`));
  return lines;
}

function matches(h: PlanHost, name: string): boolean {
  return h.machine === name || h.stack === name || h.target === name;
}

export function explainHost(doc: PlanDoc, name: string): string {
  const host = doc.hosts.find((h) => matches(h, name));
  if (!host) {
    throw new UsageError(fleetMessages.explainUnknownHost(name, doc.hosts.map((h) => h.machine ?? h.stack).join(", ")));
  }
  const pos = doc.hosts.indexOf(host);
  const lines = [`${label(host)} deploys ${ordinal(pos + 1)} of ${doc.hosts.length}, at level ${host.level}.`];
  const incoming = doc.edges.filter((e) => e.consumer.stack === host.stack && e.consumer.target === host.target);
  const outgoing = doc.edges.filter((e) => e.producer.stack === host.stack && e.producer.target === host.target);
  if (incoming.length === 0) {
    lines.push("It consumes no artifact, so nothing has to deploy before it.");
  } else {
    lines.push("It consumes:");
    for (const e of incoming) lines.push(`  ${e.artifact} from ${label(e.producer)} (referenced at ${e.at})`);
    lines.push("so it waits until each of those producers has deployed.");
  }
  const before = doc.hosts.slice(0, pos).filter((h) => h.position > host.position);
  lines.push(
    `Among the hosts whose producers are placed, fleet always places the one written first in the fleet file (this is host record ${host.position + 1}).`,
  );
  if (before.length > 0) lines.push(`Hosts written after it but deploying before it: ${before.map(label).join(", ")}.`);
  if (outgoing.length > 0) {
    lines.push("Its consumers:");
    for (const e of outgoing) lines.push(`  ${label(e.consumer)} uses ${e.artifact}`);
  }
  if (host.status !== "ready") lines.push(`It would not deploy: ${host.error ?? host.status}.`);
  return `${lines.join("\n")}\n`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}

/** `plan --diff --json`: per host (in deploy order) its file diffs; secret files carry no text. */
export function planDiffsJson(doc: PlanDoc, details: PlanDetails): unknown[] {
  return doc.hosts.map((h) => ({
    stack: h.stack,
    target: h.target,
    files: (details.get(h.position)?.diffs ?? []).map((d) => ({ path: d.path, kind: d.kind, secret: d.secret, binary: d.binary, diff: d.diff })),
  }));
}
