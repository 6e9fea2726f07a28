/**
 * The per-(target, stack) lock of a LocalTransport: a `lock` file holding its holder as JSON.
 * The file is written complete beside the lock and hard-linked into place, so the lock appears
 * atomically with its content (link(2) fails with EEXIST when another process got there first).
 */
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { hostname } from "node:os";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { LockHandle, LockHolder } from "./transport.js";

export interface LocalLockRequest {
  /** Absolute local path of the lock file. */
  readonly lockFile: string;
  readonly holder: LockHolder;
  /** `<target>/<stack>`, for messages. */
  readonly what: string;
}

/** Is `pid` a live process of this machine? EPERM means it exists but belongs to someone else. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.host === "string" && typeof v.pid === "number" && typeof v.startedAt === "string") {
      return { host: v.host, pid: v.pid, startedAt: v.startedAt };
    }
  } catch {
    // An unreadable lock file is reported as such below.
  }
  return null;
}

// Synchronous file calls: each takes microseconds locally, and a thread-pool round trip per call
// was most of the lock's cost at fleet scale (ADR 082).
function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function tryCreate(lockFile: string, content: string): boolean {
  const tmp = `${lockFile}.new-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  try {
    linkSync(tmp, lockFile);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * A process SIGKILLed between writing `lock.new-<pid>` (or moving a stale lock to
 * `lock.stale-<pid>`) and removing it leaves that file behind; like a stale lock, one whose pid is
 * no live process of this machine is garbage and removed (ADR 134).
 */
function removeDeadTemps(lockFile: string): void {
  const prefix = `${basename(lockFile)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(lockFile));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(?:new|stale)-(\d+)$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) rmSync(join(dirname(lockFile), name), { force: true });
  }
}

export async function acquireLocalLock(req: LocalLockRequest): Promise<LockHandle> {
  removeDeadTemps(req.lockFile);
  const content = `${JSON.stringify({ host: req.holder.host, pid: req.holder.pid, startedAt: req.holder.startedAt })}\n`;
  const handle = (takeover?: string): LockHandle => ({
    ...(takeover === undefined ? {} : { takeover }),
    release: async () => {
      // Remove the lock only while it is still ours (never a successor's).
      if (readText(req.lockFile) === content) rmSync(req.lockFile, { force: true });
    },
  });

  let takeover: string | undefined;
  // A few rounds: each failed link means another process changed the lock between our reads.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(req.lockFile, content)) return handle(takeover);
    const text = readText(req.lockFile);
    if (text === null) continue; // released meanwhile: try again
    const held = parseHolder(text);
    const stale = held === null || (held.host === hostname() && held.pid !== process.pid && !processAlive(held.pid));
    if (!stale) {
      throw new FleetError(fleetMessages.lockHeldByPid(req.what, held.pid, held.host, held.startedAt, req.lockFile));
    }
    // Move the stale file aside (atomic: only one contender wins), and check we moved what we judged.
    const aside = `${req.lockFile}.stale-${process.pid}`;
    try {
      renameSync(req.lockFile, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw e;
    }
    const moved = readText(aside);
    rmSync(aside, { force: true });
    if (moved !== text) continue;
    takeover =
      held === null
        ? `took over an unreadable lock file ${req.lockFile}`
        : `took over the lock of dead process ${held.pid} (started ${held.startedAt})`;
  }
  throw new FleetError(fleetMessages.lockKeptChangingHands(req.what));
}
