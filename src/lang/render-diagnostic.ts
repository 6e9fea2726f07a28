/**
 * Renders diagnostics as SPEC §1.5 (ADR 011):
 *
 *   hosts/web.pcl:12:8: error: [E2] unknown field 'pacakge' on service record
 *      12 |     pacakge = "Api"
 *         |     ^^^^^^^
 *     note: hosts/web.pcl:3:8: first defined here
 *       3 | module Api {
 *         |        ^^^
 *     hint: did you mean 'package'?
 *
 * A span covering several lines is underlined to the end of its first line. The source line is
 * shown as written; tabs before the caret are kept so the caret lines up in a terminal.
 */
import type { Diagnostic } from "./diagnostic.js";
import { lineColOf, type SourceFile, type Span } from "./source.js";

const GUTTER = 5;

export function locationOf(span: Span, files: readonly SourceFile[]): string {
  const f = files.find((x) => x.path === span.file);
  const lc = lineColOf(f?.text ?? "", span.offset);
  return `${span.file}:${lc.line}:${lc.col}`;
}

function excerpt(span: Span, files: readonly SourceFile[]): string[] {
  const f = files.find((x) => x.path === span.file);
  if (!f) return [];
  const text = f.text;
  const offset = Math.min(Math.max(0, span.offset), text.length);
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  let lineEnd = text.indexOf("\n", offset);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd).replace(/\r$/, "");
  const { line: lineNo } = lineColOf(text, offset);
  const prefix = line.slice(0, offset - lineStart).replace(/[^\t]/g, " ");
  const width = Math.max(1, Math.min(span.length, line.length - (offset - lineStart)));
  const num = String(lineNo).padStart(GUTTER);
  return [`${num} | ${line}`.trimEnd(), `${" ".repeat(num.length)} | ${prefix}${"^".repeat(width)}`];
}

/** One diagnostic, without a trailing newline. */
export function renderDiagnostic(d: Diagnostic, files: readonly SourceFile[]): string {
  const out = [`${locationOf(d.span, files)}: error: [${d.code}] ${d.message}`, ...excerpt(d.span, files)];
  for (const l of d.labels) out.push(`  note: ${locationOf(l.span, files)}: ${l.message}`, ...excerpt(l.span, files).map((x) => `  ${x}`));
  if (d.hint) out.push(`  hint: ${d.hint}`);
  return out.join("\n");
}

/** Every diagnostic, each followed by a newline: ready to write to stderr as is. */
export function renderDiagnostics(ds: readonly Diagnostic[], files: readonly SourceFile[]): string {
  return ds.map((d) => renderDiagnostic(d, files) + "\n").join("");
}

/** The headline of a diagnostic (`file:line:col: error: [E2] …`), as `✗` lines use it. */
export function diagnosticHeadline(d: Diagnostic, files: readonly SourceFile[]): string {
  return `${locationOf(d.span, files)}: error: [${d.code}] ${d.message}`;
}
