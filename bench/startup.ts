/**
 * Start-up benchmark (run: `npx tsx bench/startup.ts [--runs N] [--write]`).
 * Times the built CLI as a child process, interleaved with a `node -e 0` baseline in the same
 * run so that both see the same machine load:
 * - `fleet --version` (cold start: node + loading the bundle), ≥ 20 runs, ratio to `node -e 0`
 *   (target ≤ 3×);
 * - `fleet check examples/quickstart/fleet.pcl` (start-up + the front end on a real fleet).
 * Also reports whether the bundle loads ssh2 at start-up (it must be deferred to the first SSH
 * target). `--write` replaces the "## Start-up" section of BENCHMARKS.md.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { writeSection } from "./support/benchmarks-md.js";
import { REPO_ROOT, ensureBuilt, loadNote, timeFleet, timeNode } from "./support/run-cli.js";
import { median, ms, ratio } from "./support/stats.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const RUNS = Math.max(20, flag("--runs", 25));
const CHECK_RUNS = Math.max(5, Math.floor(RUNS / 2));

/** Does a bare `fleet --version` load ssh2? Observed with a preloaded require hook, not guessed. */
async function loadsSsh2(): Promise<boolean> {
  const probe = join(tmpdir(), `fleet-ssh2-probe-${process.pid}.cjs`);
  writeFileSync(
    probe,
    `const M = require("node:module"); const load = M._load;
M._load = function (request, ...rest) {
  if (/(^|\\/)ssh2(\\/|$)/.test(request)) process.stderr.write("SSH2-LOADED\\n");
  return load.call(this, request, ...rest);
};
`,
  );
  try {
    const r = await timeNode(["--require", probe, "bin/fleet.js", "--version"]);
    if (r.code !== 0) throw new Error(`fleet --version with the probe exited ${r.code}: ${r.stderr}`);
    return r.stderr.includes("SSH2-LOADED");
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * The bundle as it was before ADR 080 (one file, no splitting, so ssh2 hoisted to the top),
 * built into dist/ so that `ssh2` resolves from node_modules — the same-run baseline for the fix.
 */
async function buildSingleFileBundle(): Promise<string> {
  const dir = join(REPO_ROOT, "dist", `.bench-single-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(REPO_ROOT, "src/cli/main.ts")],
    outfile: join(dir, "fleet.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["ssh2", "cpu-features"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
  return dir;
}

await ensureBuilt();
const singleDir = await buildSingleFileBundle();
const single = join(singleDir, "fleet.mjs");
const loadBefore = loadNote();

// Warm the file cache once so the first timed run is not a disk read.
await timeNode(["-e", "0"]);
await timeFleet(["--version"]);

const base: number[] = [];
const version: number[] = [];
const singleVersion: number[] = [];
for (let i = 0; i < RUNS; i++) {
  base.push((await timeNode(["-e", "0"])).ms);
  version.push((await timeFleet(["--version"])).ms);
  singleVersion.push((await timeNode([single, "--version"])).ms);
}
const baseForCheck: number[] = [];
const check: number[] = [];
for (let i = 0; i < CHECK_RUNS; i++) {
  baseForCheck.push((await timeNode(["-e", "0"])).ms);
  check.push((await timeFleet(["check", "examples/quickstart/fleet.pcl"])).ms);
}
const ssh2Eager = await loadsSsh2();
rmSync(singleDir, { recursive: true, force: true });
const loadAfter = loadNote();

const mBase = median(base);
const mVersion = median(version);
const mBaseCheck = median(baseForCheck);
const mCheck = median(check);
const mSingle = median(singleVersion);
const verdict = mVersion / mBase <= 3 ? "meets" : "misses";

const body = `\`npx tsx bench/startup.ts --write\` — the built CLI (\`node bin/fleet.js\`, bundle
\`dist/fleet.mjs\`) spawned as a child process, timed from spawn to exit, interleaved run by run with
a \`node -e 0\` baseline so both see the same load. ${cpus().length} × ${cpus()[0]?.model ?? "cpu"},
Node ${process.version}. The machine was shared with other engineers' test runs: ${loadBefore} before,
${loadAfter} after — absolute times are inflated, the ratios are the meaningful numbers.

| command | runs | median | \`node -e 0\` median (same run) | ratio |
|---|---|---|---|---|
| \`fleet --version\` | ${RUNS} | ${ms(mVersion)} | ${ms(mBase)} | ${ratio(mVersion / mBase)} |
| \`fleet --version\`, single-file bundle (before ADR 080: ssh2 loaded eagerly) | ${RUNS} | ${ms(mSingle)} | ${ms(mBase)} | ${ratio(mSingle / mBase)} |
| \`fleet check examples/quickstart/fleet.pcl\` | ${CHECK_RUNS} | ${ms(mCheck)} | ${ms(mBaseCheck)} | ${ratio(mCheck / mBaseCheck)} |

- Target \`fleet --version\` ≤ 3× \`node -e 0\`: ${verdict} (${ratio(mVersion / mBase)}).
- ssh2 loaded by \`fleet --version\`: ${ssh2Eager ? "yes — the SSH transport is not deferred" : "no — it is loaded on the first SSH target only (ADR 080)"}.
`;
process.stdout.write(body);
if (process.argv.includes("--write")) writeSection("Start-up", body);
