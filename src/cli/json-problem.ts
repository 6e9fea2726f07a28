/**
 * One shape for every error in `--json` output (schemas/common.schema.json#/$defs/diagnostic):
 * a located language diagnostic and a plain operational error alike. `message` never repeats the
 * code; `file`/`line`/`col` are null when the problem has no location.
 */
import type { FleetError } from "../fleet-error.js";
import { type Diagnostic, lineColOf, type SourceFile, type Span } from "../lang/index.js";

export interface JsonLabel {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface JsonProblem {
  readonly code: string | null;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly col: number | null;
  readonly hint: string | null;
  readonly labels: readonly JsonLabel[];
}

function at(span: Span, sources: readonly SourceFile[]): { file: string; line: number; col: number } {
  const src = sources.find((s) => s.path === span.file);
  const { line, col } = src ? lineColOf(src.text, span.offset) : { line: 1, col: 1 };
  return { file: span.file, line, col };
}

export function diagnosticJson(d: Diagnostic, sources: readonly SourceFile[]): JsonProblem {
  return {
    code: d.code,
    message: d.message,
    ...at(d.span, sources),
    hint: d.hint ?? null,
    labels: d.labels.map((l) => ({ ...at(l.span, sources), message: l.message })),
  };
}

/** `[E11] secret(s) not set: …` → code E11, message `secret(s) not set: …`. */
export function plainProblem(code: string | null | undefined, message: string, hint?: string): JsonProblem {
  const m = /^\[([A-Z0-9-]+)\] (.*)$/s.exec(message);
  const c = code ?? m?.[1] ?? null;
  const text = m && (c === null || m[1] === c) ? m[2]! : message;
  return { code: c, message: text, file: null, line: null, col: null, hint: hint ?? null, labels: [] };
}

export function fleetErrorJson(e: FleetError): JsonProblem {
  return plainProblem(e.code, e.message, e.options.hint);
}
