/**
 * The `--json` contract (ADR 140): every command run with `--json` prints exactly one canonical
 * JSON document on stdout — on success and on every failure, usage errors included. Every
 * document carries `format_version` and `command`; `ok` says whether the command achieved what
 * it was asked. A command that could not run at all prints an error document (schemas/error).
 * Each command's shape is described by `schemas/<command>.schema.json`.
 */
import { canonicalJson } from "../canonical-json.js";
import type { JsonProblem } from "./json-problem.js";

/**
 * Bumped only for an incompatible change: a key removed or renamed, a type or meaning changed.
 * Adding a key (or a value to an open list) keeps the version: readers must ignore unknown keys.
 */
export const FORMAT_VERSION = 1;

let written = false;
let mode: string | undefined;

/** main.ts: this run was asked for `--json`, for this command. */
export function setJsonCommand(command: string): void {
  mode = command;
}

/** The command whose `--json` document this run owes, or undefined without `--json`. */
export function jsonCommand(): string | undefined {
  return mode;
}

/** Has this process already printed its document? (main.ts prints an error document otherwise.) */
export function jsonDocumentWritten(): boolean {
  return written;
}

/** Print the command's one document: the envelope keys, then the command's own keys. */
export function writeJsonDocument(command: string, ok: boolean, body: Readonly<Record<string, unknown>>): void {
  if (written) return;
  written = true;
  process.stdout.write(canonicalJson({ ...body, format_version: FORMAT_VERSION, command, ok }));
}

/**
 * Why a command could not run: a usage error (exit 2), input with errors (PCL diagnostics, a bad
 * fleet: 1), an operational failure (1), or a bug (70).
 */
export type ErrorKind = "usage" | "input" | "failed" | "internal";

/** The document of a command that did not run (schemas/error.schema.json). */
export function writeJsonError(command: string | null, kind: ErrorKind, exitCode: number, diagnostics: readonly JsonProblem[]): void {
  if (written) return;
  written = true;
  const first = diagnostics[0];
  process.stdout.write(
    canonicalJson({
      format_version: FORMAT_VERSION,
      command,
      ok: false,
      error: { kind, exit_code: exitCode, code: first?.code ?? null, message: first?.message ?? kind },
      diagnostics,
    }),
  );
}

/** `--json` anywhere before `--` (also when commander could not parse the rest). */
export function jsonRequested(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--json") return true;
  }
  return false;
}
