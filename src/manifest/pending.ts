/**
 * The `pending` marker: written before the first live file changes and removed after the flip,
 * so a crash in between is visible to the next run, which finishes or undoes it (ADR 041).
 */
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { Transport } from "../transport/transport.js";
import { canonicalJson } from "../canonical-json.js";
import { pendingPath, type GenerationNumber } from "./layout.js";

export interface PendingOperation {
  readonly operation: "apply" | "rollback";
  /** The generation being made current. */
  readonly to: GenerationNumber;
  /** The generation that was current when the operation started (null: first deployment). */
  readonly from: GenerationNumber | null;
}

/** The marker's bytes, for a caller that writes it as part of an ordered sequence. */
export function pendingBytes(op: PendingOperation): Buffer {
  return Buffer.from(canonicalJson(op));
}

export async function writePending(transport: Transport, dir: string, op: PendingOperation): Promise<void> {
  await transport.writeFileAtomic(pendingPath(dir), pendingBytes(op), 0o644);
}

export async function readPending(transport: Transport, dir: string): Promise<PendingOperation | null> {
  const bytes = await transport.readFile(pendingPath(dir));
  if (bytes === null) return null;
  let v: Partial<PendingOperation>;
  try {
    v = JSON.parse(bytes.toString("utf8")) as Partial<PendingOperation>;
  } catch {
    v = {};
  }
  const isGen = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x > 0;
  if ((v.operation !== "apply" && v.operation !== "rollback") || !isGen(v.to) || !(v.from === null || isGen(v.from))) {
    throw new FleetError(fleetMessages.pendingMarkerCorrupt(pendingPath(dir)));
  }
  return { operation: v.operation, to: v.to, from: v.from };
}

export async function removePending(transport: Transport, dir: string): Promise<void> {
  await transport.remove(pendingPath(dir));
}
