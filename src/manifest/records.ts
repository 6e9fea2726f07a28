/**
 * What happened to a generation after its manifest was written (ADR 220): the last health result
 * and, for a generation that is no longer (or never became) current, how it ended — failed,
 * undone by recovery, or rolled back — with the reason, when and by whom. One small canonical
 * JSON file per generation, `<stack>/records/gen-NNN.json`, written by temp file + rename, so a
 * crash leaves either the old record or the new one. Never a secret value: reasons are redacted
 * by the writer. A record is advisory — status reads it, nothing else depends on it — so a
 * missing or unreadable one is treated as absent.
 */
import { canonicalJson } from "../canonical-json.js";
import { worldFaultReason } from "../fleet-error.js";
import type { Transport, WriteStep } from "../transport/transport.js";
import { recordPath, type GenerationNumber } from "./layout.js";

export type AttemptOutcome = "failed" | "undone" | "rolled-back";

export interface HealthRecord {
  readonly ok: boolean;
  /** When the checks finished (ISO). */
  readonly at: string;
  /** How many checks ran. */
  readonly checks: number;
  /** The first failing check, in declaration order (null when every check passed). */
  readonly failed_check: string | null;
  /** `failed after 3 attempts: exit 7: boom` (redacted); null when ok. */
  readonly detail: string | null;
}

export interface OutcomeRecord {
  readonly outcome: AttemptOutcome;
  /** One line (redacted): `health check 'x' failed after 3 attempts: exit 7`. */
  readonly reason: string;
  readonly at: string;
  /** `user@machine` of the controller that ended it. */
  readonly by: string;
}

export interface GenerationRecord {
  readonly generation: GenerationNumber;
  readonly health: HealthRecord | null;
  readonly outcome: OutcomeRecord | null;
}

const OUTCOMES: readonly string[] = ["failed", "undone", "rolled-back"];

function parseHealth(v: unknown): HealthRecord | null {
  if (typeof v !== "object" || v === null) return null;
  const h = v as Record<string, unknown>;
  if (typeof h.ok !== "boolean" || typeof h.at !== "string" || typeof h.checks !== "number") return null;
  const str = (x: unknown): string | null => (typeof x === "string" ? x : null);
  return { ok: h.ok, at: h.at, checks: h.checks, failed_check: str(h.failed_check), detail: str(h.detail) };
}

function parseOutcome(v: unknown): OutcomeRecord | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.outcome !== "string" || !OUTCOMES.includes(o.outcome)) return null;
  if (typeof o.reason !== "string" || typeof o.at !== "string" || typeof o.by !== "string") return null;
  return { outcome: o.outcome as AttemptOutcome, reason: o.reason, at: o.at, by: o.by };
}

/** The record of generation n, or null when there is none (or it cannot be understood). */
export async function readRecord(transport: Transport, dir: string, n: GenerationNumber): Promise<GenerationRecord | null> {
  let bytes: Buffer | null;
  try {
    bytes = await transport.readFile(recordPath(dir, n));
  } catch {
    return null;
  }
  if (bytes === null) return null;
  try {
    const v = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    if (v.generation !== n) return null;
    return { generation: n, health: parseHealth(v.health), outcome: parseOutcome(v.outcome) };
  } catch {
    return null;
  }
}

/**
 * Merge `change` into generation n's record (health and/or outcome) and write it atomically. The
 * caller holds the stack's lock. An existing outcome is kept unless `change` gives one.
 */
export async function updateRecord(
  transport: Transport,
  dir: string,
  n: GenerationNumber,
  change: { readonly health?: HealthRecord; readonly outcome?: OutcomeRecord },
): Promise<void> {
  const w = await recordWrite(transport, dir, n, change);
  await transport.writeFileAtomic(w.path, w.data, w.mode);
}

/**
 * updateRecord as a best-effort step of an ordered write sequence (ADR 240): the merged record,
 * to be written by the caller (who holds the lock) together with other writes.
 */
export async function recordWrite(
  transport: Transport,
  dir: string,
  n: GenerationNumber,
  change: { readonly health?: HealthRecord; readonly outcome?: OutcomeRecord },
): Promise<WriteStep & { readonly kind: "write" }> {
  const old = await readRecord(transport, dir, n);
  const next: GenerationRecord = {
    generation: n,
    health: change.health ?? old?.health ?? null,
    outcome: change.outcome ?? old?.outcome ?? null,
  };
  return { kind: "write", path: recordPath(dir, n), data: Buffer.from(canonicalJson(next)), mode: 0o644, bestEffort: true };
}

/** The `⚠` line of a record that could not be written (tryUpdateRecord's and a skipped step's). */
export function recordProblem(n: GenerationNumber, why: string): string {
  return `could not record the outcome of gen-${String(n).padStart(3, "0")} for 'fleet status' (${why})`;
}

/**
 * Recording is best effort: the operation it describes already happened (or failed), and a
 * target that cannot take a small file (disk full, dropped link) must not turn a finished
 * rollback into a failure. Returns the problem, for a `⚠` line, or undefined.
 */
export async function tryUpdateRecord(
  transport: Transport,
  dir: string,
  n: GenerationNumber,
  change: { readonly health?: HealthRecord; readonly outcome?: OutcomeRecord },
): Promise<string | undefined> {
  try {
    await updateRecord(transport, dir, n, change);
    return undefined;
  } catch (e) {
    return recordProblem(n, worldFaultReason(e));
  }
}
