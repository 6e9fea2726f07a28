/**
 * The record of an apply that failed after writing its generation (ADR 220): the `pending` marker
 * names the generation; its record says why, so `fleet status` can show it and recovery can keep
 * the reason when it undoes it. Best effort: the target may be the reason the apply failed.
 */
import { FleetError } from "../fleet-error.js";
import { readPending } from "../manifest/pending.js";
import { tryUpdateRecord } from "../manifest/records.js";
import type { Transport } from "../transport/transport.js";
import { deployerName } from "./deployer.js";

export async function recordFailedApply(transport: Transport, dir: string, e: unknown, redact: (t: string) => string): Promise<void> {
  const sys = e as NodeJS.ErrnoException | undefined;
  const reason = e instanceof FleetError ? e.headline : sys instanceof Error && typeof sys.code === "string" ? `${sys.code} on ${sys.syscall ?? "the target"}` : undefined;
  if (reason === undefined) return; // a bug: reported as such, nothing recorded
  try {
    const pending = await readPending(transport, dir);
    if (pending === null || pending.operation !== "apply") return;
    await tryUpdateRecord(transport, dir, pending.to, {
      outcome: { outcome: "failed", reason: redact(reason), at: new Date().toISOString(), by: deployerName() },
    });
  } catch (err) {
    // The link or the disk that failed the apply may fail this too; the pending marker still tells.
    const io = err as NodeJS.ErrnoException | undefined;
    if (!(err instanceof FleetError) && !(io instanceof Error && typeof io.code === "string")) throw err;
  }
}
