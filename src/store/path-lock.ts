/**
 * Per-store-path build lock (SPEC §2, ADR 025): `<store-root>/.locks/<base>.lock`, created with
 * O_EXCL and holding `<pid> <hostname>`. A second builder of the same path waits while the holder
 * lives; a holder on this machine whose pid is gone is dead, and its lock is taken over, so a
 * SIGKILLed build never wedges the store. Take-over goes through a short-lived `.break` lock so two
 * waiters that both see the dead holder cannot both remove a lock the other just created.
 */
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const LOCK_DIR = ".locks";
const POLL_MS = 50;

export interface PathLock {
  release(): Promise<void>;
}

export function lockFileOf(storeRoot: string, base: string): string {
  return path.join(storeRoot, LOCK_DIR, `${base}.lock`);
}

/** Wait until this process holds the lock of `base`. */
export async function acquirePathLock(storeRoot: string, base: string): Promise<PathLock> {
  const file = lockFileOf(storeRoot, base);
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    if (await tryCreate(file)) return { release: () => unlinkQuietly(file) };
    const holder = await readHolder(file);
    if (holder !== undefined && !isAlive(holder)) await takeOver(file, holder);
    else await sleep(POLL_MS);
  }
}

/** Whether a live process holds the lock of `base` (a lock of another machine counts as live). */
export async function isLockHeld(storeRoot: string, base: string): Promise<boolean> {
  const holder = await readHolder(lockFileOf(storeRoot, base));
  return holder !== undefined && isAlive(holder);
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly raw: string;
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const fh = await open(file, "wx", 0o644);
    try {
      await fh.writeFile(`${process.pid} ${hostname()}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const [pidText = "", host = ""] = raw.trim().split(/\s+/);
  const pid = Number(pidText);
  // A lock being written right now can be empty for an instant; treat it as live and look again.
  if (!Number.isSafeInteger(pid) || pid <= 0) return { pid: process.pid, host: hostname(), raw };
  return { pid, host, raw };
}

function isAlive(h: Holder): boolean {
  if (h.host !== "" && h.host !== hostname()) return true; // cannot tell: never steal another machine's lock
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function takeOver(file: string, dead: Holder): Promise<void> {
  const breaker = `${file}.break`;
  if (!(await tryCreate(breaker))) {
    const b = await readHolder(breaker);
    if (b !== undefined && !isAlive(b)) await unlinkQuietly(breaker);
    else await sleep(POLL_MS);
    return;
  }
  try {
    const now = await readHolder(file);
    if (now !== undefined && now.raw === dead.raw) await unlinkQuietly(file);
  } finally {
    await unlinkQuietly(breaker);
  }
}

async function unlinkQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
