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

export function lineColOf(text: string, offset: number): LineCol {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}
