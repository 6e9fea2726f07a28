/**
 * The Fleet module as data (SPEC §6): host records, the machines/globals data model, and the
 * module injected into every host file. Pure.
 */
import { type Diagnostic, fieldValueSpan, type InjectedModule, isRecordValue, type RecordValue, type Span, type Value } from "../lang/index.js";
import { readFlows, type Flow } from "./flows.js";
import { parseHostCount, type FleetRollout, type HostCount } from "./rollout.js";

export interface HostRecord {
  /** Position in the fleet file's `hosts` list: the tie-breaker of every ordering. */
  readonly index: number;
  readonly file: string;
  readonly stack: string;
  readonly target: string;
  readonly machine: string | null;
  readonly tags: readonly string[];
  /** `sudo = true|false` in the record; absent means the `--sudo` flag decides (ADR 107). */
  readonly sudo?: boolean;
  /** `lifecycle` of the record (ADR 180); absent means `active`. */
  readonly lifecycle?: Lifecycle;
}

/** A host's place in its life (nixfleet): maintenance hosts are skipped, decommissioned never contacted. */
export type Lifecycle = "active" | "maintenance" | "decommissioned";

export function lifecycleOf(host: HostRecord): Lifecycle {
  return host.lifecycle ?? "active";
}

export interface HookPair {
  readonly pre?: string;
  readonly post?: string;
}

/** The operations with `pre`/`post` hooks (pleme-fleet's list; `apply` is its `deploy`). */
export const HOOK_OPERATIONS = ["apply", "rollback", "build", "diff", "exec", "reboot"] as const;
export type HookOperation = (typeof HOOK_OPERATIONS)[number];

export interface HostRecordSpans {
  readonly file: Span;
  readonly stack: Span;
}

export interface FleetModel {
  readonly hosts: readonly HostRecord[];
  readonly machines: ReadonlyMap<string, RecordValue>;
  readonly globals: RecordValue;
  readonly uniqueFields: readonly string[];
  readonly hooks: Readonly<Record<HookOperation, HookPair>>;
  /** `flows` (ADR 230), in name order. */
  readonly flows: readonly Flow[];
  /** Where each host record's `file` and `stack` values are, by record index: what locates a missing host file or stack module. */
  readonly hostSpans?: ReadonlyMap<number, HostRecordSpans>;
  /** The `rollout` record (ADR 160), when the Fleet module has one. */
  readonly rollout?: FleetRollout;
}


function str(v: Value | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function hookPair(v: Value | undefined): HookPair {
  if (!isRecordValue(v)) return {};
  const pre = str(v["pre"]);
  const post = str(v["post"]);
  return { ...(pre !== undefined ? { pre } : {}), ...(post !== undefined ? { post } : {}) };
}

/**
 * Read the evaluated Fleet module. The checker has already enforced its schema (E14), so this
 * only reads; `span` locates the data-model errors it finds (E13).
 */
export function readFleet(fleet: RecordValue, span: Span): { model: FleetModel; diagnostics: Diagnostic[] } {
  const hostsValue = fleet["hosts"];
  const hosts: HostRecord[] = [];
  const hostSpans = new Map<number, HostRecordSpans>();
  if (Array.isArray(hostsValue)) {
    (hostsValue as readonly Value[]).forEach((h, index) => {
      if (!isRecordValue(h)) return;
      hostSpans.set(index, { file: fieldValueSpan(h, "file", span), stack: fieldValueSpan(h, "stack", span) });
      const tags = Array.isArray(h["tags"]) ? (h["tags"] as readonly Value[]).filter((t): t is string => typeof t === "string") : [];
      hosts.push({
        index,
        file: str(h["file"]) ?? "",
        stack: str(h["stack"]) ?? "",
        target: str(h["target"]) ?? "",
        machine: str(h["machine"]) ?? null,
        tags,
        ...(h["lifecycle"] === "maintenance" || h["lifecycle"] === "decommissioned" ? { lifecycle: h["lifecycle"] } : {}),
        ...(typeof h["sudo"] === "boolean" ? { sudo: h["sudo"] } : {}),
      });
    });
  }
  const machines = new Map<string, RecordValue>();
  const mv = fleet["machines"];
  if (isRecordValue(mv)) {
    for (const key of Object.keys(mv).sort()) {
      const m = mv[key];
      if (isRecordValue(m)) machines.set(key, m);
    }
  }
  const globals = isRecordValue(fleet["globals"]) ? (fleet["globals"] as RecordValue) : {};
  const uniqueFields = Array.isArray(fleet["uniqueFields"])
    ? (fleet["uniqueFields"] as readonly Value[]).filter((f): f is string => typeof f === "string")
    : [];
  const hv = fleet["hooks"];
  const hooks = Object.fromEntries(HOOK_OPERATIONS.map((op) => [op, hookPair(isRecordValue(hv) ? hv[op] : undefined)])) as Record<HookOperation, HookPair>;
  const rollout = readRollout(fleet["rollout"]);
  const flows = readFlows(fleet["flows"]);
  const model: FleetModel = { hosts, machines, globals, uniqueFields, hooks, flows, hostSpans, ...(rollout ? { rollout } : {}) };
  return { model, diagnostics: uniqueFieldViolations(model, span) };
}

/** A host count as the checker let it through: an Int or a "P%" string. */
function hostCount(v: Value | undefined, min: 0 | 1): HostCount | undefined {
  if (typeof v === "number") return parseHostCount(String(v), min);
  return typeof v === "string" ? parseHostCount(v, min) : undefined;
}

function readRollout(v: Value | undefined): FleetRollout | undefined {
  if (!isRecordValue(v) || !Array.isArray(v["waves"])) return undefined;
  const waves = (v["waves"] as readonly Value[]).map((w) => hostCount(w, 1)).filter((w): w is HostCount => w !== undefined);
  if (waves.length === 0) return undefined;
  const maxFailed = hostCount(v["maxFailed"], 0);
  const soak = v["soak"];
  return { waves, ...(maxFailed ? { maxFailed } : {}), ...(typeof soak === "number" && soak >= 0 ? { soak } : {}) };
}

/** `[E13]`: two machines share the value of a field listed in `uniqueFields`. */
function uniqueFieldViolations(model: FleetModel, span: Span): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const field of model.uniqueFields) {
    const seen = new Map<string, { name: string; at: Span }>();
    // In the order the values are written, so "second" is the second in the fleet file.
    const holders = [...model.machines]
      .filter(([, m]) => m[field] !== undefined)
      .map(([name, m]) => ({ name, v: m[field]!, at: fieldValueSpan(m, field, span) }))
      .sort((a, b) => (a.at.file === b.at.file ? a.at.offset - b.at.offset : a.at.file < b.at.file ? -1 : 1));
    for (const { name, v, at } of holders) {
      const key = JSON.stringify(v);
      const first = seen.get(key);
      // Located at the second machine's value of the field, with the first one's as a note.
      if (first !== undefined) {
        out.push({
          code: "E13",
          message: `machines '${first.name}' and '${name}' share ${field} = ${key}, but '${field}' is listed in uniqueFields`,
          span: at,
          labels: [{ span: first.at, message: `'${first.name}' has the same ${field} here` }],
          hint: `give '${name}' a different ${field}`,
        });
      } else seen.set(key, { name, at });
    }
  }
  return out;
}

/** The read-only `Fleet` module a host file sees (SPEC §6). */
export function injectedFleetModule(model: FleetModel, host: HostRecord): InjectedModule {
  const machines: Record<string, RecordValue> = {};
  for (const [name, m] of model.machines) {
    machines[name] = { ...m, name, isSelf: name === host.machine };
  }
  const self = host.machine !== null ? machines[host.machine] : undefined;
  const value: RecordValue = self ? { machines, globals: model.globals, self } : { machines, globals: model.globals };
  return {
    name: "Fleet",
    value,
    ...(self
      ? {}
      : {
          unavailable: {
            self: {
              code: "E14" as const,
              message:
                host.machine === null
                  ? `host record ${host.index + 1} (${host.stack} → ${host.target}) has no machine, so Fleet.self is undefined`
                  : `host record ${host.index + 1} (${host.stack} → ${host.target}) names machine '${host.machine}', which is not a key of Fleet.machines, so Fleet.self is undefined`,
            },
          },
        }),
  };
}

/** A host's display name in messages and hooks: the machine, else the stack. */
export function hostNode(host: HostRecord): string {
  return host.machine ?? host.stack;
}
