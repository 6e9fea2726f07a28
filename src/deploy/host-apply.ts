/**
 * The per-host apply pipeline (SPEC §4), from "push missing store paths" to "remove pending".
 * The caller (the fleet orchestrator) has composed, resolved secrets, rendered and realised; this
 * writes the new generation on one target through its Transport.
 */
import { posix } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { nextGeneration, readCurrent } from "../manifest/generations.js";
import { loadOrCreateHmacKey, secretDigest } from "../manifest/hmac-key.js";
import {
  blobPath,
  currentPath,
  filesDir,
  generationFileName,
  generationPath,
  hmacKeyPath,
  pendingPath,
  stackDir,
  type GenerationNumber,
} from "../manifest/layout.js";
import { manifestBytes, modeString, type Manifest, type ManifestFile, type ManifestService } from "../manifest/manifest.js";
import { pendingBytes } from "../manifest/pending.js";
import { nestedPaths, pathLengthProblem } from "../stack/target-path.js";
import type { RenderedFile } from "../stack/types.js";
import type { LockHandle, LockHolder, ReadAhead, StorePush, Transport } from "../transport/transport.js";
import { stepper, type HostEvent, type HostStep, type RecoveryOutcome } from "./host-events.js";
import {
  deleteAndPrune,
  deletionSteps,
  filesThatDiffer,
  forEachLimited,
  ProtectedDirs,
  refuseObstacles,
  secretStagePath,
  SEQUENCE_BYTES,
  sha256Hex,
  WRITE_CONCURRENCY,
  writeAll,
} from "./host-files.js";
import { recoverPending } from "./host-recover.js";
import { writeInOrder, type OrderedWrite } from "./ordered-writes.js";

/** Every directory above these paths, for a read-ahead that must answer their stats too. */
function ancestors(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) for (let d = posix.dirname(p); d !== "/" && !out.has(d); d = posix.dirname(d)) out.add(d);
  return [...out].sort();
}

export interface HostApplyInput {
  readonly transport: Transport;
  readonly stack: string;
  /** The target as written in the host record. */
  readonly target: string;
  readonly machine: string | null;
  /** Absolute, target side (`~` already expanded). */
  readonly deploymentsRoot: string;
  /** Absolute target store root, protected from empty-directory pruning (optional). */
  readonly storeRoot?: string;
  /** Every managed file of the new generation. */
  readonly files: readonly RenderedFile[];
  /** The closure (local path → target path); empty under dry-run. */
  readonly storePushes: readonly StorePush[];
  /** Absolute target store paths (also under dry-run). */
  readonly storePaths: readonly string[];
  readonly services: readonly ManifestService[];
  readonly artifacts: Readonly<Record<string, string>>;
  readonly artifactRefs: readonly string[];
  readonly sourceHash: string;
  readonly backend: string;
  readonly dryRun: boolean;
  /** Injected so manifests are reproducible in tests. */
  readonly clock: () => Date;
  /** `user@machine` recorded in the manifest for `fleet status` (ADR 221). */
  readonly deployedBy?: string;
  readonly holder: LockHolder;
  /** The host's lock, already taken by the caller (who releases it); default: taken and released here. */
  readonly heldLock?: LockHandle;
  /** The caller took heldLock with `applyReads(input)` and it says they were read ahead with it. */
  readonly readAheadWithLock?: boolean;
  /** The caller does nothing more on the host under heldLock: it may be released with the flip. */
  readonly releaseWithFlip?: boolean;
  readonly onEvent?: (e: HostEvent) => void;
  /** Crash-test hook: SIGKILL this process at the step of that name (see APPLY_STEPS). */
  readonly dieAt?: string;
  /**
   * Called under the pending marker after the live files are written and before the replaced
   * generation's stale files are deleted (ADR 190: units that leave are stopped while their unit
   * file still exists), with the manifest replaced (null: first generation) and the new one.
   */
  readonly beforeStaleDeletion?: (replaced: Manifest | null, next: Manifest) => Promise<void>;
}

export interface HostApplyResult {
  readonly generation: GenerationNumber;
  readonly previous: GenerationNumber | null;
  readonly manifest: Manifest;
  /** Live files written because their bytes or mode differed. */
  readonly written: number;
  /** Live files of the previous generation deleted. */
  readonly removed: number;
  /** Store paths pushed (those absent on the target). */
  readonly pushed: number;
  readonly bytesSent: number;
  /** Set when an interrupted operation was found and finished or undone first. */
  readonly recovery: RecoveryOutcome | null;
  /** Set when a dead holder's lock was taken over. */
  readonly lockTakeover: string | null;
}

function checkPath(path: string, what: string): void {
  if (!path.startsWith("/") || posix.normalize(path) !== path || path.endsWith("/") || path.includes("\0")) {
    throw new FleetError(fleetMessages.pathNotNormalised(what, path));
  }
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** Refuse, before the lock and before any write, a file list no generation could hold. */
export function validateInput(input: HostApplyInput): void {
  checkPath(input.deploymentsRoot, "deployments root");
  const seen = new Set<string>();
  for (const f of input.files) {
    checkPath(f.path, "managed file path");
    if (seen.has(f.path)) throw new FleetError(fleetMessages.managedFileTwice(f.path));
    seen.add(f.path);
    if (inside(f.path, input.deploymentsRoot) || inside(input.deploymentsRoot, f.path)) {
      throw new FleetError(fleetMessages.managedFileInDeploymentsRoot(f.path, input.deploymentsRoot));
    }
    if (input.storeRoot !== undefined && inside(f.path, input.storeRoot)) {
      throw new FleetError(fleetMessages.managedFileInStoreRoot(f.path, input.storeRoot));
    }
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) {
      throw new FleetError(fleetMessages.managedFileInvalidMode(f.path, f.mode));
    }
  }
  for (const f of input.files) {
    const tooLong = pathLengthProblem(f.path);
    if (tooLong !== undefined) throw new FleetError(fleetMessages.managedFilePathTooLong(f.path.slice(0, 80), tooLong));
  }
  const [nested] = nestedPaths(input.files.map((f) => f.path));
  if (nested !== undefined) {
    throw new FleetError(fleetMessages.managedFileIsAlsoDirectory(nested[0], nested[1]));
  }
  for (const p of input.storePaths) checkPath(p, "store path");
}

/**
 * Everything an apply reads, asked for in one round trip where the transport can, with the lock
 * when the transport can take both together (ADR 215).
 */
export function applyReads(input: HostApplyInput): ReadAhead {
  const dir = stackDir(input.deploymentsRoot, input.stack);
  return {
    files: [pendingPath(dir), ...(input.files.some((f) => f.secret) ? [hmacKeyPath(input.deploymentsRoot)] : [])],
    links: [currentPath(dir)],
    dirs: [dir, filesDir(dir)],
    stats: [...input.files.map((f) => f.path), ...ancestors(input.files.map((f) => f.path))],
    digests: input.files.map((f) => f.path),
    storePaths: input.dryRun ? [] : input.storePushes.map((p) => p.remotePath),
  };
}

export async function applyHost(input: HostApplyInput): Promise<HostApplyResult> {
  validateInput(input);
  const t = input.transport;
  const emit = input.onEvent ?? (() => undefined);
  const step = stepper(emit, input.dieAt);
  const dir = stackDir(input.deploymentsRoot, input.stack);

  // A caller that must keep the host locked across several operations (apply, health checks,
  // automatic rollback) takes the lock itself and passes it in; it is then the caller's to release.
  const reads = applyReads(input);
  const lock = input.heldLock ?? (await t.acquireLock(dir, input.holder, reads));
  if (input.heldLock === undefined && lock.takeover !== undefined) emit({ kind: "warning", message: lock.takeover });
  try {
    step("apply:locked");
    // The lock goes with the flip's request when nothing follows it under the lock (ADR 215).
    const releaseWith = input.heldLock === undefined || input.releaseWithFlip === true ? lock : undefined;
    const readWithLock = input.heldLock !== undefined ? input.readAheadWithLock === true : lock.readAhead === true;
    if (!readWithLock) await t.readAhead?.(reads);
    const recovery = await recoverPending({
      transport: t,
      dir,
      deploymentsRoot: input.deploymentsRoot,
      ...(input.storeRoot === undefined ? {} : { storeRoot: input.storeRoot }),
      emit,
      step,
    });
    step("apply:recovered");
    const current = await readCurrent(t, dir);

    let pushed = 0;
    let bytesSent = 0;
    if (!input.dryRun && input.storePushes.length > 0) {
      // Checked once: pushStorePaths skips what is present itself (issue 18).
      const before = t.bytesSent;
      const present = await t.storePathsPresent(input.storePushes.map((p) => p.remotePath));
      pushed = present.filter((p) => !p).length;
      if (pushed > 0) bytesSent = (await t.pushStorePaths(input.storePushes)).bytes;
      else bytesSent = t.bytesSent - before;
    }
    step("apply:pushed");

    const plain = input.files.map((f) => ({ file: f, sha256: sha256Hex(f.content) }));
    const key = input.files.some((f) => f.secret) ? await loadOrCreateHmacKey(t, input.deploymentsRoot) : null;
    const manifestFiles: ManifestFile[] = plain
      .map(({ file, sha256 }) => ({
        path: file.path,
        sha256: file.secret ? secretDigest(key!, file.content) : sha256,
        mode: modeString(file.mode),
        secret: file.secret,
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

    const blobs = new Set((await t.readdir(filesDir(dir))) ?? []);
    const newBlobs = new Map<string, Buffer>();
    for (const { file, sha256 } of plain) if (!file.secret && !blobs.has(sha256)) newBlobs.set(sha256, file.content);
    const blobBytes = [...newBlobs.values()].reduce((n, b) => n + b.length, 0);

    // What must be written, and whether the target can take it, before the generation exists:
    // a directory or another non-file where a file goes fails the host with nothing written.
    const differ = await filesThatDiffer(
      t,
      plain.map(({ file, sha256 }) => ({ path: file.path, sha256, mode: file.mode, file })),
    );
    await refuseObstacles(t, differ.map((d) => d.path));

    const generation = await nextGeneration(t, dir);
    const previous = current?.generation ?? null;
    const manifest: Manifest = {
      generation,
      stack: input.stack,
      host: input.target,
      machine: input.machine,
      deployed_at: input.clock().toISOString(),
      ...(input.deployedBy !== undefined ? { deployed_by: input.deployedBy } : {}),
      source_hash: input.sourceHash,
      backend: input.backend,
      dry_run: input.dryRun,
      store_paths: [...new Set(input.storePaths)].sort(),
      services: input.services,
      files: manifestFiles,
      artifacts: input.artifacts,
      artifact_refs: [...input.artifactRefs],
      previous,
    };
    const declared = new Set(input.files.map((f) => f.path));
    const stale = (current?.files ?? []).map((f) => f.path).filter((p) => !declared.has(p));
    const manifestWrites = [
      { write: { kind: "write", path: generationPath(dir, generation), data: manifestBytes(manifest), mode: 0o644 }, after: ["apply:manifest-written"] },
      { write: { kind: "write", path: pendingPath(dir), data: pendingBytes({ operation: "apply", to: generation, from: previous }), mode: 0o644 }, after: ["apply:pending-written"] },
    ] as const;
    const flipWrites = [
      { write: { kind: "symlink", path: currentPath(dir), target: generationFileName(generation) }, after: ["apply:flipped"] },
      { write: { kind: "remove", path: pendingPath(dir) }, after: ["apply:pending-removed"] },
    ] as const;
    const plainWrites = differ.filter((d) => !d.file.secret).map((d) => ({ path: d.path, content: d.file.content, mode: d.mode }));
    const secretWrites = differ.filter((d) => d.file.secret);
    const protect = new ProtectedDirs().protectRoot(input.deploymentsRoot);
    if (input.storeRoot !== undefined) protect.protectRoot(input.storeRoot);
    for (const s of input.storePaths) protect.protectRoot(posix.dirname(s));
    for (const f of input.files) protect.protectAncestorsOf(f.path);

    // No secret to stage and no activation between the live files and deletion: every write, from
    // the stored copies to the flip, goes as one ordered sequence in SPEC §4's order where the
    // transport batches writes (ADR 215, ADR 240); the kill points cut it where a test dies.
    const liveBytes = plainWrites.reduce((n, w) => n + w.content.length, 0);
    if (t.writeSequence !== undefined && secretWrites.length === 0 && input.beforeStaleDeletion === undefined && blobBytes + liveBytes <= SEQUENCE_BYTES) {
      if (stale.length > 0) await t.readAhead?.({ stats: stale });
      const deletions = await deletionSteps(t, stale, protect);
      const firstRemove = deletions.findIndex((d) => d.kind === "remove");
      const writes: OrderedWrite[] = [
        ...[...newBlobs].map(([sha256, content]) => ({ write: { kind: "write", path: blobPath(dir, sha256), data: content, mode: 0o644 }, after: [] }) as OrderedWrite),
        manifestWrites[0],
        manifestWrites[1],
        ...plainWrites.map((w, i) => ({ write: { kind: "write", path: w.path, data: w.content, mode: w.mode }, after: i === 0 ? ["apply:first-live-file-written"] : [] }) as OrderedWrite),
      ];
      // Kill points with no write of their own go with the write before them.
      const pass = (at: number, ...steps: HostStep[]): void => {
        writes[at] = { ...writes[at]!, after: [...writes[at]!.after, ...steps] };
      };
      if (newBlobs.size === 0) step("apply:files-stored");
      else pass(newBlobs.size - 1, "apply:files-stored");
      pass(writes.length - 1, "apply:secrets-staged", "apply:live-files-written");
      writes.push(...deletions.map((d, i) => ({ write: d, after: i === firstRemove ? ["apply:first-stale-file-deleted"] : [] }) as OrderedWrite));
      pass(writes.length - 1, "apply:stale-files-deleted");
      await writeInOrder(t, [...writes, ...flipWrites], step, input.dieAt, releaseWith);
      const removed = deletions.filter((d) => d.kind === "remove").length;
      return { generation, previous, manifest, written: plainWrites.length, removed, pushed, bytesSent, recovery, lockTakeover: lock.takeover ?? null };
    }
    if (t.writeSequence !== undefined && blobBytes <= SEQUENCE_BYTES) {
      await t.writeSequence([...newBlobs].map(([sha256, content]) => ({ kind: "write", path: blobPath(dir, sha256), data: content, mode: 0o644 })));
    } else await forEachLimited([...newBlobs], WRITE_CONCURRENCY, ([sha256, content]) => t.writeFileAtomic(blobPath(dir, sha256), content, 0o644));
    step("apply:files-stored");
    await writeInOrder(t, manifestWrites, step, input.dieAt);

    // Secret files last, staged complete before the first is renamed into place: a crash before
    // the renames leaves the old secrets intact (recovery can undo), a crash among them leaves the
    // rest staged (recovery can finish). Secret values are never stored, so nothing else could
    // restore them (ADR 041).
    let firstDone = false;
    const afterFirst = (): void => {
      if (!firstDone) step("apply:first-live-file-written");
      firstDone = true;
    };
    let written = await writeAll(t, plainWrites, afterFirst);
    await forEachLimited(secretWrites, WRITE_CONCURRENCY, (d) => t.writeFileAtomic(secretStagePath(d.path), d.file.content, d.mode));
    step("apply:secrets-staged");
    for (const d of secretWrites) {
      await t.rename(secretStagePath(d.path), d.path);
      written++;
      afterFirst();
    }
    step("apply:live-files-written");
    if (input.beforeStaleDeletion !== undefined) await input.beforeStaleDeletion(current, manifest);

    const removed = await deleteAndPrune(t, stale, protect, () => step("apply:first-stale-file-deleted"));
    step("apply:stale-files-deleted");

    await writeInOrder(t, flipWrites, step, input.dieAt, releaseWith);

    return { generation, previous, manifest, written, removed, pushed, bytesSent, recovery, lockTakeover: lock.takeover ?? null };
  } finally {
    if (input.heldLock === undefined) await lock.release();
  }
}
