/**
 * Many "hosts" on one machine for the SSH benchmarks (wan.ts, loopback.ts): every host is its own
 * OpenSSH sshd on 127.0.0.1 logging in as the non-root test user, with its own $HOME by
 * `SetEnv HOME=…` (so each has its own store and deployments) and its own managed directory.
 * Plus the client side: ssh arguments, known_hosts, and running one shell command per host at once.
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startSshd, TEST_USER, type Sshd } from "../../test/support/sshd.js";
import { splitCpu, underTime } from "./run-cli.js";

export interface BenchHost {
  readonly i: number;
  readonly sshd: Sshd;
  readonly home: string;
  readonly managed: string;
  /** The port clients connect to: the sshd's own, or a proxy's in front of it. */
  port: number;
}

const uid = (): number => Number(execFileSync("id", ["-u", TEST_USER]).toString());
const gid = (): number => Number(execFileSync("id", ["-g", TEST_USER]).toString());

/**
 * Start `n` hosts under `dir` (home-i, managed-i), pushing each onto `hosts` as soon as it runs so
 * the caller's `finally` can stop every one even when a later start fails. Host 0's client key is
 * authorised on every host; returns its path.
 */
export async function startHosts(dir: string, n: number, hosts: BenchHost[]): Promise<string> {
  for (let i = 0; i < n; i++) {
    const home = join(dir, `home-${i}`);
    const managed = join(dir, `managed-${i}`);
    mkdirSync(home);
    mkdirSync(managed);
    chownSync(home, uid(), gid());
    chownSync(managed, uid(), gid());
    const sshd = await startSshd({ user: TEST_USER, extraConfig: [`SetEnv HOME=${home}`] });
    hosts.push({ i, sshd, home, managed, port: sshd.port });
  }
  // One client key for all: host 0's key is authorised everywhere.
  const key = hosts[0]!.sshd.clientKeyPath;
  const pub = readFileSync(`${key}.pub`, "utf8");
  for (const h of hosts) writeFileSync(join(h.sshd.dir, "authorized_keys"), pub, { mode: 0o644 });
  return key;
}

/** A known_hosts file naming each host's key at every port `ports(h)` gives. */
export function writeKnownHosts(path: string, hosts: readonly BenchHost[], ports: (h: BenchHost) => readonly number[]): void {
  writeFileSync(
    path,
    hosts
      .map((h) => {
        const [t, b] = h.sshd.hostPubKey.split(" ");
        return ports(h).map((p) => `[127.0.0.1]:${p} ${t} ${b}\n`).join("");
      })
      .join(""),
  );
}

export function sshArgs(h: BenchHost, key: string, knownHosts: string): string[] {
  return ["-i", key, "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", String(h.port), `${TEST_USER}@127.0.0.1`];
}

/** Single-quote for /bin/sh. */
export const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** `tar c` of `sources` (pairs of -C dir and names) piped into `tar x` under ~/tarx on host h. */
export function tarToHost(h: BenchHost, key: string, knownHosts: string, sources: readonly (readonly [string, readonly string[]])[]): string {
  const src = sources.map(([d, names]) => `-C ${q(d)} ${names.map(q).join(" ")}`).join(" ");
  return `tar c ${src} | ${["ssh", ...sshArgs(h, key, knownHosts)].map(q).join(" ")} ${q(`mkdir -p ${h.home}/tarx && tar x -C ${h.home}/tarx`)}`;
}

/**
 * Run a shell command line per host at once; wall time until the last one exits and, with
 * `withCpu`, the summed user + system CPU of every command line (the shell and all it waited for).
 */
export async function allAtOnceTimed(cmds: readonly string[], withCpu: boolean): Promise<{ ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const cpu = await Promise.all(
    cmds.map(
      (c) =>
        new Promise<number>((resolve, reject) => {
          const [bin, argv] = underTime("/bin/sh", ["-c", c], withCpu);
          const p = spawn(bin, argv, { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          p.stderr.on("data", (d: Buffer) => (err += d.toString()));
          p.on("close", (code) => {
            const s = splitCpu(err);
            if (code === 0) resolve(s.cpuMs);
            else reject(new Error(`${c} exited ${code}: ${s.stderr}`));
          });
        }),
    ),
  );
  return { ms: performance.now() - t0, cpuMs: cpu.reduce((a, b) => a + b, 0) };
}

/** {@link allAtOnceTimed} without CPU: wall time only. */
export async function allAtOnce(cmds: readonly string[]): Promise<number> {
  return (await allAtOnceTimed(cmds, false)).ms;
}

export function readdirNames(d: string): string[] {
  return execFileSync("ls", [d]).toString().trim().split("\n").filter(Boolean);
}

/** `--name value` from argv, or `dflt`. */
export const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
