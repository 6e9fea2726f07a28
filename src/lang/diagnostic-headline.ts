import type { Diagnostic } from "./diagnostic.js";
import { lineColOf, type SourceFile } from "./source.js";

/** `file:line:col` of a span, as diagnostics print it. */
export function spanLocation(span: { readonly file: string; readonly offset: number }, sources: readonly SourceFile[]): string {
  const src = sources.find((s) => s.path === span.file);
  const { line, col } = src ? lineColOf(src.text, span.offset) : { line: 1, col: 1 };
  return `${span.file}:${line}:${col}`;
}

/** The first line of a rendered diagnostic: `hosts/x.pcl:3:5: error: [E2] …` (a `✗` line's reason). */
export function diagnosticHeadline(d: Diagnostic, sources: readonly SourceFile[]): string {
  return `${spanLocation(d.span, sources)}: error: [${d.code}] ${d.message}`;
}
