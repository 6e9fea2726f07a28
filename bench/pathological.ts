/**
 * Check time of the pathological families of issue 12 against their size N: a program whose
 * values double with every line (item 6: shared records, `==` and `if` over two shared trees)
 * and a module with N undefined references (item 7). For each N: the median of 3 runs of what
 * `fleet check` does in process (parse, evaluate, check, render the diagnostics), and the growth
 * ratio to the size before (linear: ≈ 2× for 2× N; before issue 12 the first family was
 * exponential in N and the last quadratic).
 *
 * Run on compiled JS (never tsx), `--write` to replace its section of BENCHMARKS.md:
 *   npx esbuild bench/pathological.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-pathological.mjs && node /tmp/bench-pathological.mjs --write
 */
import os from "node:os";
import { evaluateProgram, renderDiagnostics } from "../src/lang/index.js";
import { sharingFamilies, undefinedReferences } from "../test/support/pathological.js";
import { writeSection } from "./support/benchmarks-md.js";
import { median } from "./support/stats.js";

const RUNS = 3;

function checkMs(text: string, scenarios: readonly string[] = []): { ms: number; diagnostics: number } {
  const files = [{ path: "p.pcl", text }];
  const times: number[] = [];
  let diagnostics = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = evaluateProgram(files, { scenarios });
    renderDiagnostics(r.diagnostics, files);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    diagnostics = r.diagnostics.length;
  }
  return { ms: median(times), diagnostics };
}

const families: { name: string; make: (n: number) => string; sizes: number[] }[] = [
  { name: "item 6: records doubling (`r<i> = { a = M.r<i-1> b = M.r<i-1> }`)", make: sharingFamilies.records!.text, sizes: [1_000, 2_000, 4_000, 8_000, 16_000] },
  { name: "item 6: `==` of two doubling trees on every line", make: sharingFamilies["=="]!.text, sizes: [1_000, 2_000, 4_000, 8_000, 16_000] },
  { name: "item 6: `if` over two doubling trees on every line", make: sharingFamilies["if over two shared trees"]!.text, sizes: [1_000, 2_000, 4_000, 8_000, 16_000] },
  { name: "item 7: N undefined references in one module", make: undefinedReferences, sizes: [500, 1_000, 2_000, 4_000, 8_000] },
];

const lines: string[] = [];
const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(" / ");
lines.push("`npx esbuild bench/pathological.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-pathological.mjs && node /tmp/bench-pathological.mjs --write`");
lines.push("");
lines.push("What `fleet check` does in process (parse, evaluate, check, render the diagnostics) for programs of N lines, median of");
lines.push(`${RUNS} runs; ratio = time / time at the size before (linear ≈ 2.0× per doubling). Before issue 12 the sharing families were`);
lines.push("exponential in N (30 lines took over 60 s) and the undefined references quadratic (2.7 s at 500, 44 s at 4,000).");
lines.push(`Node ${process.version}, ${os.cpus().length} cores shared with other engineers' work; load average ${load()} before.`);
lines.push("");
for (const f of families) {
  lines.push(`### ${f.name}`);
  lines.push("");
  lines.push("| N | bytes of PCL | diagnostics | check ms | ratio |");
  lines.push("|---|---|---|---|---|");
  let prev: number | undefined;
  for (const n of f.sizes) {
    const text = f.make(n);
    const { ms, diagnostics } = checkMs(text);
    lines.push(`| ${n.toLocaleString("en-US")} | ${text.length.toLocaleString("en-US")} | ${diagnostics} | ${ms.toFixed(1)} | ${prev === undefined ? "–" : `${(ms / prev).toFixed(2)}×`} |`);
    prev = ms;
  }
  lines.push("");
}
lines.push(`Load average after: ${load()}.`);
const body = lines.join("\n");
console.log(body);
if (process.argv.includes("--write")) writeSection("Pathological PCL (issue 12, items 6 and 7)", body);
