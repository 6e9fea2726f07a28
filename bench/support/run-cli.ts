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

/** Options of {@link timeCommand}. */
export interface TimeOptions {
  readonly cwd?: string;
  /** Measure user + system CPU of the child (and the children it waited for) with GNU time. */
  readonly withCpu?: boolean;
  /** Environment of the child (NO_COLOR=1 is added); process.env when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the child's process group (SIGKILL) after this long; the result then has `timedOut`. */
  readonly timeoutMs?: number;
}

/** The CPU line GNU time appended to a child's stderr: CPU ms and the stderr without it. */
export function splitCpu(stderrText: string): { cpuMs: number; stderr: string } {
  let stderr = stderrText;
  let cpuMs = Number.NaN;
  const m = new RegExp(`(?:^|\\n)${CPU_MARK} ([\\d.]+) ([\\d.]+)\\n?$`).exec(stderr);
  if (m) {
    cpuMs = (Number(m[1]) + Number(m[2])) * 1000;
    stderr = stderr.slice(0, m.index);
  }
  // GNU time reports a non-zero exit of the child as "Command exited with non-zero status N".
  stderr = stderr.replace(/Command exited with non-zero status \d+\n?$/, "");
  return { cpuMs, stderr };
}

/** `[cmd, argv]` that runs `cmd args` under GNU time when `withCpu` (and GNU time exists). */
export function underTime(cmd: string, args: readonly string[], withCpu: boolean): [string, string[]] {
  return withCpu && existsSync(GNU_TIME) ? [GNU_TIME, ["-f", `${CPU_MARK} %U %S`, cmd, ...args]] : [cmd, [...args]];
}

/** Spawn `cmd ...args` and time it from spawn to exit (see {@link timeNode}). */
export function timeCommand(cmd: string, args: readonly string[], options: TimeOptions = {}): Promise<Timed & { readonly timedOut: boolean }> {
  const [bin, argv] = underTime(cmd, args, options.withCpu ?? false);
  const timeoutMs = options.timeoutMs;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...(options.env ?? process.env), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: timeoutMs !== undefined,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, "SIGKILL");
            } catch {
              /* already gone */
            }
          }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (timer) clearTimeout(timer);
      const { cpuMs, stderr } = splitCpu(Buffer.concat(err).toString());
      resolve({ ms, cpuMs, code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr, timedOut });
    });
  });
}

/**
 * Spawn `node ...args` and time it; output is collected so a failing run can be reported. With
 * `withCpu`, the child runs under GNU time so its user + system CPU is known too: on a shared
 * machine wall time says how long we waited, CPU time how much work fleet did.
 */
export async function timeNode(args: readonly string[], cwd = REPO_ROOT, withCpu = false): Promise<Timed> {
  const { ms, cpuMs, code, stdout, stderr } = await timeCommand(process.execPath, args, { cwd, withCpu });
  return { ms, cpuMs, code, stdout, stderr };
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
