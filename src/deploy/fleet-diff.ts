/**
 * `fleet diff FLEET` (ADR 233): what apply would change per host — store paths added and removed
 * against the current generation (by base name, with their size in the local store when it
 * holds them) and a unified diff of every changed file against the target's current bytes. The
 * computation is `plan --diff`'s (fleet-plan.ts, file-diff.ts), not a second one. With
 * `hooks.diff`, each host's pre hook runs first (a failing one fails that host) and its post hook
 * after. Reads hosts; writes nothing. Emits results; never prints.
 */
import { lstatSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CapturedOutput } from "../captured-output.js";
import type { FileDiff } from "../plan/file-diff.js";
import { lifecycleOf, type HostRecord } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import { resolveRoot } from "../store/index.js";
import { prepareRun } from "./fleet-prepare.js";
import { planFor, type PlanDetails } from "./fleet-plan.js";
import type { PlanOptions } from "./run-options.js";
import { runHook } from "./hooks.js";
import type { OutputChunk } from "./outcome.js";

export type DiffOptions = Omit<PlanOptions, "diff" | "rollout"> & { readonly onOutput?: (c: OutputChunk) => void };

export interface StorePathChange {
  readonly base: string;
  /** Bytes under the path in the local store; null when the local store does not hold it. */
  readonly size: number | null;
}

export interface HostDiff {
  readonly record: HostRecord;
  /** skipped: a maintenance host, left alone as apply leaves it (ADR 236). */
  readonly status: "ready" | "failed" | "blocked" | "skipped";
  readonly error?: string;
  readonly generation: number | null;
  readonly added: readonly StorePathChange[];
  readonly removed: readonly StorePathChange[];
  readonly files: readonly FileDiff[];
  readonly warnings: readonly string[];
  readonly output: readonly CapturedOutput[];
}

/** Total size of the regular files under `path` (symlinks counted as themselves), or null. */
function treeSize(path: string): number | null {
  let total = 0;
  const stack = [path];
  try {
    while (stack.length > 0) {
      const p = stack.pop()!;
      const st = lstatSync(p);
      if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
      else total += st.size;
    }
  } catch {
    return null;
  }
  return total;
}

export async function fleetDiff(options: DiffOptions): Promise<HostDiff[]> {
  const planOptions: PlanOptions = { ...options, diff: true };
  const { fleet, roots, vault } = prepareRun(planOptions);
  const localStore = resolveRoot(options.storeRoot, process.env["FLEET_STORE_DIR"], "~/.fleet/store", homedir(), { flag: "--store-root", env: "FLEET_STORE_DIR" });
  const model = fleet.model;
  const selected = selectHosts(model.hosts, options.only);
  // The hosts diff compares (and runs hooks for): selected, active, or maintenance when included.
  const compared = (h: HostRecord): boolean => lifecycleOf(h) === "active" || (lifecycleOf(h) === "maintenance" && options.includeMaintenance === true);
  const hooked = model.hosts.filter((h) => selected.has(h.index) && compared(h));
  const output = new Map<number, CapturedOutput[]>();
  const aborted = new Map<number, string>();
  for (const h of hooked) {
    const pre = model.hooks.diff.pre;
    if (pre === undefined) continue;
    const r = await runHook(pre, h, fleet.fleetDir, "diff pre hook", options.onOutput);
    output.set(h.index, [r.output]);
    if (!r.ok) aborted.set(h.index, `diff pre hook failed (${r.detail})`);
  }
  const details: PlanDetails = new Map();
  const doc = await planFor(fleet, roots, vault, planOptions, undefined, details);
  const size = (base: string): StorePathChange => ({ base, size: treeSize(join(localStore, base)) });
  const results: HostDiff[] = [];
  for (const h of doc.hosts) {
    const record = model.hosts[h.position]!;
    const out = output.get(h.position) ?? [];
    const failed = aborted.get(h.position);
    const base = { record, generation: h.generation, output: out };
    if (failed !== undefined) {
      results.push({ ...base, status: "failed", error: failed, added: [], removed: [], files: [], warnings: [] });
      continue;
    }
    const d = details.get(h.position);
    const before = new Set(d?.store?.before ?? []);
    const after = new Set(d?.store?.after ?? []);
    const warnings: string[] = [];
    if (h.status === "ready" && model.hooks.diff.post !== undefined) {
      const r = await runHook(model.hooks.diff.post, record, fleet.fleetDir, "diff post hook", options.onOutput);
      out.push(r.output);
      if (!r.ok) warnings.push(`diff post hook failed (${r.detail})`);
    }
    results.push({
      ...base,
      status: h.status,
      ...(h.error !== undefined ? { error: h.error } : {}),
      added: [...after].filter((b) => !before.has(b)).map(size),
      removed: [...before].filter((b) => !after.has(b)).map(size),
      files: d?.diffs ?? [],
      warnings,
      output: out,
    });
  }
  return results;
}
