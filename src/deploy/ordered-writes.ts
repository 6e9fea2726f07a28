/**
 * The writes of SPEC §4's ordering that follow one another with nothing in between (manifest then
 * `pending`; the flip then removing `pending`) go to the target as one ordered sequence where the
 * transport can (ADR 215): each step is durable before the next starts and the first failure
 * stops the rest, so the order on the target is exactly the step-by-step one. The crash-test
 * kill points stay where they were: a sequence is cut after the step the test dies at, so the
 * target holds exactly what it held when the process was killed between single writes.
 */
import { worldFaultReason } from "../fleet-error.js";
import type { LockHandle, SkippedWrite, Transport, WriteStep } from "../transport/transport.js";
import type { HostStep } from "./host-events.js";

export interface OrderedWrite {
  readonly write: WriteStep;
  /** Kill points passed once this write is done, in order. */
  readonly after: readonly HostStep[];
}

/** One step with the transport's single operations; a best-effort write's failure is returned. */
async function one(t: Transport, w: WriteStep): Promise<SkippedWrite | undefined> {
  if (w.kind === "write" && w.bestEffort === true) {
    try {
      await t.writeFileAtomic(w.path, w.data, w.mode);
    } catch (e) {
      return { path: w.path, why: worldFaultReason(e) };
    }
  } else if (w.kind === "write") await t.writeFileAtomic(w.path, w.data, w.mode);
  else if (w.kind === "symlink") await t.symlinkAtomic(w.path, w.target);
  else if (w.kind === "remove") await t.remove(w.path);
  else await pruneEmpty(t, w.dirs);
  return undefined;
}

/** rmdir each directory while it is empty, walking past one already gone (the "prune" step). */
export async function pruneEmpty(t: Transport, dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    if (await t.rmdirIfEmpty(d)) continue;
    // Already gone (an interrupted run removed it): its parent may still be left empty.
    if ((await t.stat(d)) !== null) break;
  }
}

/**
 * `release`, when given, is the host's lock, released with the last of these writes in the same
 * request where the transport can (ADR 215). Never under a crash-test kill point: a kill there
 * must leave the lock held by the dead process, as before.
 */
export async function writeInOrder(
  t: Transport,
  writes: readonly OrderedWrite[],
  step: (s: HostStep) => void,
  dieAt: string | undefined,
  release?: LockHandle,
): Promise<readonly SkippedWrite[]> {
  const skipped: SkippedWrite[] = [];
  let rest = writes;
  while (rest.length > 0) {
    const cut = rest.findIndex((w) => w.after.some((s) => s === dieAt));
    const now = cut < 0 ? rest : rest.slice(0, cut + 1);
    rest = cut < 0 ? [] : rest.slice(cut + 1);
    if (t.writeSequence !== undefined && release !== undefined && dieAt === undefined && rest.length === 0) release.releaseWithNextWrite?.();
    if (t.writeSequence !== undefined) skipped.push(...(await t.writeSequence(now.map((w) => w.write))));
    else {
      for (const w of now) {
        const s = await one(t, w.write);
        if (s !== undefined) skipped.push(s);
      }
    }
    for (const w of now) for (const s of w.after) step(s);
  }
  return skipped;
}
