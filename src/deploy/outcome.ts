/** What the orchestrators report per host; the CLI renders these, nothing here prints. */
import type { Diagnostic, SourceFile } from "../lang/index.js";
import type { HostRecord } from "../plan/fleet-model.js";
import type { CapturedOutput } from "../captured-output.js";

export type { CapturedOutput };

/** `skipped`: a `maintenance` host left alone (ADR 180); neither a success nor a failure. */
export type HostStatus = "ok" | "failed" | "blocked" | "not-attempted" | "rolled-back" | "skipped";

export interface HostOutcome {
  readonly host: HostRecord;
  readonly status: HostStatus;
  /** One-line reason for every status but ok. */
  readonly reason?: string;
  /** Error code (`E11`, `E12`, …) when the failure has one. */
  readonly code?: string;
  /** Language diagnostics of a host that failed on them, with the sources to render them. */
  readonly diagnostics?: readonly Diagnostic[];
  readonly sources?: readonly SourceFile[];
  /** `⚠` lines (failed restart under --activate, failing post hook, lock takeover, recovery). */
  readonly warnings: readonly string[];
  readonly generation?: number;
  readonly previous?: number | null;
  /** Rollback counts. */
  readonly restored?: number;
  readonly removed?: number;
  readonly secretSkipped?: number;
  /** What activation did (ADR 190), when --activate or --enable was given. */
  readonly activation?: ActivationSummary;
  /** Artifacts this host produced (name → value), for its consumers. */
  readonly artifacts?: Readonly<Record<string, string>>;
  /** What the host's hooks, build, activation and health checks printed, in run order (secrets redacted). */
  readonly output?: readonly CapturedOutput[];
}

/** A chunk of a hook's, build's or remote command's output, for `-v` (already redacted where it can hold secrets). */
export interface OutputChunk {
  readonly host: HostRecord;
  readonly step: string;
  readonly stream: "stdout" | "stderr";
  readonly text: string;
}

/** Progress of a running host, for the TTY's live lines. */
export interface ProgressEvent {
  readonly host: HostRecord;
  readonly stage: string;
}

export function genName(n: number): string {
  return `gen-${String(n).padStart(3, "0")}`;
}

/** Units by what activation did to them (ADR 190). */
export interface ActivationSummary {
  readonly started: readonly string[];
  readonly restarted: readonly string[];
  readonly reloaded: readonly string[];
  readonly stopped: readonly string[];
  readonly unchanged: readonly string[];
}
