/**
 * Front-end benchmark: a generated fleet of 10,000 hosts (several MB of PCL). Reports the median
 * of lex, parse, evaluate, check and the whole front end, MB/s and lines/s, and the ratio to
 * JSON.parse of the same data as JSON, measured in the same run. Valid input takes the fast
 * path (ADR 015); the Chevrotain lexer and parser, which only run on a file with a mistake, are
 * measured too, for reference.
 *
 * Run on compiled JS (chevrotain under tsx is 6–7× slower); `--expose-gc` adds retained sizes:
 *   npx esbuild bench/parse.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-parse.mjs && node --expose-gc /tmp/bench-parse.mjs
 */
import { lex } from "../src/lang/lexer.js";
import { parse, parseDiagnosing } from "../src/lang/parser.js";
import { checkModules, evaluateModules, evaluateProgram } from "../src/lang/program.js";
import { Scanner, Tok } from "../src/lang/scanner.js";
import os from "node:os";

const HOSTS = 10_000;
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
function generate(layout: "wide" | "tall"): { pcl: string; json: string } {
  const hosts: string[] = [];
  const machines: string[] = [];
  const data: { hosts: unknown[]; machines: Record<string, unknown> } = { hosts: [], machines: {} };
  const record = (indent: string, head: string, r: Record<string, unknown>): string =>
    layout === "wide"
      ? `${indent}${head}{ ${Object.entries(r).map(([k, v]) => `${k} = ${lit(v)}`).join(" ")} }`
      : [`${indent}${head}{`, ...Object.entries(r).map(([k, v]) => `${indent}  ${k} = ${lit(v)}`), `${indent}}`].join("\n");
  for (let i = 0; i < HOSTS; i++) {
    const { host, machine } = hostData(i);
    hosts.push(record("    ", "", host));
    machines.push(record("    ", `m${i} = `, machine));
    data.hosts.push(host);
    data.machines[`m${i}`] = machine;
  }
  const pcl = [
    "# generated: a fleet of 10,000 hosts",
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

/** Every token of a file, as the fast parser reads them (strings by the parser's request). */
function scanAll(text: string): number {
  const sc = new Scanner(text);
  // What each open `{` or `${` returns to: true inside a string's interpolation.
  const braces: boolean[] = [];
  let n = 0;
  sc.next();
  for (;;) {
    n++;
    const k = sc.kind;
    if (k === Tok.EOF || k === Tok.Error) return n;
    if (k === Tok.StringStart || k === Tok.StringChars || (k === Tok.RBrace && braces.pop() === true)) sc.nextStringPart();
    else if (k === Tok.InterpStart) {
      braces.push(true);
      sc.next();
    } else {
      if (k === Tok.LBrace) braces.push(false);
      sc.next();
    }
  }
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

function benchLayout(layout: "wide" | "tall"): void {
  const { pcl, json } = generate(layout);
  const file = { path: "fleet.pcl", text: pcl };
  const mb = Buffer.byteLength(pcl) / 1e6;
  const lines = pcl.split("\n").length;

  const check = evaluateProgram([file]);
  if (check.diagnostics.length > 0) throw new Error(`benchmark input has diagnostics: ${check.diagnostics[0]?.message}`);

  const m0 = retainedMb();
  const program = parse(file).program;
  const m1 = retainedMb();
  const evaluated = evaluateModules([file], [program], {});
  const m2 = retainedMb();
  const tScan = median(() => void scanAll(pcl));
  const tParse = median(() => void parse(file)); // includes scanning
  const tEval = median(() => void evaluateModules([file], [program], {}));
  const tCheck = median(() => void checkModules(evaluated));
  const tAll = median(() => void evaluateProgram([file]));
  const tJson = median(() => void JSON.parse(json));
  const chevrotain = layout === "wide";
  const tChevLex = chevrotain ? median(() => void lex(file)) : 0;
  const tChevParse = chevrotain ? median(() => void parseDiagnosing(file)) : 0;

  const row = (name: string, ms: number): string => `| ${name} | ${ms.toFixed(1)} | ${(mb / (ms / 1000)).toFixed(1)} | ${Math.round(lines / (ms / 1000)).toLocaleString("en-US")} |`;
  console.log(`### ${layout === "wide" ? "Wide layout: one host or machine record per line" : "Tall layout: one field per line"}`);
  console.log("");
  console.log(`input: ${HOSTS} hosts, ${mb.toFixed(2)} MB, ${lines.toLocaleString("en-US")} lines of PCL (${(Buffer.byteLength(pcl) / lines).toFixed(0)} bytes a line, ${scanAll(pcl).toLocaleString("en-US")} tokens); ${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB as JSON; median of ${RUNS} runs, node ${process.version}`);
  if (m0 !== undefined && m1 !== undefined && m2 !== undefined) console.log(`retained after a full GC: AST ${(m1 - m0).toFixed(1)} MB, evaluated values and origins ${(m2 - m1).toFixed(1)} MB`);
  console.log("");
  console.log("| stage | ms | MB/s | lines/s |");
  console.log("|---|---|---|---|");
  console.log(row("lex (scanner alone)", tScan));
  console.log(row("parse (lex + parse)", tParse));
  console.log(row("evaluate", tEval));
  console.log(row("check", tCheck));
  console.log(row("whole front end", tAll));
  console.log(row("JSON.parse (same data)", tJson));
  if (chevrotain) {
    console.log(row("for reference: Chevrotain lex (files with mistakes only)", tChevLex));
    console.log(row("for reference: Chevrotain lex + parse (files with mistakes only)", tChevParse));
  }
  console.log("");
  console.log(`whole front end / JSON.parse: ${(tAll / tJson).toFixed(1)}×`);
  console.log("");
}

const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(" / ");
console.log(`load average before: ${load()} (1/5/15 min), ${os.cpus().length} cores`);
console.log("");
benchLayout("wide");
benchLayout("tall");
console.log(`load average after: ${load()}`);
