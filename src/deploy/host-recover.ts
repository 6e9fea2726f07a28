/**
 * Recovery of an operation a crash interrupted (ADR 041). The `pending` marker names it; the
 * rule is:
 *  - an interrupted rollback is always finished (its manifest and every blob it needs were there
 *    before the marker was written, and rollback never writes secrets);
 *  - an interrupted apply is finished when its manifest is readable, its blobs and store paths are
 *    present, and every secret file it declares is live or staged complete with the recorded HMAC
 *    and mode (secret values are never stored, so only what that run wrote can finish it);
 *    otherwise it is undone: the previous `current` generation's files are restored, the new
 *    generation's extra files and staged secrets deleted. Apply stages every secret file before
 *    the first rename and writes secrets after every other file, so either all new secrets are
 *    staged or live (finish) or none replaced an old one (undo).
 */
import { posix } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { currentGeneration, flipCurrent, readGeneration } from "../manifest/generations.js";
import { loadOrCreateHmacKey, secretDigest } from "../manifest/hmac-key.js";
import { currentPath, filesDir, generationLabel } from "../manifest/layout.js";
import { parseModeString, type Manifest, type ManifestFile } from "../manifest/manifest.js";
import { readPending, removePending } from "../manifest/pending.js";
import { readRecord, tryUpdateRecord } from "../manifest/records.js";
import type { Transport } from "../transport/transport.js";
import { deployerName } from "./deployer.js";
import type { EmitHostEvent, HostStep, RecoveryOutcome } from "./host-events.js";
import { deleteAndPrune, ProtectedDirs, restoreFromBlobs, secretStagePath } from "./host-files.js";

export interface RecoveryContext {
  readonly transport: Transport;
  /** `<deployments-root>/<Stack>` on the target. */
  readonly dir: string;
  readonly deploymentsRoot: string;
  readonly storeRoot?: string;
  readonly emit: EmitHostEvent;
  readonly step: (s: HostStep) => void;
}

async function tryRead(transport: Transport, dir: string, n: number | null): Promise<Manifest | null> {
  if (n === null) return null;
  try {
    return await readGeneration(transport, dir, n);
  } catch (e) {
    if (e instanceof FleetError) return null;
    throw e;
  }
}

/** Does the file at `path` hold exactly what the manifest recorded (HMAC and mode)? */
async function secretMatches(transport: Transport, key: Buffer, path: string, f: ManifestFile): Promise<boolean> {
  const [st, bytes] = await Promise.all([transport.stat(path), transport.readFile(path)]);
  return st !== null && st.type === "file" && bytes !== null && st.mode === parseModeString(f.mode) && secretDigest(key, bytes) === f.sha256;
}

/** Secret files of `m` whose live bytes or mode no longer match the manifest's HMAC. */
async function secretsNotLive(transport: Transport, deploymentsRoot: string, m: Manifest): Promise<ManifestFile[]> {
  const secrets = m.files.filter((f) => f.secret);
  if (secrets.length === 0) return [];
  const key = await loadOrCreateHmacKey(transport, deploymentsRoot);
  const out: ManifestFile[] = [];
  for (const f of secrets) if (!(await secretMatches(transport, key, f.path, f))) out.push(f);
  return out;
}

/**
 * Can the interrupted apply to `to` be finished? Then returns the staged secret files still to
 * promote (possibly none); null when it must be undone.
 */
async function finishPlan(ctx: RecoveryContext, to: Manifest): Promise<ManifestFile[] | null> {
  const blobs = new Set((await ctx.transport.readdir(filesDir(ctx.dir))) ?? []);
  if (to.files.some((f) => !f.secret && !blobs.has(f.sha256))) return null;
  if (!to.dry_run && to.store_paths.length > 0) {
    const present = await ctx.transport.storePathsPresent(to.store_paths);
    if (present.some((p) => !p)) return null;
  }
  const missing = await secretsNotLive(ctx.transport, ctx.deploymentsRoot, to);
  if (missing.length === 0) return [];
  const key = await loadOrCreateHmacKey(ctx.transport, ctx.deploymentsRoot);
  for (const f of missing) if (!(await secretMatches(ctx.transport, key, secretStagePath(f.path), f))) return null;
  return missing;
}

function protectionFor(ctx: RecoveryContext, m: Manifest | null): ProtectedDirs {
  const p = new ProtectedDirs().protectRoot(ctx.deploymentsRoot);
  if (ctx.storeRoot !== undefined) p.protectRoot(ctx.storeRoot);
  for (const s of m?.store_paths ?? []) p.protectRoot(posix.dirname(s));
  for (const f of m?.files ?? []) p.protectAncestorsOf(f.path);
  return p;
}

/**
 * A SIGKILL in the middle of an atomic write leaves its temp file (`.<name>.fleet-tmp-<pid>[-<n>]`)
 * beside the file. Only this stack writes its managed files and we hold its lock, so a temp file
 * named after one of them is garbage from the interrupted run.
 */
async function removeStaleTemps(transport: Transport, paths: readonly string[]): Promise<void> {
  const byDir = new Map<string, Set<string>>();
  for (const p of paths) {
    const set = byDir.get(posix.dirname(p)) ?? new Set<string>();
    set.add(posix.basename(p));
    byDir.set(posix.dirname(p), set);
  }
  for (const [dir, names] of byDir) {
    for (const entry of (await transport.readdir(dir)) ?? []) {
      const m = /^\.(.+)\.fleet-tmp-\d+(?:-\d+)?$/.exec(entry);
      if (m && names.has(m[1]!)) await transport.remove(posix.join(dir, entry));
    }
  }
}

/**
 * Finish or undo whatever a `pending` marker names; null when there is none. Idempotent: a crash
 * during recovery leaves the marker, and the next run recovers again.
 */
export async function recoverPending(ctx: RecoveryContext): Promise<RecoveryOutcome | null> {
  const t = ctx.transport;
  const pending = await readPending(t, ctx.dir);
  if (pending === null) return null;
  const to = await tryRead(t, ctx.dir, pending.to);
  const from = await tryRead(t, ctx.dir, pending.from);
  if (pending.from !== null && from === null && to === null) {
    throw new FleetError(fleetMessages.cannotRecover(pending.operation, ctx.dir, generationLabel(pending.to), generationLabel(pending.from)));
  }
  const managed = [...(to?.files ?? []), ...(from?.files ?? [])];
  await removeStaleTemps(t, [
    ...managed.map((f) => f.path),
    ...managed.filter((f) => f.secret).map((f) => secretStagePath(f.path)),
    currentPath(ctx.dir),
  ]);
  const promote = to === null ? null : pending.operation === "rollback" ? [] : await finishPlan(ctx, to);
  const finish = to !== null && promote !== null;
  let first = true;
  const afterFirst = (): void => {
    if (first) ctx.step("recover:first-file-written");
    first = false;
  };

  let unfinished: string | undefined;
  if (finish) {
    try {
      return await finishPending(ctx, pending.operation, pending.from, to, from, promote, afterFirst);
    } catch (e) {
      // A generation the target cannot take (a directory in the way, a name too long) would
      // otherwise fail every later run the same way: undo it instead, and say so (ADR 132).
      if (!(e instanceof FleetError)) throw e;
      unfinished = e.message;
      ctx.emit({
        kind: "warning",
        message: `could not finish the interrupted ${pending.operation} to ${generationLabel(to.generation)} (${e.message}); undoing it instead`,
      });
    }
  }
  return undoPending(ctx, pending, to, from, afterFirst, unfinished);
}

async function finishPending(
  ctx: RecoveryContext,
  operation: "apply" | "rollback",
  pendingFrom: number | null,
  to: Manifest,
  from: Manifest | null,
  promote: readonly ManifestFile[],
  afterFirst: () => void,
): Promise<RecoveryOutcome> {
  const t = ctx.transport;
  const pending = { operation, from: pendingFrom };
  let restored = await restoreFromBlobs(t, ctx.dir, to.files, afterFirst);
  for (const f of promote) {
    await t.rename(secretStagePath(f.path), f.path);
    restored++;
    afterFirst();
  }
  ctx.step("recover:files-written");
  const keep = new Set(to.files.map((f) => f.path));
  const stale = (from?.files ?? []).map((f) => f.path).filter((p) => !keep.has(p));
  const removed = await deleteAndPrune(t, stale, protectionFor(ctx, to), () => ctx.step("recover:first-file-removed"));
  await flipCurrent(t, ctx.dir, to.generation);
  ctx.step("recover:flipped");
  if (operation === "rollback" && pendingFrom !== null && (await readRecord(t, ctx.dir, pendingFrom))?.outcome == null) {
    await recordOutcome(ctx, pendingFrom, "rolled-back", "interrupted rollback, finished by the next run");
  }
  await removePending(t, ctx.dir);
  const outcome: RecoveryOutcome = {
    operation: pending.operation,
    action: "finished",
    generation: to.generation,
    current: to.generation,
    from: pending.from,
    restored,
    removed,
    secretSkipped: to.files.filter((f) => f.secret).length,
    message: `finished interrupted ${pending.operation} to ${generationLabel(to.generation)}`,
  };
  ctx.emit({ kind: "recovered", outcome });
  return outcome;
}

async function undoPending(
  ctx: RecoveryContext,
  pending: { readonly operation: "apply" | "rollback"; readonly to: number; readonly from: number | null },
  to: Manifest | null,
  from: Manifest | null,
  afterFirst: () => void,
  unfinished: string | undefined,
): Promise<RecoveryOutcome> {
  const t = ctx.transport;
  // Undo: make every managed file match `from` again; staged secrets of `to` are dropped.
  for (const f of to?.files ?? []) if (f.secret) await t.remove(secretStagePath(f.path));
  const restored = from === null ? 0 : await restoreFromBlobs(t, ctx.dir, from.files, afterFirst);
  ctx.step("recover:files-written");
  const keep = new Set((from?.files ?? []).map((f) => f.path));
  const extra = (to?.files ?? []).map((f) => f.path).filter((p) => !keep.has(p));
  const removed = await deleteAndPrune(t, extra, protectionFor(ctx, from), () => ctx.step("recover:first-file-removed"));
  if (from === null) await t.remove(currentPath(ctx.dir));
  else if ((await currentGeneration(t, ctx.dir)) !== from.generation) await flipCurrent(t, ctx.dir, from.generation);
  ctx.step("recover:flipped");
  // Why it did not become current (ADR 220), recorded before the marker goes; an apply that had
  // failed (and said why) keeps its reason.
  const earlier = (await readRecord(t, ctx.dir, pending.to))?.outcome;
  const why =
    unfinished !== undefined
      ? `could not finish the interrupted ${pending.operation}: ${unfinished}`
      : earlier?.outcome === "failed"
        ? `${earlier.reason}; undone by the next run`
        : earlier?.outcome === "undone"
          ? earlier.reason // a crash in an earlier recovery: the same undo, the same reason
          : `interrupted ${pending.operation}, undone by the next run`;
  await recordOutcome(ctx, pending.to, "undone", why);
  if (from !== null) {
    for (const { path } of await secretsNotLive(t, ctx.deploymentsRoot, from)) {
      ctx.emit({
        kind: "warning",
        message: `secret file ${path} of ${generationLabel(from.generation)} could not be restored (secret values are never stored); apply again to rewrite it`,
      });
    }
  }
  await removePending(t, ctx.dir);
  const outcome: RecoveryOutcome = {
    operation: pending.operation,
    action: "undone",
    generation: pending.to,
    current: from?.generation ?? null,
    from: pending.from,
    restored,
    removed,
    secretSkipped: 0,
    message:
      `${unfinished !== undefined ? "could not finish, so undid" : "undid"} interrupted ${pending.operation} to ${generationLabel(pending.to)}` +
      (from === null ? " (the stack is back to never deployed)" : ` (${generationLabel(from.generation)} stays current)`),
  };
  ctx.emit({ kind: "recovered", outcome });
  return outcome;
}

async function recordOutcome(ctx: RecoveryContext, n: number, outcome: "undone" | "rolled-back", reason: string): Promise<void> {
  const problem = await tryUpdateRecord(ctx.transport, ctx.dir, n, { outcome: { outcome, reason, at: new Date().toISOString(), by: deployerName() } });
  if (problem !== undefined) ctx.emit({ kind: "warning", message: problem });
}
