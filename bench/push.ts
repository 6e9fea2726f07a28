/**
 * SSH push benchmark: fleet's SshTransport.pushStorePaths vs `tar c | ssh host tar x` with the
 * OpenSSH client, same sshd, same run. Workloads: 1,000 files × 4 KB, and one 100 MB file.
 * Usage: npx tsx bench/push.ts   (needs /usr/sbin/sshd and root). Writes BENCHMARKS.md "## SSH push".
 */
import { execSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { SshTransport } from "../src/transport/ssh-transport.js";
import { startSshd } from "../test/support/sshd.js";

const REPS = 3;

function makeWorkloads(store: string): { small: string; big: string } {
  const small = join(store, "sssssssssssssssssssssssssssssss1-small-1.0");
  for (let i = 0; i < 1000; i++) {
    const dir = join(small, "share", `d${Math.floor(i / 100)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}`), randomFillSync(Buffer.alloc(4096)));
  }
  writeFileSync(join(small, ".fleet-built"), "");
  const big = join(store, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1-big-1.0");
  mkdirSync(big, { recursive: true });
  writeFileSync(join(big, "blob"), randomFillSync(Buffer.alloc(100 * 1024 * 1024)));
  writeFileSync(join(big, ".fleet-built"), "");
  return { small, big };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const sshd = await startSshd();
  const local = mkdtempSync(join(tmpdir(), "fleet-bench-store-"));
  const { small, big } = makeWorkloads(local);
  const remoteRoot = join(sshd.dir, "remote");
  const sshArgs = `-i ${sshd.clientKeyPath} -o UserKnownHostsFile=${sshd.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes -p ${sshd.port} root@127.0.0.1`;
  const rows: string[] = [];
  try {
    for (const [name, dir] of [
      ["1,000 files × 4 KB", small],
      ["1 file × 100 MB", big],
    ] as const) {
      const base = dir.split("/").pop()!;
      const fleetTimes: number[] = [];
      const sshTimes: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        rmSync(remoteRoot, { recursive: true, force: true });
        // Connection setup is included for both sides: the OpenSSH pipeline connects too.
        let t0 = performance.now();
        const t = await SshTransport.connect({ target: sshd.target, key: sshd.clientKeyPath, knownHosts: sshd.knownHostsPath });
        await t.pushStorePaths([{ localPath: dir, remotePath: join(remoteRoot, "fleet", base) }]);
        await t.close();
        fleetTimes.push(performance.now() - t0);
        if (!existsSync(join(remoteRoot, "fleet", base, ".fleet-built"))) throw new Error("fleet push incomplete");

        t0 = performance.now();
        execSync(`tar c -C ${local} ${base} | ssh ${sshArgs} 'mkdir -p ${remoteRoot}/ssh && tar x -C ${remoteRoot}/ssh'`, {
          stdio: ["ignore", "ignore", "inherit"],
        });
        sshTimes.push(performance.now() - t0);
      }
      const f = median(fleetTimes);
      const s = median(sshTimes);
      rows.push(`| ${name} | ${f.toFixed(0)} ms | ${s.toFixed(0)} ms | ${(f / s).toFixed(2)}× |`);
      console.log(name, { fleetTimes, sshTimes });
    }
  } finally {
    await sshd.stop();
    rmSync(local, { recursive: true, force: true });
  }
  const section = [
    "## SSH push",
    "",
    `\`npx tsx bench/push.ts\` — median of ${REPS} runs, each including connect + auth, to a local OpenSSH sshd on 127.0.0.1`,
    `(${cpus().length} cores shared with other work; OpenSSH ${execSync("ssh -V 2>&1").toString().trim()}). Baseline: \`tar c | ssh host tar x\`. Target: fleet within 1.3×.`,
    "",
    "| workload | fleet (SshTransport.pushStorePaths) | tar c \\| ssh tar x | ratio |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
  const path = join(import.meta.dirname, "..", "BENCHMARKS.md");
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const re = /## SSH push\n[\s\S]*?(?=\n## |$)/;
  const next = re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}`;
  writeFileSync(path, next);
  console.log(section);
}

await main();
