/**
 * The host side of the systemd test rig (see systemd-rig.ts): everything the rig creates on the
 * machine running the tests — a run directory on a tmpfs, overlay mounts, cgroups, network
 * namespaces, detached supervisor processes — and how to take all of it down again, including what
 * a killed earlier run left behind.
 *
 * Everything a run owns is named after its run id, so concurrent runs (several test files, several
 * engineers) never touch each other's machines:
 *   /tmp/fleet-rig/<run>.owner          pid + start time of the process that owns the run
 *   /tmp/fleet-rig/<run>/               a tmpfs: keys, known_hosts, per-machine upper/work/root
 *   <cgroup root>/fleet-rig/<run>/<m>/  one cgroup per machine (supervisor, nspawn, container)
 *   /run/netns/fr-<run>-<bastion>       the private network namespace of a bastion group
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const RIG_BASE = "/tmp/fleet-rig";
export const NSPAWN_STATE = "/run/systemd/nspawn";
const NETNS_DIR = "/run/netns";
const CGROUP_FS = "/sys/fs/cgroup";

/** Every cgroup hierarchy a rig cgroup is created in; the first is the one processes are read from. */
export function cgroupHierarchies(): string[] {
  const out: string[] = [];
  if (existsSync(join(CGROUP_FS, "cgroup.controllers"))) out.push(CGROUP_FS); // pure cgroup v2
  if (existsSync(join(CGROUP_FS, "systemd", "cgroup.procs"))) out.push(join(CGROUP_FS, "systemd"));
  if (existsSync(join(CGROUP_FS, "unified", "cgroup.procs"))) out.push(join(CGROUP_FS, "unified"));
  return out;
}

export function runCgroupDirs(runId: string): string[] {
  return cgroupHierarchies().map((h) => join(h, "fleet-rig", runId));
}

export function netnsName(runId: string, bastion: string): string {
  return `fr-${runId}-${bastion}`;
}

export function sh(cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Start time (clock ticks since boot) of a process, or undefined when it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(name));
    } catch {
      /* process vanished */
    }
  }
  return out;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** nspawn refuses to start without a writable /run/systemd/nspawn; without a system bus it is a tmpfs. */
export function ensureNspawnStateDir(): void {
  mkdirSync(NSPAWN_STATE, { recursive: true });
  if (isMountpoint(NSPAWN_STATE)) return;
  mkdirSync(RIG_BASE, { recursive: true });
  // Under a lock: two runs starting together must not stack two tmpfs there.
  sh("flock", [
    join(RIG_BASE, ".nspawn-state.lock"),
    "sh",
    "-c",
    `mountpoint -q ${NSPAWN_STATE} || mount -t tmpfs -o mode=0755,size=16m tmpfs ${NSPAWN_STATE}`,
  ]);
}

interface MountEntry {
  readonly target: string;
}

/** Mount points from /proc/self/mountinfo, in mount order (octal escapes decoded). */
export function mounts(): MountEntry[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => ({
      target: (line.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
    }));
}

export function isMountpoint(path: string): boolean {
  return mounts().some((m) => m.target === path);
}

/** Mount points at or below `dir`, deepest (latest) first. */
export function mountsUnder(dir: string): string[] {
  return mounts()
    .map((m) => m.target)
    .filter((t) => t === dir || t.startsWith(`${dir}/`))
    .reverse();
}

/** Pids of every process in a cgroup subtree. */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const p of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n")) if (p) out.push(Number(p));
    } catch {
      /* removed meanwhile */
    }
    for (const e of entries) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(dir);
  return out;
}

function rmdirTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    /* a process still in it; the caller reports what is left */
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILL every process in the cgroup subtrees until none is left, then remove the cgroups. */
export function killCgroups(dirs: readonly string[]): void {
  const [primary] = dirs;
  for (let i = 0; i < 100 && primary; i++) {
    const pids = dirs.flatMap(cgroupPids);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    sleepSync(50);
  }
  for (const d of dirs) rmdirTree(d);
}

/** Unmount everything at or below `dir` (lazily when busy); returns the mount points still there. */
export function unmountUnder(dir: string): string[] {
  for (let pass = 0; pass < 3; pass++) {
    const left = mountsUnder(dir);
    if (left.length === 0) return [];
    for (const m of left) {
      try {
        sh("umount", [m]);
      } catch {
        try {
          sh("umount", ["-l", m]);
        } catch {
          /* reported below */
        }
      }
    }
  }
  return mountsUnder(dir);
}

export function deleteNetns(name: string): void {
  if (!existsSync(join(NETNS_DIR, name))) return;
  try {
    sh("ip", ["netns", "delete", name]);
  } catch {
    /* reported by the caller's leftover check */
  }
}

export interface RunOwner {
  readonly pid: number;
  readonly start: string;
}

export function ownerFile(runId: string): string {
  return join(RIG_BASE, `${runId}.owner`);
}

export function writeOwner(runId: string): void {
  mkdirSync(RIG_BASE, { recursive: true });
  const start = processStartTime(process.pid) ?? "";
  writeFileSync(ownerFile(runId), JSON.stringify({ pid: process.pid, start } satisfies RunOwner));
}

function runAlive(runId: string): boolean {
  const file = ownerFile(runId);
  let owner: RunOwner;
  try {
    owner = JSON.parse(readFileSync(file, "utf8")) as RunOwner;
  } catch {
    // A run writes its owner file before anything else; a missing or half-written one is either
    // a run starting this very moment or garbage. Give it a minute.
    try {
      return Date.now() - statSync(existsSync(file) ? file : join(RIG_BASE, runId)).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  return processStartTime(owner.pid) === owner.start;
}

/**
 * Take down everything of one run: processes and cgroups, network namespaces, mounts, the run
 * directory and nspawn's per-machine state. Synchronous so it can run from an exit handler.
 * Returns what could not be removed (empty when clean).
 */
export function teardownRun(runId: string, machineNames: readonly string[] = []): string[] {
  killCgroups(runCgroupDirs(runId));
  if (existsSync(NETNS_DIR)) {
    for (const ns of readdirSync(NETNS_DIR)) if (ns.startsWith(`fr-${runId}-`)) deleteNetns(ns);
  }
  const dir = join(RIG_BASE, runId);
  // nspawn's image lock (named after the root's device and inode) outlives a killed nspawn.
  for (const m of mountsUnder(dir)) {
    if (!m.endsWith("/root")) continue;
    try {
      const st = statSync(m);
      rmSync(join(NSPAWN_STATE, "locks", `inode-${st.dev}:${st.ino}`), { force: true });
    } catch {
      /* not there */
    }
  }
  const left = unmountUnder(dir);
  // Never delete a tree that still has something mounted in it.
  if (left.length === 0) rmSync(dir, { recursive: true, force: true });
  const names = new Set(machineNames);
  const propagate = join(NSPAWN_STATE, "propagate");
  if (existsSync(propagate)) {
    for (const n of readdirSync(propagate)) {
      if (names.has(n) || n.startsWith(`fr-${runId}-`)) rmSync(join(propagate, n), { recursive: true, force: true });
    }
  }
  rmSync(ownerFile(runId), { force: true });
  const problems = left.map((m) => `still mounted: ${m}`);
  for (const d of runCgroupDirs(runId)) if (existsSync(d)) problems.push(`cgroup left: ${d}`);
  if (existsSync(NETNS_DIR)) {
    for (const ns of readdirSync(NETNS_DIR)) if (ns.startsWith(`fr-${runId}-`)) problems.push(`netns left: ${ns}`);
  }
  return problems;
}

/** Tear down every run whose owning process is gone (a test worker killed mid-run). */
export function sweepStaleRuns(): string[] {
  const runs = new Set<string>();
  if (existsSync(RIG_BASE)) {
    for (const e of readdirSync(RIG_BASE)) if (!e.startsWith(".")) runs.add(e.replace(/\.owner$/, ""));
  }
  for (const h of cgroupHierarchies()) {
    const d = join(h, "fleet-rig");
    if (existsSync(d)) for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) runs.add(e.name);
  }
  if (existsSync(NETNS_DIR)) {
    for (const ns of readdirSync(NETNS_DIR)) {
      const m = /^fr-([a-z0-9]+)-/.exec(ns);
      if (m?.[1]) runs.add(m[1]);
    }
  }
  const swept: string[] = [];
  for (const runId of runs) {
    if (!/^[a-z0-9]+$/.test(runId) || runAlive(runId)) continue;
    teardownRun(runId);
    swept.push(runId);
  }
  return swept;
}
