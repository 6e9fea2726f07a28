/**
 * What a run is asked to do, one level per command that needs it: loading a fleet (every command
 * that reads one), planning it (`fleet plan`, and `apply --expect-plan`), applying it. Each level
 * extends the one below, so apply hands its options to plan and load as they are (ADR 210).
 * A leaf: it imports only types from below deploy/.
 */
import type { HostRecord } from "../plan/fleet-model.js";
import type { RolloutFlags } from "../plan/rollout.js";
import type { TransportOptions } from "../transport/open-transport.js";
import type { HostOutcome, OutputChunk, ProgressEvent } from "./outcome.js";
import type { RolloutEvent } from "./rollout-events.js";

/** What it takes to load a fleet and refuse it before any host is contacted (fleet-prepare.ts). */
export interface LoadOptions extends TransportOptions {
  readonly fleetFile: string;
  readonly scenarios: readonly string[];
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
  readonly tlsCerts?: string;
  readonly vaultSecrets?: string;
  /** `--only` selectors; undefined = every host. */
  readonly only?: readonly string[];
}

export interface PlanOptions extends LoadOptions {
  /** Also read the live bytes of every changed non-secret file and diff them (`plan --diff`). */
  readonly diff?: boolean;
  /** `--waves`, `--max-failed`, `--soak` (ADR 160); each overrides the Fleet module's `rollout`. */
  readonly rollout?: RolloutFlags;
  /** Hosts read at once (default 1). */
  readonly jobs?: number;
  /** `--include-maintenance`: plan and deploy `maintenance` hosts too (ADR 180, ADR 236). */
  readonly includeMaintenance?: boolean;
}

export interface ApplyOptions extends PlanOptions {
  readonly dryRun: boolean;
  readonly failFast: boolean;
  readonly jobs: number;
  readonly activate: boolean;
  readonly enable: boolean;
  /** Roll a host back when a health check fails (default true; `--no-auto-rollback`). */
  readonly autoRollback: boolean;
  /** `--expect-plan HASH`: refuse (exit 1, nothing touched) unless the plan hashes to this. */
  readonly expectPlan?: string;
  readonly clock: () => Date;
  readonly dieAt?: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Output of hooks, builds, activation and health checks as it arrives (`-v`), secrets redacted. */
  readonly onOutput?: (c: OutputChunk) => void;
  /** Called in plan order as each host's outcome becomes final. */
  readonly onReport?: (o: HostOutcome) => void;
  /** The selected hosts in plan order, before the first starts (for an interrupt report). */
  readonly onPlan?: (hosts: readonly HostRecord[]) => void;
  /** Called as soon as a selected host finishes, in finishing order. */
  readonly onFinish?: (o: HostOutcome) => void;
  /** `--rollback-on-halt`: a halted rollout rolls back every host it moved to a new generation. */
  readonly rollbackOnHalt?: boolean;
  /** Waves starting, the rollback on halt, and the rollout's end (only when there is a rollout). */
  readonly onRollout?: (e: RolloutEvent) => void;
}
