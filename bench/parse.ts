/**
 * Front-end benchmark: a generated fleet of 10,000 hosts (several MB of PCL). Reports the median
 * of lex, parse, evaluate, check and the whole front end, MB/s and lines/s, and the ratio to
 * JSON.parse of the same data as JSON, measured in the same run. Valid input takes the fast
 * path (ADR 015); the Chevrotain lexer and parser, which only run on a file with a mistake, are
 * measured too, for reference.
 *
 * Run on compiled JS (chevrotain under tsx is 6–7× slower):
 *   npx esbuild bench/parse.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-parse.mjs && node /tmp/bench-parse.mjs
 */
import { lex } from "../src/lang/lexer.js";
import { parse, parseDiagnosing } from "../src/lang/parser.js";
import { checkModules, evaluateModules, evaluateProgram } from "../src/lang/program.js";
import { Scanner, Tok } from "../src/lang/scanner.js";

const HOSTS = 10_000;
const RUNS = 9;

function generate(): { pcl: string; json: string } {
  const hosts: string[] = [];
  const machines: string[] = [];
  const data: { hosts: unknown[]; machines: Record<string, unknown> } = { hosts: [], machines: {} };
  for (let i = 0; i < HOSTS; i++) {
    const m = `m${i}`;
    hosts.push(`    { file = "hosts/${m}.pcl" stack = "Stack${i % 50}" target = "ssh://ops@${m}.example.org:22" machine = "${m}" tags = ["rack-${i % 40}", "zone-${i % 3}"] }`);
    machines.push(`    ${m} = { ip = "10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}" role = "${i % 7 === 0 ? "db" : "web"}" port = ${8000 + (i % 1000)} public = ${i % 2 === 0} }`);
    data.hosts.push({ file: `hosts/${m}.pcl`, stack: `Stack${i % 50}`, target: `ssh://ops@${m}.example.org:22`, machine: m, tags: [`rack-${i % 40}`, `zone-${i % 3}`] });
    data.machines[m] = { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, role: i % 7 === 0 ? "db" : "web", port: 8000 + (i % 1000), public: i % 2 === 0 };
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

const { pcl, json } = generate();
const file = { path: "fleet.pcl", text: pcl };
const mb = Buffer.byteLength(pcl) / 1e6;
const lines = pcl.split("\n").length;

const check = evaluateProgram([file]);
if (check.diagnostics.length > 0) throw new Error(`benchmark input has diagnostics: ${check.diagnostics[0]?.message}`);

const program = parse(file).program;
const evaluated = evaluateModules([file], [program], {});
const tScan = median(() => void scanAll(pcl));
const tParse = median(() => void parse(file)); // includes scanning
const tEval = median(() => void evaluateModules([file], [program], {}));
const tCheck = median(() => void checkModules(evaluated));
const tAll = median(() => void evaluateProgram([file]));
const tJson = median(() => void JSON.parse(json));
const tChevLex = median(() => void lex(file));
const tChevParse = median(() => void parseDiagnosing(file));

const row = (name: string, ms: number): string => `| ${name} | ${ms.toFixed(1)} | ${(mb / (ms / 1000)).toFixed(1)} | ${Math.round(lines / (ms / 1000)).toLocaleString("en-US")} |`;
console.log(`input: ${HOSTS} hosts, ${mb.toFixed(2)} MB, ${lines.toLocaleString("en-US")} lines of PCL (${scanAll(pcl).toLocaleString("en-US")} tokens); ${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB as JSON; median of ${RUNS} runs, node ${process.version}`);
console.log("");
console.log("| stage | ms | MB/s | lines/s |");
console.log("|---|---|---|---|");
console.log(row("lex (scanner alone)", tScan));
console.log(row("parse (lex + parse)", tParse));
console.log(row("evaluate", tEval));
console.log(row("check", tCheck));
console.log(row("whole front end", tAll));
console.log(row("JSON.parse (same data)", tJson));
console.log(row("for reference: Chevrotain lex (files with mistakes only)", tChevLex));
console.log(row("for reference: Chevrotain lex + parse (files with mistakes only)", tChevParse));
console.log("");
console.log(`whole front end / JSON.parse: ${(tAll / tJson).toFixed(1)}×`);
