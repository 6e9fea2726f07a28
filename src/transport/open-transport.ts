/** Chooses and opens the transport of each host record: a folder under --transport-root, or SSH. */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { LocalTransport } from "./local.js";
import { loadSshConfig } from "./ssh-config.js";
import { parseTarget, sanitiseTarget, targetUser } from "./target.js";
import type { LockHandle, LockHolder, ReadAhead, Transport } from "./transport.js";
import { expandRoot, type ChosenRoot } from "../store/roots.js";

/** Where the default roots live on a host deployed through sudo: root's, not the user's (ADR 107). */
export const SUDO_ROOTS_DIR = "/var/lib/fleet";

/**
 * A store or deployments root as the target sees it: `~` expanded with the target's home; on a
 * sudo host the defaults (`~/.fleet/…`) become root-owned directories under /var/lib/fleet, which
 * services running as other users can traverse.
 */
export function targetRoot(root: ChosenRoot, home: string, transport: Transport): string {
  if (transport.sudo === true && root.origin === "default" && root.raw.startsWith("~/.fleet/")) {
    return `${SUDO_ROOTS_DIR}/${root.raw.slice("~/.fleet/".length)}`;
  }
  return expandRoot(root.raw, home, root.origin);
}

export interface TransportOptions {
  readonly transportRoot?: string;
  readonly key?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly connectTimeoutMs?: number;
  /** `-F FILE` (or `none`); default ~/.ssh/config when present. */
  readonly sshConfig?: string;
  /** SSH keepalive period; 3 missed in a row count as a dropped connection. */
  readonly keepaliveMs?: number;
  /** `--sudo`: the default of every host record without a `sudo` field (ADR 107). */
  readonly sudo?: boolean;
  /** Per target, whether it is deployed through sudo (set by `withHostSudo`). */
  readonly sudoTargets?: ReadonlyMap<string, boolean>;
}

/**
 * Options that know, per target, whether it goes through sudo: a record's `sudo` field, else the
 * `--sudo` flag. Records sharing a target must agree (one host, one way in): else exit 2.
 */
export function withHostSudo<T extends TransportOptions>(hosts: readonly HostRecord[], options: T): T {
  const byTarget = new Map<string, boolean>();
  for (const h of hosts) {
    const sudo = h.sudo ?? options.sudo ?? false;
    const other = byTarget.get(h.target);
    if (other !== undefined && other !== sudo) {
      throw new UsageError(fleetMessages.hostRecordsDisagreeSudo(h.target));
    }
    byTarget.set(h.target, sudo);
  }
  return { ...options, sudoTargets: byTarget };
}

/** Usage errors about targets, raised before any host is contacted (exit 2). */
export function checkTargets(hosts: readonly HostRecord[], options: TransportOptions): void {
  // The same rule in both modes (ADR 133): a target that could not be reached over SSH is not
  // accepted hermetically either.
  for (const h of hosts) parseTarget(h.target);
  withHostSudo(hosts, options);
  if (options.transportRoot !== undefined) {
    checkTransportRoot(options.transportRoot);
    const byDir = new Map<string, string>();
    for (const h of hosts) {
      const dir = sanitiseTarget(h.target);
      const other = byDir.get(dir);
      if (other !== undefined && other !== h.target) {
        throw new UsageError(fleetMessages.targetsBothMapUnder(other, h.target, dir));
      }
      byDir.set(dir, h.target);
    }
    return;
  }
  // A malformed configuration file is a usage error located file:line, before any host (ADR 115).
  loadSshConfig(options.sshConfig);
  if (options.key !== undefined && !existsSync(options.key)) {
    throw new UsageError(fleetMessages.keySuchFileGive(options.key));
  }
}

/** `--transport-root` must be a directory when it exists (it is created otherwise). */
function checkTransportRoot(root: string): void {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code !== "ENOTDIR") throw new UsageError(fleetMessages.transportRootCannotUse(root, code ?? "error"));
  }
  if (st === undefined || !st.isDirectory()) {
    throw new UsageError(fleetMessages.transportRootDirectoryGive(root));
  }
}

/** Directory a target maps to under --transport-root (a relative root is taken from the cwd). */
export function hermeticDir(transportRoot: string, target: string): string {
  return resolve(transportRoot, sanitiseTarget(target));
}

export async function openTransport(target: string, options: TransportOptions): Promise<Transport> {
  return trackLocks(await openUntracked(target, options));
}

/** Every host lock this process holds right now, so an interrupted run can release them. */
const heldLocks = new Set<LockHandle>();

/** Release every lock still held (SIGINT/SIGTERM); each release is tried, errors are ignored. */
export async function releaseHeldLocks(): Promise<number> {
  const locks = [...heldLocks];
  heldLocks.clear();
  await Promise.all(locks.map((l) => l.release().catch(() => undefined)));
  return locks.length;
}

function trackLocks(t: Transport): Transport {
  const acquire = t.acquireLock.bind(t);
  t.acquireLock = async (dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle> => track(await acquire(dir, holder, reads));
  const ifPresent = t.acquireLockIfPresent?.bind(t);
  if (ifPresent !== undefined) {
    t.acquireLockIfPresent = async (dir: string, holder: LockHolder, reads?: ReadAhead): Promise<LockHandle | null> => {
      const lock = await ifPresent(dir, holder, reads);
      return lock === null ? null : track(lock);
    };
  }
  return t;
}

/** The handle, known to releaseHeldLocks until it is released. */
function track(lock: LockHandle): LockHandle {
  const tracked: LockHandle = {
    ...(lock.takeover !== undefined ? { takeover: lock.takeover } : {}),
    ...(lock.readAhead === true ? { readAhead: true } : {}),
    ...(lock.releaseWithNextWrite !== undefined ? { releaseWithNextWrite: () => lock.releaseWithNextWrite!() } : {}),
    release: async () => {
      heldLocks.delete(tracked);
      await lock.release();
    },
  };
  heldLocks.add(tracked);
  return tracked;
}

async function openUntracked(target: string, options: TransportOptions): Promise<Transport> {
  if (options.transportRoot !== undefined) {
    return new LocalTransport({ root: hermeticDir(options.transportRoot, target), target, user: targetUser(target) });
  }
  const { openSshTransport } = await import("./ssh-transport.js");
  return openSshTransport({
    target,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.sshConfig !== undefined ? { sshConfig: options.sshConfig } : {}),
    ...(options.keepaliveMs !== undefined ? { keepaliveIntervalMs: options.keepaliveMs } : {}),
    sudo: options.sudoTargets?.get(target) ?? options.sudo ?? false,
  });
}
