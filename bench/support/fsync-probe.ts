/**
 * Latency of one fsync'd atomic small-file write (open, write, fchmod, fsync, close, rename — what
 * LocalTransport.writeFileAtomic does) on the file system the benchmark writes to, measured in the
 * same run as the fleet timings so the two share the machine's load and disk contention.
 */
import { promises as fs, constants as fsc, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { median } from "./stats.js";

export interface FsyncProbe {
  readonly withFsync: number;
  readonly withoutFsync: number;
}

async function writeOnce(dir: string, i: number, sync: boolean): Promise<number> {
  const t0 = performance.now();
  const tmp = join(dir, `.f${i}.tmp`);
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
  try {
    await fh.writeFile(`value = ${i}\n`);
    await fh.chmod(0o644);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, join(dir, `f${i}`));
  return performance.now() - t0;
}

/** Median per-write latency over `n` sequential writes each way, interleaved. */
export async function probeFsync(parent: string, n = 100): Promise<FsyncProbe> {
  const dir = mkdtempSync(join(parent, "fsync-probe-"));
  try {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      a.push(await writeOnce(dir, 2 * i, true));
      b.push(await writeOnce(dir, 2 * i + 1, false));
    }
    return { withFsync: median(a), withoutFsync: median(b) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
