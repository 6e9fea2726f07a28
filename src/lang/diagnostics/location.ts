/** Where a diagnostic is: `file:line:col` (1-based, columns in UTF-16 units), and its headline. */
import { lineColOf, type SourceFile } from "../source.js";
import type { Diagnostic } from "./diagnostic.js";

function fileOf(path: string, files: readonly SourceFile[]): SourceFile | undefined {
  // Almost always the first or only file: a linear scan over a handful of files.
  for (const f of files) if (f.path === path) return f;
  return undefined;
}

export { fileOf };

/** `file:line:col` of a span; `file:1:1` when the file's text is not among `files`. */
export function locationOf(span: { readonly file: string; readonly offset: number }, files: readonly SourceFile[]): string {
  const f = fileOf(span.file, files);
  const lc = lineColOf(f?.text ?? "", span.offset);
  return `${span.file}:${lc.line}:${lc.col}`;
}

/** The first line of a rendered diagnostic, `hosts/x.pcl:3:5: error: [E2] …`, as `✗` lines use it. */
export function diagnosticHeadline(d: Diagnostic, files: readonly SourceFile[]): string {
  return `${locationOf(d.span, files)}: error: [${d.code}] ${d.message}`;
}
