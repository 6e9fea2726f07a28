/**
 * The per-(target, stack) deployments lock over SSH (ADR 052): `flock(1)` on `<dir>/lock` held by
 * a shell that lives as long as one exec channel. Ending the channel's stdin releases it; a dropped
 * connection ends the shell, so the kernel frees the lock with it.
 */
import { basename } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { shellQuote } from "./ssh-exec.js";
import type { LockHolder } from "./transport.js";

/** Exit status of the lock shell when another live process holds the lock. */
export const LOCK_BUSY = 75;

/**
 * Prints `STALE <json>` when it took over a lock file whose holder died without cleaning up,
 * then `LOCKED`; or exits 75 after printing `BUSY <json>`. The inode check guards against the
 * race where the previous holder unlinked the file between our open and our flock.
 */
export function lockScript(dir: string, holder: LockHolder): string {
  const info = JSON.stringify({ host: holder.host, pid: holder.pid, startedAt: holder.startedAt });
  return [
    `d=${shellQuote(dir)}`,
    'mkdir -p "$d" || exit 1',
    "i=0",
    "while :; do",
    '  exec 9>>"$d/lock" || exit 1',
    '  if ! flock -n 9; then printf "BUSY %s\\n" "$(cat "$d/lock" 2>/dev/null)"; exit 75; fi',
    '  if [ "$(stat -L -c %d:%i /proc/$$/fd/9)" = "$(stat -c %d:%i "$d/lock" 2>/dev/null)" ]; then break; fi',
    "  exec 9>&-",
    "  i=$((i+1)); if [ $i -ge 5 ]; then echo \"lock file $d/lock keeps being replaced\" >&2; exit 1; fi",
    "done",
    'old=$(cat "$d/lock")',
    'if [ -n "$old" ]; then printf "STALE %s\\n" "$old"; fi',
    `printf '%s\\n' ${shellQuote(info)} > "$d/lock"`,
    "echo LOCKED",
    "cat >/dev/null",
    'rm -f "$d/lock"',
  ].join("\n");
}

export function parseHolder(json: string): LockHolder | null {
  try {
    const v = JSON.parse(json) as Partial<LockHolder>;
    if (typeof v.host === "string" && typeof v.pid === "number" && typeof v.startedAt === "string") {
      return { host: v.host, pid: v.pid, startedAt: v.startedAt };
    }
  } catch {
    /* a foreign or truncated lock file */
  }
  return null;
}

/**
 * Why a lock request (exec-session or shell-held) did not lock, as the error the host fails with:
 * held by a live process (`busy`: named from its `BUSY <json>` line), or anything else.
 */
export function lockRefusal(target: string, dir: string, busy: boolean, stdout: string, stderr: string, code: number): FleetError {
  if (busy) {
    const h = parseHolder(/^BUSY (.*)$/m.exec(stdout)?.[1] ?? "");
    const by = h ? `pid ${h.pid} on host ${h.host} since ${h.startedAt}` : "another fleet process";
    return new FleetError(fleetMessages.lockHeld(`${target}/${basename(dir)}`, by), { host: target });
  }
  return new FleetError(fleetMessages.cannotLock(dir, target, stderr.trim() || `exit status ${code}`), { host: target });
}

/** The LockHandle's `takeover` note when the lock request took over a dead holder's lock (`STALE <json>`). */
export function takeoverNote(target: string, dir: string, stdout: string): { readonly takeover?: string } {
  const stale = /^STALE (.*)$/m.exec(stdout)?.[1];
  if (stale === undefined) return {};
  const what = `${target}/${basename(dir)}`;
  const old = parseHolder(stale);
  return {
    takeover: old
      ? `took over the lock of ${what} left by pid ${old.pid} on host ${old.host} (started ${old.startedAt}), which is gone`
      : `took over a stale lock of ${what}`,
  };
}
