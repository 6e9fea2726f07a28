/**
 * Test rig boot benchmark (run as root: `npx tsx bench/rig-boot.ts [--runs N] [--write]`).
 * Boots 1, 2 and 4 machines of the systemd rig (test/support/systemd-rig.ts, ADR 100) in
 * parallel, N times each, and reports the median wall time from the first mount to every machine
 * running systemd and sshd, its ratio to one machine in the same run, the memory the machines'
 * processes hold (RSS summed over their cgroups) and what their upper dirs hold, per machine, and
 * the time of the first and of a later `ssh deploy@… true`. `--write` replaces the "## Test rig
 * boot" section of BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startSystemdRig, type SystemdRig } from "../test/support/systemd-rig.js";
import { cgroupPids, runCgroupDirs } from "../test/support/systemd-rig-host.js";
import { writeSection } from "./support/benchmarks-md.js";
import { median, ms, ratio } from "./support/stats.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const RUNS = Math.max(1, flag("--runs", 3));
const SIZES = [1, 2, 4];

function rssKb(rig: SystemdRig): number {
  const [dir] = runCgroupDirs(rig.runId);
  let kb = 0;
  for (const pid of dir ? cgroupPids(dir) : []) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb;
}

function upperKb(rig: SystemdRig): number {
  const r = spawnSync("du", ["-sk", ...rig.machines.map((m) => join(rig.dir, m.name, "upper"))], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).reduce((s, l) => s + Number(l.split("\t")[0]), 0);
}

function sshTrue(rig: SystemdRig): number {
  const m = rig.machines[0]!;
  const t = performance.now();
  const r = spawnSync("ssh", ["-F", "/dev/null", "-i", rig.keyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
    "-o", `UserKnownHostsFile=${rig.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes", "-p", String(m.port), "deploy@127.0.0.1", "true"]);
  if (r.status !== 0) throw new Error(`ssh failed: ${r.stderr}`);
  return performance.now() - t;
}

const boot = new Map<number, number[]>();
const mem: number[] = [];
const disk: number[] = [];
const firstSsh: number[] = [];
const laterSsh: number[] = [];
for (let run = 0; run < RUNS; run++) {
  for (const n of SIZES) {
    const rig = await startSystemdRig(Array.from({ length: n }, (_, i) => ({ name: `m${i}` })));
    try {
      boot.set(n, [...(boot.get(n) ?? []), rig.bootMs]);
      if (n === 4) {
        mem.push(rssKb(rig) / n);
        disk.push(upperKb(rig) / n);
        firstSsh.push(sshTrue(rig));
        laterSsh.push(sshTrue(rig));
      }
    } finally {
      await rig.stop();
    }
  }
}
const base = median(boot.get(1)!);
const lines = [
  `Booting the systemd rig's machines in parallel (\`bench/rig-boot.ts\`, ${RUNS} runs, medians; from the first`,
  "mount to every machine `running` with sshd answering). Ratio: to one machine, same run.",
  "",
  "| machines | boot | ratio to 1 |",
  "| --- | --- | --- |",
  ...SIZES.map((n) => `| ${n} | ${ms(median(boot.get(n)!))} | ${ratio(median(boot.get(n)!) / base)} |`),
  "",
  `Per machine (4 booted): ${(median(mem) / 1024).toFixed(0)} MB RSS of its processes, ${(median(disk) / 1024).toFixed(1)} MB in its upper dir (tmpfs).`,
  `\`ssh deploy@… true\`: first login ${ms(median(firstSsh))} (it also starts deploy's \`user@\` manager), later ${ms(median(laterSsh))}.`,
  `Machine: ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()} cores, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} at the end.`,
];
console.log(lines.join("\n"));
if (process.argv.includes("--write")) writeSection("Test rig boot", lines.join("\n"));
