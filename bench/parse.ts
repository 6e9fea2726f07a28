/**
 * Front-end benchmark: a generated fleet of 10,000 hosts (several MB of PCL) in two layouts, and
 * the same fleet at 1,000 and 5,000 hosts to show the time is linear in size. Reports the median
 * of lex, parse (the lexer's token vector into the one Chevrotain grammar, ADR 200), evaluate,
 * check and the whole front end, MB/s and lines/s, and the ratio to JSON.parse of the same data
 * as JSON, measured in the same run.
 *
 * Run on compiled JS (chevrotain under tsx is 6–7× slower); `--expose-gc` adds retained sizes:
 *   npx esbuild bench/parse.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-parse.mjs && node --expose-gc /tmp/bench-parse.mjs
 */
import { lex } from "../src/lang/lexer.js";
import { parse } from "../src/lang/parse.js";
import { checkModules, evaluateModules, evaluateProgram } from "../src/lang/program.js";
import os from "node:os";

const SIZES = [1_000, 5_000, 10_000];
const RUNS = 9;

/** One host's data, shared by both layouts and the JSON baseline. */
function hostData(i: number): { host: Record<string, unknown>; machine: Record<string, unknown> } {
  const m = `m${i}`;
  return {
    host: { file: `hosts/${m}.pcl`, stack: `Stack${i % 50}`, target: `ssh://ops@${m}.example.org:22`, machine: m, tags: [`rack-${i % 40}`, `zone-${i % 3}`] },
    machine: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, role: i % 7 === 0 ? "db" : "web", port: 8000 + (i % 1000), public: i % 2 === 0 },
  };
}

/** A PCL literal of a benchmark value (strings without escapes, ints, bools, lists of strings). */
function lit(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(lit).join(", ")}]`;
  return typeof v === "string" ? `"${v}"` : String(v);
}

/**
 * The same fleet in two layouts. "wide" puts each host and machine record on one line (~106
 * bytes a line), the way examples/*\/fleet.pcl lists hosts; "tall" puts one field per line
 * (~19 bytes a line), the way host files and stacks are written. examples/ as a whole averages
 * ~40 bytes a line, between the two.
 */
function generate(layout: "wide" | "tall", hosts_: number): { pcl: string; json: string } {
  const hosts: string[] = [];
  const machines: string[] = [];
  const data: { hosts: unknown[]; machines: Record<string, unknown> } = { hosts: [], machines: {} };
  const record = (indent: string, head: string, r: Record<string, unknown>): string =>
    layout === "wide"
      ? `${indent}${head}{ ${Object.entries(r).map(([k, v]) => `${k} = ${lit(v)}`).join(" ")} }`
      : [`${indent}${head}{`, ...Object.entries(r).map(([k, v]) => `${indent}  ${k} = ${lit(v)}`), `${indent}}`].join("\n");
  for (let i = 0; i < hosts_; i++) {
    const { host, machine } = hostData(i);
    hosts.push(record("    ", "", host));
    machines.push(record("    ", `m${i} = `, machine));
    data.hosts.push(host);
    data.machines[`m${i}`] = machine;
  }
  const pcl = [
    `# generated: a fleet of ${hosts_} hosts`,
    "module Fleet {",
    "  hosts = [",
    ...hosts,
    "  ]",
    "  machines = {",
    ...machines,
    "  }",
    '  globals = { domain = "example.org" }',
    '  uniqueFields = ["ip"]',
    "}",
    "module Summary { webs = [for m in Fleet.machines if m.role == \"web\" => \"${m.ip}:${m.port}\"] }",
    "",
  ].join("\n");
  return { pcl, json: JSON.stringify(data) };
}

function median(f: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** Heap still in use after a full collection, in MB (needs `node --expose-gc`). */
function retainedMb(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

interface Row {
  readonly hosts: number;
  readonly layout: "wide" | "tall";
  readonly all: number;
  readonly json: number;
  readonly mb: number;
  readonly lines: number;
}

function benchLayout(layout: "wide" | "tall", hosts: number, detail: boolean): Row {
  const { pcl, json } = generate(layout, hosts);
  const file = { path: "fleet.pcl", text: pcl };
  const mb = Buffer.byteLength(pcl) / 1e6;
  const lines = pcl.split("\n").length;

  const check = evaluateProgram([file]);
  if (check.diagnostics.length > 0) throw new Error(`benchmark input has diagnostics: ${check.diagnostics[0]?.message}`);
  const tAll = median(() => void evaluateProgram([file]));
  const tJson = median(() => void JSON.parse(json));
  const result: Row = { hosts, layout, all: tAll, json: tJson, mb, lines };
  if (!detail) return result;

  const m0 = retainedMb();
  const program = parse(file).program;
  const m1 = retainedMb();
  const evaluated = evaluateModules([file], [program], {});
  const m2 = retainedMb();
  const tLex = median(() => void lex(file));
  const tParse = median(() => void parse(file)); // includes lexing
  const tEval = median(() => void evaluateModules([file], [program], {}));
  const tCheck = median(() => void checkModules(evaluated));

  const row = (name: string, ms: number): string => `| ${name} | ${ms.toFixed(1)} | ${(mb / (ms / 1000)).toFixed(1)} | ${Math.round(lines / (ms / 1000)).toLocaleString("en-US")} |`;
  console.log(`### ${layout === "wide" ? "Wide layout: one host or machine record per line" : "Tall layout: one field per line"}`);
  console.log("");
  console.log(`input: ${hosts} hosts, ${mb.toFixed(2)} MB, ${lines.toLocaleString("en-US")} lines of PCL (${(Buffer.byteLength(pcl) / lines).toFixed(0)} bytes a line, ${lex(file).tokens.length.toLocaleString("en-US")} tokens); ${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB as JSON; median of ${RUNS} runs, node ${process.version}`);
  if (m0 !== undefined && m1 !== undefined && m2 !== undefined) console.log(`retained after a full GC: AST ${(m1 - m0).toFixed(1)} MB, evaluated values and origins ${(m2 - m1).toFixed(1)} MB`);
  console.log("");
  console.log("| stage | ms | MB/s | lines/s |");
  console.log("|---|---|---|---|");
  console.log(row("lex (token vector)", tLex));
  console.log(row("parse (lex + Chevrotain grammar)", tParse));
  console.log(row("evaluate", tEval));
  console.log(row("check", tCheck));
  console.log(row("whole front end", tAll));
  console.log(row("JSON.parse (same data)", tJson));
  console.log("");
  console.log(`whole front end / JSON.parse: ${(tAll / tJson).toFixed(1)}×`);
  console.log("");
  return result;
}

const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(" / ");
console.log(`load average before: ${load()} (1/5/15 min), ${os.cpus().length} cores`);
console.log("");
const rows: Row[] = [];
for (const layout of ["wide", "tall"] as const) rows.push(benchLayout(layout, 10_000, true));
for (const layout of ["wide", "tall"] as const) for (const hosts of SIZES.filter((n) => n !== 10_000)) rows.push(benchLayout(layout, hosts, false));
console.log("### Size: whole front end (evaluateProgram) by number of hosts");
console.log("");
console.log("| layout | hosts | MB | ms | MB/s | lines/s | ms per 1,000 hosts | × JSON.parse (same run) |");
console.log("|---|---|---|---|---|---|---|---|");
for (const layout of ["wide", "tall"] as const) {
  for (const r of rows.filter((x) => x.layout === layout).sort((a, b) => a.hosts - b.hosts)) {
    console.log(`| ${layout} | ${r.hosts.toLocaleString("en-US")} | ${r.mb.toFixed(2)} | ${r.all.toFixed(1)} | ${(r.mb / (r.all / 1000)).toFixed(1)} | ${Math.round(r.lines / (r.all / 1000)).toLocaleString("en-US")} | ${(r.all / (r.hosts / 1000)).toFixed(1)} | ${(r.all / r.json).toFixed(1)}× |`);
  }
}
console.log("");
console.log(`load average after: ${load()}`);
