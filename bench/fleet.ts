/**
 * Fleet-scale benchmark (run: `npx tsx bench/fleet.ts [--runs N] [--big-runs N] [--write]`).
 * Generated fleets of 10, 100 and 1,000 hosts (bench/support/fleet-gen.ts: one host file each with
 * a std.files package, one service, 2–4 config files; every tenth host consumes an artifact of an
 * earlier host) are deployed with the built CLI as a child process:
 *   fleet apply FLEET --dry-run --transport-root <fresh dir>
 * Each run is a first deploy into an empty root. Reported: median wall time, per-host cost, the
 * growth ratio 1,000 vs 100 hosts, `fleet check` of the same fleet (the front end alone), and
 * `--jobs 8` vs `--jobs 1`. Target: 1,000 hosts under 20 s. `--write` replaces the
 * "## Fleet apply" section of BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { writeSection } from "./support/benchmarks-md.js";
import { generateFleet } from "./support/fleet-gen.js";
import { probeFsync } from "./support/fsync-probe.js";
import { ensureBuilt, loadNote, timeFleet } from "./support/run-cli.js";
import { median, ms, ratio } from "./support/stats.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const RUNS = Math.max(1, flag("--runs", 5));
const BIG_RUNS = Math.max(1, flag("--big-runs", 3));
const work = mkdtempSync(join(tmpdir(), "fleet-bench-fleet-"));

/** Median wall time (and CPU time) of a first dry-run deploy of `fleetFile` into a fresh root. */
async function applyMedian(fleetFile: string, hosts: number, runs: number, jobs: number): Promise<{ wall: number; cpu: number }> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const root = mkdtempSync(join(work, "root-"));
    const res = await timeFleet(["apply", fleetFile, "--dry-run", "--transport-root", root, "--jobs", String(jobs)], 0, true);
    if (!res.stdout.endsWith(`fleet: ${hosts}/${hosts} host(s) deployed\n`)) {
      throw new Error(`unexpected apply output for ${hosts} hosts:\n${res.stdout.slice(-500)}\n${res.stderr.slice(0, 2000)}`);
    }
    times.push(res.ms);
    cpu.push(res.cpuMs);
    rmSync(root, { recursive: true, force: true });
  }
  return { wall: median(times), cpu: median(cpu) };
}

async function checkMedian(fleetFile: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push((await timeFleet(["check", fleetFile])).ms);
  return median(times);
}

interface Row {
  readonly hosts: number;
  readonly consumers: number;
  readonly runs: number;
  readonly apply: number;
  readonly cpu: number;
  readonly check: number;
}

try {
  await ensureBuilt();
  const loadBefore = loadNote();
  const fleets = new Map([10, 100, 1000].map((n) => [n, generateFleet(join(work, `fleet-${n}`), n)]));
  const fsyncBefore = await probeFsync(work);
  const rows: Row[] = [];
  for (const [n, f] of fleets) {
    const runs = n >= 1000 ? BIG_RUNS : RUNS;
    const { wall: apply, cpu } = await applyMedian(f.fleetFile, n, runs, 1);
    const check = await checkMedian(f.fleetFile, runs);
    rows.push({ hosts: n, consumers: f.consumers, runs, apply, cpu, check });
    process.stderr.write(`${n} hosts: apply ${ms(apply)}, check ${ms(check)}\n`);
  }
  const f100 = fleets.get(100)!;
  const jobs1 = (await applyMedian(f100.fleetFile, 100, RUNS, 1)).wall;
  const jobs8 = (await applyMedian(f100.fleetFile, 100, RUNS, 8)).wall;
  const big8 = (await applyMedian(fleets.get(1000)!.fleetFile, 1000, BIG_RUNS, 8)).wall;
  const fsyncAfter = await probeFsync(work);
  const loadAfter = loadNote();
  const fsyncMs = (fsyncBefore.withFsync + fsyncAfter.withFsync) / 2;
  const plainMs = (fsyncBefore.withoutFsync + fsyncAfter.withoutFsync) / 2;

  const r100 = rows.find((r) => r.hosts === 100)!;
  const r1000 = rows.find((r) => r.hosts === 1000)!;
  const growth = r1000.apply / r100.apply;
  const table = rows
    .map((r) => `| ${r.hosts.toLocaleString("en")} (${r.consumers} consumers) | ${r.runs} | ${ms(r.apply)} | ${ms(r.apply / r.hosts)} | ${ms(r.cpu)} | ${ms(r.check)} |`)
    .join("\n");
  const body = `\`npx tsx bench/fleet.ts --write\` — generated fleets (bench/support/fleet-gen.ts: per host its own host
file with a std.files package, one service, 2–4 config files, and every tenth host consuming a
literal artifact of an earlier host), deployed by the built CLI in a child process with
\`fleet apply FLEET --dry-run --transport-root ROOT\` into a fresh, empty ROOT each run (a first
deploy: every host writes its blobs, live files, unit, manifest and \`current\`). Median wall time,
spawn to exit. ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ext4. The machine was
shared with other engineers' test runs: ${loadBefore} before, ${loadAfter} after.

| hosts | runs | apply \`--jobs 1\` (wall) | per host | CPU user+sys | \`fleet check\` (front end only) |
|---|---|---|---|---|---|
${table}

| comparison | median | baseline (same run) | ratio |
|---|---|---|---|
| growth: 1,000 hosts vs 100 hosts (\`--jobs 1\`) | ${ms(r1000.apply)} | ${ms(r100.apply)} | ${ratio(growth)} |
| 100 hosts \`--jobs 8\` vs \`--jobs 1\` | ${ms(jobs8)} | ${ms(jobs1)} | ${ratio(jobs8 / jobs1)} |
| 1,000 hosts \`--jobs 8\` vs \`--jobs 1\` | ${ms(big8)} | ${ms(r1000.apply)} | ${ratio(big8 / r1000.apply)} |

- Where the time goes: at 1,000 hosts the apply used ${ms(r1000.cpu / 1000)} of CPU per host (user + system,
  all threads: JS and the file-system syscalls, most of them on the main thread since ADR 082)
  against ${ms(r1000.apply / 1000)} of wall time per host, so the run is CPU-bound on a machine whose
  other processes keep both cores busy. Disk in the same run: one fsync'd atomic small-file write (what
  LocalTransport.writeFileAtomic does) took a median ${ms(fsyncMs)} (${ms(fsyncBefore.withFsync)} before the fleets, ${ms(fsyncAfter.withFsync)}
  after), ${ms(plainMs)} without the fsync; a host's first deploy waits on five such steps in sequence
  (ADR 041/043), ≈ ${ms(5 * fsyncMs)} per host — not the bottleneck (ADR 081). \`--jobs N\` overlaps
  those waits across hosts.
- Most of that CPU is kernel time, not JS: \`perf\` attributes it to fsync and to ext4 inode allocation,
  which on this no-journal ext4 skips every inode freed in the last 12 hours, so runs get slower the
  more files the machine's other work recently deleted (ADR 082). LocalTransport makes its metadata
  calls synchronously and sends only fsync to the thread pool (ADR 082).
- Growth 1,000 vs 100 hosts: ${ratio(growth)} (linear would be 10×).
- Target 1,000 hosts under 20 s: \`--jobs 1\` ${r1000.apply < 20_000 ? "meets" : "misses"} (${ms(r1000.apply)}); \`--jobs 8\` ${big8 < 20_000 ? "meets" : "misses"} (${ms(big8)}).
`;
  process.stdout.write(body);
  if (process.argv.includes("--write")) writeSection("Fleet apply", body);
} finally {
  rmSync(work, { recursive: true, force: true });
}
