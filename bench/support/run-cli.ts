/**
 * Runs the built CLI (bin/fleet.js → dist/fleet.mjs) as a child process and times it from spawn
 * to exit, so the measurement is what a user waits for: node start-up, module loading and the work.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

export interface Timed {
  readonly ms: number;
  /** user + system CPU time of the child in ms, when measured (`withCpu`), else NaN. */
  readonly cpuMs: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const GNU_TIME = "/usr/bin/time";
const CPU_MARK = "FLEET-BENCH-CPU";

/**
 * Spawn `node ...args` and time it; output is collected so a failing run can be reported. With
 * `withCpu`, the child runs under GNU time so its user + system CPU is known too: on a shared
 * machine wall time says how long we waited, CPU time how much work fleet did.
 */
export function timeNode(args: readonly string[], cwd = REPO_ROOT, withCpu = false): Promise<Timed> {
  const useTime = withCpu && existsSync(GNU_TIME);
  const [cmd, argv] = useTime
    ? [GNU_TIME, ["-f", `${CPU_MARK} %U %S`, process.execPath, ...args]]
    : [process.execPath, [...args]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      let stderr = Buffer.concat(err).toString();
      let cpuMs = Number.NaN;
      const m = new RegExp(`(?:^|\\n)${CPU_MARK} ([\\d.]+) ([\\d.]+)\\n?$`).exec(stderr);
      if (m) {
        cpuMs = (Number(m[1]) + Number(m[2])) * 1000;
        stderr = stderr.slice(0, m.index);
      }
      // GNU time reports a non-zero exit of the child as "Command exited with non-zero status N".
      stderr = stderr.replace(/Command exited with non-zero status \d+\n?$/, "");
      resolve({ ms, cpuMs, code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr });
    });
  });
}

/** Time the built fleet CLI; throws (with its output) when the exit code is not the expected one. */
export async function timeFleet(args: readonly string[], expectCode = 0, withCpu = false): Promise<Timed> {
  const r = await timeNode([FLEET_BIN, ...args], REPO_ROOT, withCpu);
  if (r.code !== expectCode) {
    throw new Error(`fleet ${args.join(" ")} exited ${r.code} (expected ${expectCode})\n${r.stdout}\n${r.stderr.slice(0, 4000)}`);
  }
  return r;
}

/** Refuse to time a stale or missing bundle: the benchmark must measure the current source. */
export async function ensureBuilt(): Promise<void> {
  const r = await timeNode([fileURLToPath(new URL("../../scripts/build.mjs", import.meta.url))]);
  if (r.code !== 0 || !existsSync(fileURLToPath(new URL("../../dist/fleet.mjs", import.meta.url)))) {
    throw new Error(`build failed:\n${r.stderr}`);
  }
}

/** "load 9.8 / 8.1 / 5.0 (1/5/15 min)" — the machine is shared, so every result names its load. */
export function loadNote(): string {
  const [a, b, c] = loadavg();
  return `load average ${a!.toFixed(1)} / ${b!.toFixed(1)} / ${c!.toFixed(1)} (1/5/15 min)`;
}
