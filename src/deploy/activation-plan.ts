/**
 * What activation does to a host's units (issue 11, ADR 190), as a pure function of the manifest
 * of the generation being activated and the one it replaces — the same computation on a real
 * host and under --transport-root, where it is only reported. Like NixOS switch-to-configuration:
 * only what changed is touched.
 */
import type { Manifest, ManifestFile, ManifestService } from "../manifest/manifest.js";
import { envFilePath } from "../stack/target-path.js";

export interface ActivationFlags {
  readonly activate: boolean;
  readonly enable: boolean;
}

export interface ActivationPlan {
  /** Unit names (`web.service`), each list in the new generation's service order (stopped: the old one's). */
  readonly started: readonly string[];
  readonly restarted: readonly string[];
  readonly reloaded: readonly string[];
  readonly stopped: readonly string[];
  readonly unchanged: readonly string[];
  /** `systemctl enable` (with --enable) of new services. */
  readonly enable: readonly string[];
  /** `systemctl disable` of services that left the generation (or became `enable = false`). */
  readonly disable: readonly string[];
  /** One `systemctl daemon-reload` after the flip: some unit file was added, changed or removed. */
  readonly daemonReload: boolean;
}

export const EMPTY_ACTIVATION: ActivationPlan = {
  started: [],
  restarted: [],
  reloaded: [],
  stopped: [],
  unchanged: [],
  enable: [],
  disable: [],
  daemonReload: false,
};

function unitName(s: ManifestService): string {
  return `${s.name}.service`;
}

/** A service activation may start: `enable = false` is never started nor enabled (ADR 033). */
function active(s: ManifestService): boolean {
  return s.enable !== false;
}

function fileKey(f: ManifestFile | undefined): string {
  return f === undefined ? "absent" : `${f.sha256} ${f.mode}`;
}

function differs(prev: ReadonlyMap<string, ManifestFile>, next: ReadonlyMap<string, ManifestFile>, path: string): boolean {
  return fileKey(prev.get(path)) !== fileKey(next.get(path));
}

/** Why a service present in both generations must be restarted; undefined when it is unchanged. */
export function changeOf(
  before: ManifestService,
  after: ManifestService,
  prevFiles: ReadonlyMap<string, ManifestFile>,
  nextFiles: ReadonlyMap<string, ManifestFile>,
): string | undefined {
  if (differs(prevFiles, nextFiles, after.unit) || before.unit !== after.unit) return "unit";
  if (differs(prevFiles, nextFiles, envFilePath(after.name))) return "env file";
  if (before.store_path !== after.store_path) return "package";
  for (const p of after.restart_triggers ?? []) if (differs(prevFiles, nextFiles, p)) return `restart trigger ${p}`;
  return undefined;
}

/**
 * The plan for activating `next` over `prev` (null: the host's first generation, every service is
 * new). Without --activate nothing is started, restarted, reloaded or stopped; without --enable or
 * --activate the plan is empty.
 */
export function planActivation(prev: Manifest | null, next: Manifest, flags: ActivationFlags): ActivationPlan {
  if (!flags.activate && !flags.enable) return EMPTY_ACTIVATION;
  const prevFiles = new Map((prev?.files ?? []).map((f) => [f.path, f]));
  const nextFiles = new Map(next.files.map((f) => [f.path, f]));
  const prevByName = new Map((prev?.services ?? []).map((s) => [s.name, s]));
  const nextByName = new Map(next.services.map((s) => [s.name, s]));

  const started: string[] = [];
  const restarted: string[] = [];
  const reloaded: string[] = [];
  const unchanged: string[] = [];
  const enable: string[] = [];
  for (const s of next.services.filter(active)) {
    const before = prevByName.get(s.name);
    if (before === undefined || !active(before)) {
      started.push(unitName(s));
      enable.push(unitName(s));
    } else if (changeOf(before, s, prevFiles, nextFiles) === undefined) unchanged.push(unitName(s));
    else if (s.reload_if_changed === true) reloaded.push(unitName(s));
    else restarted.push(unitName(s));
  }
  const leaving = (prev?.services ?? []).filter((s) => active(s) && !(nextByName.get(s.name) && active(nextByName.get(s.name)!))).map(unitName);

  const units = new Set([...(prev?.services ?? []), ...next.services].map((s) => s.unit));
  const daemonReload = prev === null || [...units].some((u) => differs(prevFiles, nextFiles, u));
  const a = flags.activate;
  return {
    started: a ? started : [],
    restarted: a ? restarted : [],
    reloaded: a ? reloaded : [],
    stopped: a ? leaving : [],
    unchanged: a ? unchanged : [],
    enable: flags.enable ? enable : [],
    disable: leaving,
    daemonReload,
  };
}

/** systemctl calls made before the stale files are deleted: stop, then disable, what leaves. */
export function preRemovalCalls(plan: ActivationPlan): string[][] {
  const calls: string[][] = [];
  for (const u of plan.stopped) calls.push(["stop", u]);
  for (const u of plan.disable) calls.push(["disable", u]);
  return calls;
}

/** systemctl calls made after the flip: daemon-reload once, enable, start, restart, reload. */
export function postFlipCalls(plan: ActivationPlan): string[][] {
  const calls: string[][] = [];
  if (plan.daemonReload) calls.push(["daemon-reload"]);
  for (const u of plan.enable) calls.push(["enable", u]);
  for (const u of plan.started) calls.push(["start", u]);
  for (const u of plan.restarted) calls.push(["restart", u]);
  for (const u of plan.reloaded) calls.push(["reload", u]);
  return calls;
}
