/** A PCL file handed to the front end. The front end never reads the file system itself. */
export interface SourceFile {
  /** The name used in diagnostics (as the user gave it, or relative to the fleet file). */
  readonly path: string;
  readonly text: string;
}

/** A half-open range of a source file, as (offset, length) like Pkl; line/col are derived. */
export interface Span {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

export interface LineCol {
  readonly line: number; // 1-based
  readonly col: number; // 1-based, in UTF-16 code units
}

/**
 * Where each line starts, for the few texts most recently asked about: one scan of a text, then a
 * binary search per location, so that N diagnostics in one file cost O(text + N log lines)
 * instead of O(N × text) (issue 12, item 7). Texts are compared by identity first, so a hit is
 * cheap; the cache holds a handful of texts and never grows past them.
 */
const RECENT = 8;
const recent: { text: string; starts: Uint32Array }[] = [];

export function lineStarts(text: string): Uint32Array {
  for (const r of recent) if (r.text === text) return r.starts;
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  const starts = new Uint32Array(n);
  let k = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts[k++] = i + 1;
  if (recent.length >= RECENT) recent.shift();
  recent.push({ text, starts });
  return starts;
}

/** The 0-based index of the line holding `offset` (clamped to the text). */
export function lineIndexOf(text: string, offset: number): number {
  const starts = lineStarts(text);
  const at = Math.min(Math.max(0, offset), text.length);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((starts[mid] as number) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function lineColOf(text: string, offset: number): LineCol {
  const i = lineIndexOf(text, offset);
  const lineStart = lineStarts(text)[i] as number;
  // As before: an offset past the end keeps counting columns on the last line.
  return { line: i + 1, col: Math.max(0, offset) - lineStart + 1 };
}
