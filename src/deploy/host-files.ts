/**
 * Making a host's live files match a generation: the shared moves of apply, rollback and recovery.
 * Only files whose bytes or mode differ are written, so rollback is O(files) and never touches the
 * store.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { blobPath } from "../manifest/layout.js";
import { parseModeString, type ManifestFile } from "../manifest/manifest.js";
import type { Transport, WriteStep } from "../transport/transport.js";
import { pruneEmpty } from "./ordered-writes.js";

export function sha256Hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Paths a deletion must never remove while walking up from an emptied directory. */
export class ProtectedDirs {
  private readonly dirs = new Set<string>(["/"]);

  /** `root` and every ancestor of it (the deployments and store roots). */
  protectRoot(root: string): this {
    for (let d = posix.normalize(root); ; d = posix.dirname(d)) {
      this.dirs.add(d);
      if (d === "/" || d === ".") break;
    }
    return this;
  }

  /** Every ancestor directory of a file of the generation being made current. */
  protectAncestorsOf(path: string): this {
    return this.protectRoot(posix.dirname(path));
  }

  has(dir: string): boolean {
    return this.dirs.has(dir);
  }
}

/**
 * Where apply stages a secret file before promoting it with rename(2) (ADR 041): every new secret
 * file is staged complete before the first one replaces a live file, so a crash among the renames
 * can always be finished. Fixed name, so recovery finds it.
 */
export function secretStagePath(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.fleet-secret-stage`);
}

/** A write still to do: the target path, its bytes, its exact mode. */
export interface LiveWrite {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/**
 * Which of `files` differ on the target (absent, other bytes or other mode). `sha256` is the
 * plain digest of the wanted bytes.
 */
export async function filesThatDiffer<T extends { path: string; sha256: string; mode: number }>(
  transport: Transport,
  files: readonly T[],
): Promise<T[]> {
  const live = await transport.digestFiles(files.map((f) => f.path));
  return files.filter((f, i) => {
    const d = live[i];
    return d === null || d === undefined || d.sha256 !== f.sha256 || d.mode !== f.mode;
  });
}

/** How many writes are in flight at once: each one fsyncs, and fsyncs in parallel share journal commits. */
export const WRITE_CONCURRENCY = 16;

/**
 * Run `f` over `items` with at most `limit` calls in flight, in order of start. After a failure
 * nothing new starts, and the first error is thrown only once every call in flight has settled,
 * so no write outlives the lock of the run that started it.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await f(items[next++]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
}

/**
 * Write each file; `afterFirst` runs after the first write (a crash-test kill point). The first
 * write runs alone so that a kill there has nothing else in flight; the rest run in parallel.
 */
export async function writeAll(transport: Transport, writes: readonly LiveWrite[], afterFirst: () => void): Promise<number> {
  const [first, ...rest] = writes;
  if (first === undefined) return 0;
  // Small files go as ordered sequences where the transport can: one round trip for the first
  // (the kill point), one for the rest (ADR 215).
  if (transport.writeSequence !== undefined && writes.reduce((n, w) => n + w.content.length, 0) <= SEQUENCE_BYTES) {
    await transport.writeSequence([{ kind: "write", path: first.path, data: first.content, mode: first.mode }]);
    afterFirst();
    await transport.writeSequence(rest.map((w) => ({ kind: "write", path: w.path, data: w.content, mode: w.mode })));
    return writes.length;
  }
  await transport.writeFileAtomic(first.path, first.content, first.mode);
  afterFirst();
  await forEachLimited(rest, WRITE_CONCURRENCY, (w) => transport.writeFileAtomic(w.path, w.content, w.mode));
  return writes.length;
}

/** Writes of at most this many bytes together go as one ordered sequence (ADR 215). */
export const SEQUENCE_BYTES = 4 * 1024 * 1024;

/**
 * Rewrite every non-secret file of a generation that differs, from `files/<sha256>`. Returns how
 * many were rewritten. A missing or damaged blob is refused before anything is written.
 */
export async function restoreFromBlobs(
  transport: Transport,
  dir: string,
  files: readonly ManifestFile[],
  afterFirst: () => void,
): Promise<number> {
  return writeAll(transport, await restoreWrites(transport, dir, files), afterFirst);
}

/**
 * The writes that make a generation's non-secret files match it, from `files/<sha256>`: only the
 * files whose bytes or mode differ. A missing or damaged blob is refused here, before any write.
 */
export async function restoreWrites(transport: Transport, dir: string, files: readonly ManifestFile[]): Promise<LiveWrite[]> {
  const wanted = files.filter((f) => !f.secret).map((f) => ({ ...f, mode: parseModeString(f.mode) }));
  const differ = await filesThatDiffer(transport, wanted);
  const writes: LiveWrite[] = new Array<LiveWrite>(differ.length);
  // Every blob is read and verified before the first write.
  await forEachLimited([...differ.keys()], WRITE_CONCURRENCY, async (i) => {
    const f = differ[i]!;
    const blob = await transport.readFile(blobPath(dir, f.sha256));
    if (blob === null || sha256Hex(blob) !== f.sha256) {
      throw new FleetError(fleetMessages.storedContentDamaged(f.path, blobPath(dir, f.sha256), blob === null ? "missing" : "damaged"));
    }
    writes[i] = { path: f.path, content: blob, mode: f.mode };
  });
  return writes;
}

/**
 * Delete these live files, then every parent directory the deletion left empty, walking up until
 * a protected or non-empty directory. Returns how many files existed and were removed.
 */
export async function deleteAndPrune(
  transport: Transport,
  paths: readonly string[],
  protect: ProtectedDirs,
  afterFirst: () => void,
): Promise<number> {
  let removed = 0;
  for (const s of await deletionSteps(transport, paths, protect)) {
    if (s.kind === "remove") {
      await transport.remove(s.path);
      if (++removed === 1) afterFirst();
    } else await pruneEmpty(transport, s.dirs);
  }
  return removed;
}

/**
 * deleteAndPrune as ordered write steps (ADR 240), in path order: a remove for each path that is
 * there and not a directory (a directory there is not a file fleet wrote: it is kept), each
 * followed by the prune of the directories above it up to the first protected one.
 */
export async function deletionSteps(
  transport: Transport,
  paths: readonly string[],
  protect: ProtectedDirs,
): Promise<(WriteStep & { readonly kind: "remove" | "prune" })[]> {
  const steps: (WriteStep & { readonly kind: "remove" | "prune" })[] = [];
  for (const path of [...paths].sort()) {
    const st = await transport.stat(path);
    if (st !== null && st.type !== "dir") steps.push({ kind: "remove", path });
    const dirs: string[] = [];
    for (let d = posix.dirname(path); !protect.has(d); d = posix.dirname(d)) dirs.push(d);
    if (dirs.length > 0) steps.push({ kind: "prune", path: dirs[0]!, dirs });
  }
  return steps;
}

/**
 * Refuse, before anything is written, paths the target cannot take as files (ADR 132): a
 * directory (or device, socket, FIFO) where a file goes, or a non-directory where one of its
 * parent directories goes. Each parent directory is looked at once.
 */
export async function refuseObstacles(transport: Transport, paths: readonly string[]): Promise<void> {
  const problems: string[] = [];
  await forEachLimited(paths, WRITE_CONCURRENCY, async (p) => {
    const st = await transport.stat(p);
    if (st !== null && st.type !== "file" && st.type !== "symlink") problems.push(`${p} is ${st.type === "dir" ? "a directory" : "not a regular file"} on the target`);
  });
  const dirs = new Map<string, Promise<string | undefined>>();
  const dirProblem = (d: string): Promise<string | undefined> => {
    let known = dirs.get(d);
    if (known === undefined) {
      known = (async () => {
        if (d === "/") return undefined;
        const st = await transport.stat(d);
        if (st === null) return dirProblem(posix.dirname(d));
        // A symlinked directory is ordinary on a real host (LocalTransport refuses it itself).
        return st.type === "dir" || st.type === "symlink" ? undefined : `${d} is not a directory on the target, but a directory is needed there`;
      })();
      dirs.set(d, known);
    }
    return known;
  };
  const parents = [...new Set(paths.map((p) => posix.dirname(p)))];
  await forEachLimited(parents, WRITE_CONCURRENCY, async (d) => {
    const why = await dirProblem(d);
    if (why !== undefined && !problems.includes(why)) problems.push(why);
  });
  if (problems.length > 0) {
    problems.sort();
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    throw new FleetError(fleetMessages.obstaclesInTheWay(problems.slice(0, 3).join("; "), more));
  }
}
