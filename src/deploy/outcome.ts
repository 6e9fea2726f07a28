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
  /** Each health check's attempts and last result (ADR 238), when the host's checks ran. */
  readonly health?: readonly HealthCheckReport[];
}

/** One health check of a host, as its last run ended (ADR 238). */
export interface HealthCheckReport {
  readonly name: string;
  readonly kind: "command" | "systemd" | "http";
  readonly attempts: number;
  readonly passed: boolean;
  /** The last attempt's exit code (command, systemd); null for http or when it never exited. */
  readonly exitCode: number | null;
  /** The last attempt's HTTP status (http); null otherwise or when no response came. */
  readonly httpStatus: number | null;
  /** Why the last attempt failed (`HTTP 503`, `exit 3: …`, `timed out after 5s`); null when it passed. */
  readonly error: string | null;
  /** The last lines of the last attempt's stderr (else its stdout), secrets redacted. */
  readonly outputTail: readonly string[];
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
  /** `systemctl enable` / `disable` calls (with --enable; disable also with --activate). Not in --json. */
  readonly enabled: readonly string[];
  readonly disabled: readonly string[];
  /** false under --transport-root: nothing ran, the lists say what a real host would get (ADR 109). Not in --json. */
  readonly ran: boolean;
}

/** A captured step as `-v` chunks: output of a command run on the target arrives whole. */
export function outputChunks(host: HostRecord, c: CapturedOutput): OutputChunk[] {
  const chunks: OutputChunk[] = [];
  if (c.stdout !== "") chunks.push({ host, step: c.step, stream: "stdout", text: c.stdout });
  if (c.stderr !== "") chunks.push({ host, step: c.step, stream: "stderr", text: c.stderr });
  return chunks;
}
