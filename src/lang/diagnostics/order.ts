/** The order diagnostics are reported in (SPEC §1.5): by file as given, then position. */
import type { SourceFile } from "../source.js";
import type { Diagnostic } from "./diagnostic.js";

/** Sorted by file (in the order given), then position; exact repeats (a loop body) once. */
export function sortDiagnostics(ds: readonly Diagnostic[], files: readonly SourceFile[]): Diagnostic[] {
  const index = new Map(files.map((f, i) => [f.path, i]));
  const seen = new Set<string>();
  const unique: Diagnostic[] = [];
  for (const d of ds) {
    const key = `${d.span.file}\0${d.span.offset}\0${d.span.length}\0${d.code}\0${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(d);
  }
  return unique
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (index.get(a.d.span.file) ?? 0) - (index.get(b.d.span.file) ?? 0) || a.d.span.offset - b.d.span.offset || a.i - b.i)
    .map((x) => x.d);
}
