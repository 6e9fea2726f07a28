/**
 * Rollback of one host (SPEC §4): no evaluation, no build, O(files). Restores the previous
 * generation's non-secret files from `files/`, deletes what it did not declare, flips `current`.
 */
import { posix } from "node:path";
import { FleetError } from "../fleet-error.js";
import { readCurrent, readGeneration } from "../manifest/generations.js";
import {
  blobPath,
  currentPath,
  filesDir,
  generationFileName,
  generationLabel,
  generationPath,
  pendingPath,
  recordPath,
  stackDir,
  type GenerationNumber,
} from "../manifest/layout.js";
import type { Manifest } from "../manifest/manifest.js";
import { pendingBytes } from "../manifest/pending.js";
import { fleetMessages } from "../fleet-messages.js";
import { recordProblem, recordWrite, type HealthRecord } from "../manifest/records.js";
import { deployerName } from "./deployer.js";
import type { LockHandle, LockHolder, ReadAhead, SkippedWrite, Transport } from "../transport/transport.js";
import { stepper, type HostEvent, type RecoveryOutcome } from "./host-events.js";
import { deletionSteps, ProtectedDirs, restoreWrites, SEQUENCE_BYTES, writeAll } from "./host-files.js";
import { recoverPending } from "./host-recover.js";
import { writeInOrder, type OrderedWrite } from "./ordered-writes.js";

export interface HostRollbackInput {
  readonly transport: Transport;
  readonly stack: string;
  /** The target as written in the host record (for messages). */
  readonly target: string;
  /** Absolute, target side. */
  readonly deploymentsRoot: string;
  readonly holder: LockHolder;
  /** The host's lock, already taken by the caller (who releases it); default: taken and released here. */
  readonly heldLock?: LockHandle;
  readonly onEvent?: (e: HostEvent) => void;
  /** Crash-test hook: SIGKILL at the step of that name (see ROLLBACK_STEPS). */
  readonly dieAt?: string;
  /** As in HostApplyInput (ADR 190): after the restored files are written, before N's extra files go. */
  readonly beforeStaleDeletion?: (replaced: Manifest | null, next: Manifest) => Promise<void>;
  /** Run after `pending` is removed, still under the lock (activation's second half). */
  readonly afterFlip?: () => Promise<void>;
  /**
   * What `fleet status` will say about the generation rolled back from (ADR 220): why (default
   * "fleet rollback"), by whom (default this controller), and the health result that caused it.
   * Secret values must already be out of `reason`.
   */
  readonly record?: { readonly reason: string; readonly by?: string; readonly health?: HealthRecord };
  /**
   * The generation a look before the lock found before the current one (`fleet rollback`'s view
   * of the host): its manifest is read with the lock, in the same round trip (ADR 240). Only a
   * guess: what the lock finds decides.
   */
  readonly previousHint?: GenerationNumber | null;
}

export interface HostRollbackResult {
  /** The generation now current (P). */
  readonly generation: GenerationNumber;
  /** The generation that was current (N). */
  readonly was: GenerationNumber;
  /** Non-secret files rewritten because their bytes or mode differed. */
  readonly restored: number;
  /** Files of N absent from P that were deleted. */
  readonly removed: number;
  /** P's secret files, left as they are (their values were never stored). */
  readonly secretSkipped: number;
  readonly recovery: RecoveryOutcome | null;
  readonly lockTakeover: string | null;
}

export async function rollbackHost(input: HostRollbackInput): Promise<HostRollbackResult> {
  const t = input.transport;
  const emit = input.onEvent ?? (() => undefined);
  const step = stepper(emit, input.dieAt);
  const dir = stackDir(input.deploymentsRoot, input.stack);

  const never = (): FleetError => new FleetError(fleetMessages.neverDeployed(input.stack, input.target));
  // Never deployed: refuse without creating the stack's directory (the lock would create it);
  // where the transport can, the lock itself checks, in the same round trip (ADR 215).
  const hinted = input.previousHint === undefined || input.previousHint === null ? [] : [generationPath(dir, input.previousHint)];
  const reads: ReadAhead = { files: [pendingPath(dir), ...hinted], links: [currentPath(dir)], dirs: [dir, filesDir(dir)] };
  let lock: LockHandle;
  if (input.heldLock !== undefined) lock = input.heldLock;
  else if (t.acquireLockIfPresent !== undefined) {
    const l = await t.acquireLockIfPresent(dir, input.holder, reads);
    if (l === null) throw never();
    lock = l;
  } else {
    if ((await t.stat(dir)) === null) throw never();
    // A caller that must keep the host locked across several operations (apply, health checks,
    // automatic rollback) takes the lock itself and passes it in; it is then the caller's to release.
    lock = await t.acquireLock(dir, input.holder, reads);
  }
  if (input.heldLock === undefined && lock.takeover !== undefined) emit({ kind: "warning", message: lock.takeover });
  try {
    step("rollback:locked");
    if (input.heldLock !== undefined || lock.readAhead !== true) await t.readAhead?.(reads);
    const recovery = await recoverPending({ transport: t, dir, deploymentsRoot: input.deploymentsRoot, emit, step });
    step("rollback:recovered");
    const lockTakeover = lock.takeover ?? null;
    // The rollback this command was asked for is the one a crash interrupted: finishing it is the
    // whole job, not a reason to go one generation further back (ADR 041).
    if (recovery !== null && recovery.operation === "rollback" && recovery.action === "finished" && recovery.from !== null) {
      return {
        generation: recovery.generation,
        was: recovery.from,
        restored: recovery.restored,
        removed: recovery.removed,
        secretSkipped: recovery.secretSkipped,
        recovery,
        lockTakeover,
      };
    }

    const current = await readCurrent(t, dir);
    if (current === null) {
      throw new FleetError(fleetMessages.neverDeployed(input.stack, input.target));
    }
    if (current.previous === null) {
      throw new FleetError(fleetMessages.noPreviousGeneration(input.stack, input.target, generationLabel(current.generation)));
    }
    if (current.previous !== input.previousHint) await t.readAhead?.({ files: [generationPath(dir, current.previous)] });
    const prev = await readGeneration(t, dir, current.previous);
    // What the rest reads, in one round trip (ADR 215): the live files' digests, the pinned store
    // paths, what deletion looks at, the stored copies of the files that differ between the two,
    // and N's record, which the rollback merges into.
    const now = new Map(current.files.map((f) => [f.path, f.sha256]));
    const keep = new Set(prev.files.map((f) => f.path));
    const gone = current.files.map((f) => f.path).filter((p) => !keep.has(p));
    await t.readAhead?.({
      files: [...prev.files.filter((f) => !f.secret && now.get(f.path) !== f.sha256).map((f) => blobPath(dir, f.sha256)), recordPath(dir, current.generation)],
      digests: prev.files.filter((f) => !f.secret).map((f) => f.path),
      storePaths: prev.dry_run ? [] : prev.store_paths,
      stats: gone,
    });
    if (!prev.dry_run && prev.store_paths.length > 0) {
      const present = await t.storePathsPresent(prev.store_paths);
      const missing = prev.store_paths.filter((_, i) => !present[i]);
      if (missing.length > 0) {
        throw new FleetError(fleetMessages.pinnedStorePathsMissing(input.stack, generationLabel(prev.generation), input.target, missing.join(", ")));
      }
    }
    // Every stored copy is read and checked before anything is written.
    const restores = await restoreWrites(t, dir, prev.files);
    step("rollback:verified");

    // The writes, in SPEC §4's order: pending, P's files, N's extra files gone, N's record, the
    // flip, pending gone. Where the transport batches writes they go as one ordered sequence
    // (ADR 240), cut only where activation must run in between or a crash test dies.
    const pending: OrderedWrite = {
      write: { kind: "write", path: pendingPath(dir), data: pendingBytes({ operation: "rollback", to: prev.generation, from: current.generation }), mode: 0o644 },
      after: ["rollback:pending-written", ...(restores.length === 0 ? (["rollback:files-restored"] as const) : [])],
    };
    const restoreSteps: OrderedWrite[] = restores.map((w, i) => ({
      write: { kind: "write", path: w.path, data: w.content, mode: w.mode },
      after: [...(i === 0 ? (["rollback:first-file-restored"] as const) : []), ...(i === restores.length - 1 ? (["rollback:files-restored"] as const) : [])],
    }));
    const protect = new ProtectedDirs().protectRoot(input.deploymentsRoot);
    for (const p of [...prev.store_paths, ...current.store_paths]) protect.protectRoot(posix.dirname(p));
    for (const f of prev.files) protect.protectAncestorsOf(f.path);
    const deletions = await deletionSteps(t, gone, protect);
    const firstRemove = deletions.findIndex((d) => d.kind === "remove");
    const removed = deletions.filter((d) => d.kind === "remove").length;
    const deletionWrites: OrderedWrite[] = deletions.map((d, i) => ({
      write: d,
      after: [...(i === firstRemove ? (["rollback:first-file-removed"] as const) : []), ...(i === deletions.length - 1 ? (["rollback:files-removed"] as const) : [])],
    }));
    // Recorded before the flip: pending says a rollback is under way, so a crash from here on is
    // finished by the next run, record and all (ADR 220). Best effort: a record that cannot be
    // written is a warning, and the flip goes on.
    const record = await recordWrite(t, dir, current.generation, {
      outcome: { outcome: "rolled-back", reason: input.record?.reason ?? "fleet rollback", at: new Date().toISOString(), by: input.record?.by ?? deployerName() },
      ...(input.record?.health !== undefined ? { health: input.record.health } : {}),
    });
    const tail: OrderedWrite[] = [
      ...deletionWrites,
      { write: record, after: [] },
      { write: { kind: "symlink", path: currentPath(dir), target: generationFileName(prev.generation) }, after: ["rollback:flipped"] },
      { write: { kind: "remove", path: pendingPath(dir) }, after: ["rollback:pending-removed"] },
    ];
    // The lock goes with the last request when this call holds it and nothing follows (ADR 215).
    const release = input.heldLock === undefined && input.afterFlip === undefined ? lock : undefined;
    const bytes = restores.reduce((n, w) => n + w.content.length, 0);
    const together = t.writeSequence !== undefined && bytes <= SEQUENCE_BYTES && input.beforeStaleDeletion === undefined;
    let skipped: readonly SkippedWrite[];
    if (together) {
      const head = [pending, ...restoreSteps];
      // With nothing to delete, the kill point after deletion is the one after the last restore.
      if (deletions.length === 0) head[head.length - 1] = { ...head.at(-1)!, after: [...head.at(-1)!.after, "rollback:files-removed"] };
      skipped = await writeInOrder(t, [...head, ...tail], step, input.dieAt, release);
    } else {
      await writeInOrder(t, [{ ...pending, after: ["rollback:pending-written"] }], step, input.dieAt);
      await writeAll(t, restores, () => step("rollback:first-file-restored"));
      step("rollback:files-restored");
      if (input.beforeStaleDeletion !== undefined) await input.beforeStaleDeletion(current, prev);
      if (deletions.length === 0) step("rollback:files-removed");
      skipped = await writeInOrder(t, tail, step, input.dieAt, release);
    }
    for (const k of skipped) emit({ kind: "warning", message: recordProblem(current.generation, k.why) });
    if (input.afterFlip !== undefined) await input.afterFlip();

    return {
      generation: prev.generation,
      was: current.generation,
      restored: restores.length,
      removed,
      secretSkipped: prev.files.filter((f) => f.secret).length,
      recovery,
      lockTakeover,
    };
  } finally {
    if (input.heldLock === undefined) await lock.release();
  }
}
