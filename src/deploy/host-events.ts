/**
 * What the per-host pipeline reports while it runs, and its named kill points. The pipeline never
 * prints: the CLI turns these events into progress lines and `⚠` warnings.
 */
import type { GenerationNumber } from "../manifest/layout.js";

/** Every step of an apply, in order; `dieAt` may name any of them (crash tests). */
export const APPLY_STEPS = [
  "apply:locked",
  "apply:recovered",
  "apply:pushed",
  "apply:files-stored",
  "apply:manifest-written",
  "apply:pending-written",
  "apply:first-live-file-written",
  "apply:secrets-staged",
  "apply:live-files-written",
  "apply:first-stale-file-deleted",
  "apply:stale-files-deleted",
  "apply:flipped",
  "apply:pending-removed",
] as const;

/** Every step of a rollback, in order. */
export const ROLLBACK_STEPS = [
  "rollback:locked",
  "rollback:recovered",
  "rollback:verified",
  "rollback:pending-written",
  "rollback:first-file-restored",
  "rollback:files-restored",
  "rollback:first-file-removed",
  "rollback:files-removed",
  "rollback:flipped",
  "rollback:pending-removed",
] as const;

/** Steps of the recovery of an interrupted operation (run inside the next apply or rollback). */
export const RECOVERY_STEPS = [
  "recover:first-file-written",
  "recover:files-written",
  "recover:first-file-removed",
  "recover:flipped",
] as const;

export type HostStep = (typeof APPLY_STEPS)[number] | (typeof ROLLBACK_STEPS)[number] | (typeof RECOVERY_STEPS)[number];

/** Every kill point, for crash tests that must cover them all. */
export const HOST_STEPS: readonly HostStep[] = [...APPLY_STEPS, ...ROLLBACK_STEPS, ...RECOVERY_STEPS];

export interface RecoveryOutcome {
  readonly operation: "apply" | "rollback";
  /** finished: the interrupted operation was completed; undone: its generation never became current. */
  readonly action: "finished" | "undone";
  /** The generation the interrupted operation was making current. */
  readonly generation: GenerationNumber;
  /** The generation current after recovery (null: never deployed). */
  readonly current: GenerationNumber | null;
  /** The generation that was current when the operation started. */
  readonly from: GenerationNumber | null;
  readonly restored: number;
  readonly removed: number;
  readonly secretSkipped: number;
  /** e.g. "finished interrupted apply to gen-003". */
  readonly message: string;
}

export type HostEvent =
  /** A step completed (for live progress). */
  | { readonly kind: "step"; readonly step: HostStep }
  /** Something the operator should read: a lock takeover, a secret file recovery could not restore. */
  | { readonly kind: "warning"; readonly message: string }
  | { readonly kind: "recovered"; readonly outcome: RecoveryOutcome };

export type EmitHostEvent = (e: HostEvent) => void;

/**
 * Report a completed step and, when the crash-test hook names it, die on the spot: SIGKILL, so no
 * `finally`, no lock release, nothing — exactly like a power cut of the fleet process.
 */
export function stepper(emit: EmitHostEvent, dieAt: string | undefined): (step: HostStep) => void {
  return (step) => {
    emit({ kind: "step", step });
    if (dieAt === step) process.kill(process.pid, "SIGKILL");
  };
}

/** What a host is about to write, for the words of its phases (`pushing 3 store paths`). */
export interface PhaseSizes {
  readonly storePaths: number;
  readonly files: number;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The phase a host is in once `step` has completed, in words for the live progress, the interrupt
 * report and the run log (ADR 225). Counts are the generation's store paths and files; without
 * `sizes` (rollback, recovery) the words name no count.
 */
export function phaseAfter(step: HostStep, sizes?: PhaseSizes): string {
  const files = sizes === undefined ? "files" : plural(sizes.files, "file");
  switch (step) {
    case "apply:locked":
    case "rollback:locked":
      return "checking for an interrupted run";
    case "apply:recovered":
      return sizes !== undefined && sizes.storePaths > 0 ? `pushing ${plural(sizes.storePaths, "store path")}` : `storing ${files}`;
    case "apply:pushed":
      return `storing ${files}`;
    case "apply:files-stored":
      return "writing the manifest";
    case "apply:manifest-written":
      return "marking the generation pending";
    case "apply:pending-written":
    case "apply:first-live-file-written":
      return `writing ${files}`;
    case "apply:secrets-staged":
      return "putting secret files in place";
    case "apply:live-files-written":
    case "apply:first-stale-file-deleted":
      return "deleting stale files";
    case "apply:stale-files-deleted":
      return "making the new generation current";
    case "apply:flipped":
    case "rollback:flipped":
    case "recover:flipped":
      return "clearing the pending mark";
    case "apply:pending-removed":
      return "deployed";
    case "rollback:recovered":
      return "verifying the previous generation";
    case "rollback:verified":
      return "marking the rollback pending";
    case "rollback:pending-written":
    case "rollback:first-file-restored":
      return "restoring files";
    case "rollback:files-restored":
    case "rollback:first-file-removed":
      return "removing files";
    case "rollback:files-removed":
      return "making the previous generation current";
    case "rollback:pending-removed":
      return "rolled back";
    case "recover:first-file-written":
    case "recover:files-written":
    case "recover:first-file-removed":
      return "recovering an interrupted run";
  }
}
