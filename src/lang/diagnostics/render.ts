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
 * shown as written; tabs before the caret are kept so the caret lines up in a terminal. A line
 * longer than EXCERPT_WIDTH is cut to a window around the caret, with `…` where text was left
 * out, and at most MAX_RENDERED diagnostics are rendered, then one line says how many more
 * there are (issue 12, items 7 and 16; ADR 122).
 */
import { lineIndexOf, lineStarts, type SourceFile, type Span } from "../source.js";
import type { Diagnostic } from "./diagnostic.js";
import { diagnosticHeadline, fileOf, locationOf } from "./location.js";

const GUTTER = 5;
/** The widest source excerpt shown, in UTF-16 code units; longer lines are cut around the caret. */
export const EXCERPT_WIDTH = 160;
/** How much of the line before the caret a cut excerpt keeps. */
const EXCERPT_BEFORE = 60;
/** At most this many diagnostics are rendered; the rest are counted. */
export const MAX_RENDERED = 100;

function excerpt(span: Span, files: readonly SourceFile[]): string[] {
  const f = fileOf(span.file, files);
  if (!f) return [];
  const text = f.text;
  const offset = Math.min(Math.max(0, span.offset), text.length);
  const index = lineIndexOf(text, offset);
  const lineStart = lineStarts(text)[index] as number;
  let lineEnd = text.indexOf("\n", offset);
  if (lineEnd < 0) lineEnd = text.length;
  const lineNo = index + 1;
  const col = offset - lineStart;
  // A huge line is cut to a window around the caret: never echo megabytes of one line.
  let from = lineStart;
  let to = lineEnd;
  if (lineEnd - lineStart > EXCERPT_WIDTH) {
    from = Math.max(lineStart, offset - EXCERPT_BEFORE);
    to = Math.min(lineEnd, from + EXCERPT_WIDTH);
    if (to === lineEnd) from = Math.max(lineStart, to - EXCERPT_WIDTH);
  }
  const head = from > lineStart ? "…" : "";
  const tail = to < lineEnd ? "…" : "";
  const line = text.slice(from, to).replace(/\r$/, "");
  const prefix = (head === "" ? "" : " ") + line.slice(0, col - (from - lineStart)).replace(/[^\t]/g, " ");
  const width = Math.max(1, Math.min(span.length, line.length - (offset - from)));
  const num = String(lineNo).padStart(GUTTER);
  return [`${num} | ${head}${line}${tail}`.trimEnd(), `${" ".repeat(num.length)} | ${prefix}${"^".repeat(width)}`];
}

/** One diagnostic, without a trailing newline. */
export function renderDiagnostic(d: Diagnostic, files: readonly SourceFile[]): string {
  const out = [diagnosticHeadline(d, files), ...excerpt(d.span, files)];
  for (const l of d.labels) out.push(`  note: ${locationOf(l.span, files)}: ${l.message}`, ...excerpt(l.span, files).map((x) => `  ${x}`));
  if (d.hint) out.push(`  hint: ${d.hint}`);
  return out.join("\n");
}

/** Every diagnostic, each followed by a newline: ready to write to stderr as is. */
export function renderDiagnostics(ds: readonly Diagnostic[], files: readonly SourceFile[]): string {
  const shown = ds.length > MAX_RENDERED ? ds.slice(0, MAX_RENDERED) : ds;
  const out = shown.map((d) => renderDiagnostic(d, files) + "\n").join("");
  if (ds.length <= MAX_RENDERED) return out;
  const more = ds.length - MAX_RENDERED;
  return `${out}fleet: ${more} more error${more === 1 ? "" : "s"} not shown (${ds.length} in all); fix the ones above first\n`;
}
