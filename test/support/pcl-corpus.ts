/**
 * The differential corpus of the front end (issue 17): every example and golden file, each
 * example fleet as one program, 5,000 seeded mutants of them, and the 20,000 fuzz inputs of
 * test/lang/fuzz.test.ts. Each input has two digests:
 *
 * - `parse`: what the parser gives, as the rest of the front end sees it: the whole tree of a
 *   valid file; the syntax diagnostics and the declared names of a file with a mistake (its
 *   partial tree is used for nothing else);
 * - `program`: what a user sees, the canonical JSON of the values and the rendered diagnostics.
 *
 * test/lang/corpus-digests.txt holds the digests the front end gave when its hand-written parser
 * was retired (ADR 200), minus the diagnostics issue 17 changed on purpose; `npx tsx
 * scripts/corpus-digests.ts` rewrites it. The corpus is frozen: its seed files are listed here
 * and their contents are pinned by a hash in the digest file.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EvaluateOptions, ProgramResult, SourceFile } from "../../src/lang/index.js";
import { canonicalModulesJson, evaluateProgram, renderDiagnostics } from "../../src/lang/index.js";
import { parse } from "../../src/lang/parse.js";
import { mutate, rng } from "./pcl-mutator.js";
import { generateProgram } from "./pcl-generator.js";

export const DIGEST_FILE = "test/lang/corpus-digests.txt";

/** The seed files, frozen so that a new example or golden file does not change the corpus. */
export const EXAMPLE_FILES = [
  "examples/artifacts/fleet.pcl",
  "examples/artifacts/hosts/dns.pcl",
  "examples/artifacts/hosts/web.pcl",
  "examples/mesh/fleet.pcl",
  "examples/mesh/hosts/node.pcl",
  "examples/quickstart/fleet.pcl",
  "examples/quickstart/hosts/db.pcl",
  "examples/quickstart/hosts/web.pcl",
  "examples/scenarios/web.pcl",
  "examples/secrets/fleet.pcl",
  "examples/secrets/hosts/api.pcl",
  "examples/tls/fleet.pcl",
  "examples/tls/hosts/shop.pcl",
] as const;
export const GOLDEN_FILES = [
  "test/golden/e1-type-mismatch.pcl",
  "test/golden/e14-fleet-host.pcl",
  "test/golden/e2-unknown-field.pcl",
  "test/golden/e2-unknown-module.pcl",
  "test/golden/e3-duplicate-module.pcl",
  "test/golden/e3-missing-field.pcl",
  "test/golden/e4-priority-conflict.pcl",
  "test/golden/e5-if-branches.pcl",
  "test/golden/e6-cycle.pcl",
  "test/golden/e6-misplaced-secret.pcl",
  "test/golden/e7-dependency-cycle.pcl",
  "test/golden/e8-bad-escape.pcl",
  "test/golden/e8-recovery-three-errors.pcl",
] as const;

/** Fragments the mutants insert (those of the old parser-differential test and of the fuzz test). */
const MUTANT_FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "\r\n", "\t", "#", "$", "@", "é", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "Setting<Rec<a: Int, b: List<Str>>>(", "priority", "-", "-0", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];
const FUZZ_FRAGMENTS = ['"', "${", "}", "{", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", "\\", "\\u{", "\n", "#", "for", "in", "if", "then", "else", "=>", "module", "scenario", "Setting<Int>(", "priority", "-", "9007199254740993", "{ from_env = \"X\" }", "{ from_artifact = \"m/a\" }", "A.x", "true", "Fleet"];
export const MUTANTS = 5_000;
export const FUZZ_MUTATED = 5_000;
export const FUZZ_GENERATED = 15_000;

export type Group = "seeds" | "fleets" | "mutants" | "fuzz";

export interface CorpusInput {
  readonly group: Group;
  readonly files: readonly SourceFile[];
  readonly options: EvaluateOptions;
}

export interface Digest {
  readonly parse: string;
  readonly program: string;
}

function read(root: string, path: string): SourceFile {
  return { path, text: readFileSync(join(root, path), "utf8") };
}

/** The seed files' contents, read once. */
export function seedFiles(root: string): SourceFile[] {
  return [...EXAMPLE_FILES, ...GOLDEN_FILES].map((p) => read(root, p));
}

/** A hash of the seed files: the digests only hold for the seeds they were made from. */
export function seedsHash(root: string): string {
  const h = createHash("sha256");
  for (const f of seedFiles(root)) h.update(`${f.path}\0${f.text}\0`);
  return h.digest("hex").slice(0, 16);
}

/** The inputs of one group, in a fixed order. */
export function corpus(root: string, group: Group): CorpusInput[] {
  const seeds = seedFiles(root);
  switch (group) {
    case "seeds":
      return seeds.map((f) => ({ group, files: [f], options: {} }));
    case "fleets": {
      // Each example fleet, every file of its folder together.
      const dirs = [...new Set(EXAMPLE_FILES.map((p) => p.split("/").slice(0, 2).join("/")))];
      return dirs.map((d) => ({ group, files: seeds.filter((f) => f.path.startsWith(`${d}/`)), options: {} }));
    }
    case "mutants": {
      const r = rng(15);
      const out: CorpusInput[] = [];
      for (let i = 0; i < MUTANTS; i++) {
        const text = mutate((seeds[i % seeds.length] as SourceFile).text, r, MUTANT_FRAGMENTS, 3);
        out.push({ group, files: [{ path: "f.pcl", text }], options: {} });
      }
      return out;
    }
    case "fuzz": {
      const texts = seeds.filter((f) => f.path.startsWith("examples/scenarios/") || f.path.startsWith("test/golden/")).map((f) => f.text);
      const out: CorpusInput[] = [];
      const r = rng(20261125);
      for (let i = 0; i < FUZZ_MUTATED; i++) out.push(fuzzInput(mutate(texts[i % texts.length] as string, r, FUZZ_FRAGMENTS, 4), i));
      const g = rng(20261201);
      for (let i = 0; i < FUZZ_GENERATED; i++) out.push(fuzzInput(generateProgram(g, i % 3 === 0 ? "soup" : "valid"), FUZZ_MUTATED + i));
      return out;
    }
  }
}

function fuzzInput(text: string, i: number): CorpusInput {
  return { group: "fuzz", files: [{ path: "f.pcl", text }], options: { scenarios: i % 2 === 0 ? ["Prod"] : [] } };
}

/** JSON with sorted keys and no `undefined` members: the same tree gives the same text. */
function stable(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(",")}}`;
}

/** 24 bits of SHA-256, as 4 base64url characters. */
function short(s: string): string {
  return createHash("sha256").update(s).digest().subarray(0, 3).toString("base64url");
}

/** What the parser gives for each file (see the file comment). */
export function parseText(files: readonly SourceFile[]): string {
  return files
    .map((f) => {
      const r = parse(f);
      if (r.diagnostics.length === 0) return stable(r.program);
      const names = r.program.decls.map((d) => `${d.kind} ${d.name}`);
      return stable({ diagnostics: r.diagnostics, names });
    })
    .join("\n");
}

/** What a user sees: values and rendered diagnostics. */
export function programText(input: CorpusInput, r: ProgramResult = evaluateProgram(input.files, input.options)): string {
  return `${canonicalModulesJson(r.modules)}\n${renderDiagnostics(r.diagnostics, input.files)}`;
}

export function digestOf(input: CorpusInput, result?: ProgramResult): Digest {
  return { parse: short(parseText(input.files)), program: short(programText(input, result)) };
}

/** The digest file: a header with the seeds' hash, then one line per group of 50 inputs. */
export function formatDigests(root: string, all: ReadonlyMap<Group, readonly Digest[]>): string {
  const lines = [
    "# Digests of the front end's outputs over the differential corpus (test/support/pcl-corpus.ts).",
    "# Written by `npx tsx scripts/corpus-digests.ts`; each line: group, first index, 4-character",
    "# parse digests, program digests (50 inputs a line).",
    `seed-files ${seedsHash(root)}`,
  ];
  for (const [group, ds] of all) {
    for (let i = 0; i < ds.length; i += 50) {
      const chunk = ds.slice(i, i + 50);
      lines.push(`${group} ${i} ${chunk.map((d) => d.parse).join("")} ${chunk.map((d) => d.program).join("")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export interface StoredDigests {
  readonly seeds: string;
  readonly groups: ReadonlyMap<Group, Digest[]>;
}

export function readDigests(root: string): StoredDigests {
  const text = readFileSync(join(root, DIGEST_FILE), "utf8");
  let seeds = "";
  const groups = new Map<Group, Digest[]>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [head, a, b, c] = line.split(" ");
    if (head === "seed-files") {
      seeds = a ?? "";
      continue;
    }
    const list = groups.get(head as Group) ?? [];
    groups.set(head as Group, list);
    const start = Number(a);
    for (let k = 0; k * 4 < (b ?? "").length; k++) list[start + k] = { parse: (b ?? "").slice(k * 4, k * 4 + 4), program: (c ?? "").slice(k * 4, k * 4 + 4) };
  }
  return { seeds, groups };
}

/**
 * The inputs of a group whose outputs differ from the stored digests, each with what it gives
 * now (the first few in full), for a failure message that shows what changed.
 */
export function differences(root: string, group: Group, stored: StoredDigests, inputs: readonly CorpusInput[], now: readonly Digest[]): string[] {
  const want = stored.groups.get(group) ?? [];
  const out: string[] = [];
  if (want.length !== inputs.length) out.push(`${group}: ${inputs.length} inputs, but ${want.length} digests stored`);
  for (let i = 0; i < inputs.length; i++) {
    const w = want[i];
    const d = now[i] as Digest;
    for (const k of ["parse", "program"] as const) {
      if (w?.[k] === d[k]) continue;
      const input = inputs[i] as CorpusInput;
      const shown = out.length < 5 ? `\n--- input:\n${input.files.map((f) => f.text).join("\n--- next file:\n").slice(0, 1500)}\n--- ${k} now:\n${(k === "parse" ? parseText(input.files) : programText(input)).slice(0, 1500)}` : "";
      out.push(`${group} #${i}: ${k} digest ${d[k]}, stored ${w?.[k] ?? "none"}${shown}`);
    }
  }
  return out;
}
