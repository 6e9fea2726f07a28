/** What a staged rollout reports as it runs (ADR 160): fleet-rollout.ts emits these, the CLI renders them. */
import type { HostRecord } from "../plan/fleet-model.js";
import type { RolloutSpec } from "../plan/rollout.js";
import type { HostOutcome } from "./outcome.js";

/** Why a rollout stopped before its end. */
export interface RolloutHalt {
  /** 1-based number of the last wave that ran. */
  readonly afterWave: number;
  readonly failed: number;
  readonly budget: number;
}

/** What the rollout was, for the report: set once, at its end. */
export interface RolloutSummary {
  readonly spec: RolloutSpec;
  /** The failure budget in hosts. */
  readonly budget: number;
  /** The hosts of each wave, in plan order. */
  readonly waves: readonly (readonly HostRecord[])[];
  readonly halt: RolloutHalt | null;
}

export type RolloutEvent =
  /** A wave is about to deploy (or, after a halt, to be reported as not attempted). */
  | { readonly kind: "wave"; readonly wave: number; readonly waves: number; readonly hosts: readonly HostRecord[] }
  /** `--rollback-on-halt` is about to roll back these hosts, in this order. */
  | { readonly kind: "halt-rollback"; readonly hosts: readonly HostRecord[] }
  /** One host of the rollback on halt: `ok` with its counts, or the reason it could not. */
  | { readonly kind: "halt-rolled-back"; readonly outcome: HostOutcome; readonly ok: boolean; readonly reason?: string }
  | { readonly kind: "end"; readonly summary: RolloutSummary };
