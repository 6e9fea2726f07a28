/**
 * Best-available spans for store diagnostics (ADR 023). The front end reports where each module is
 * defined but not where each field is, so when the caller can hand us the source text we scan the
 * module's body for the field (or the `deps` entry) and point there; otherwise we point at the
 * module definition. The scanner understands just enough PCL to skip comments and strings
 * (with nested `${}` interpolation).
 */
import type { Span } from "../lang/index.js";

export type SourceText = (file: string) => string | undefined;

export class SourceLocator {
  constructor(private readonly text: SourceText | undefined) {}

  /** Span of `field` directly inside the module body, else the module span. */
  field(moduleSpan: Span, field: string): Span {
    const found = this.scan(moduleSpan, (t, body) => findField(t, body, field));
    return found ?? moduleSpan;
  }

  /** Span of the string literal naming `dep` in the module's `deps` list, else best available. */
  depEntry(moduleSpan: Span, dep: string): Span {
    const found = this.scan(moduleSpan, (t, body) => {
      const f = findField(t, body, "deps");
      if (!f) return undefined;
      return findStringInList(t, f.offset + f.length, body.end, dep) ?? f;
    });
    return found ?? moduleSpan;
  }

  private scan(moduleSpan: Span, fn: (text: string, body: Body) => { offset: number; length: number } | undefined): Span | undefined {
    const t = this.text?.(moduleSpan.file);
    if (t === undefined) return undefined;
    const body = moduleBody(t, moduleSpan.offset);
    if (!body) return undefined;
    const r = fn(t, body);
    return r ? { file: moduleSpan.file, offset: r.offset, length: r.length } : undefined;
  }
}

interface Body {
  readonly start: number; // just after `{`
  readonly end: number; // index of the matching `}`
}

function moduleBody(t: string, from: number): Body | undefined {
  let i = from;
  while (i < t.length) {
    const c = t[i];
    if (c === "#") i = skipComment(t, i);
    else if (c === '"') i = skipString(t, i);
    else if (c === "{") {
      const end = matchBrace(t, i);
      return end === undefined ? undefined : { start: i + 1, end };
    } else i++;
  }
  return undefined;
}

/** Index of the `}` matching the `{` at `open`. */
function matchBrace(t: string, open: number): number | undefined {
  let depth = 0;
  let i = open;
  while (i < t.length) {
    const c = t[i];
    if (c === "#") { i = skipComment(t, i); continue; }
    if (c === '"') { i = skipString(t, i); continue; }
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  return undefined;
}

function skipComment(t: string, i: number): number {
  const nl = t.indexOf("\n", i);
  return nl < 0 ? t.length : nl + 1;
}

/** From the opening quote at `i`, the index just after the closing quote. */
function skipString(t: string, i: number): number {
  let j = i + 1;
  while (j < t.length) {
    const c = t[j];
    if (c === "\\") j += 2;
    else if (c === '"') return j + 1;
    else if (c === "$" && t[j + 1] === "{") {
      const end = matchBrace(t, j + 1);
      j = end === undefined ? t.length : end + 1;
    } else j++;
  }
  return t.length;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

/** An identifier `name` followed by `=` at nesting depth 0 of the body. */
function findField(t: string, body: Body, name: string): { offset: number; length: number } | undefined {
  let i = body.start;
  let depth = 0;
  while (i < body.end) {
    const c = t[i] ?? "";
    if (c === "#") { i = skipComment(t, i); continue; }
    if (c === '"') { i = skipString(t, i); continue; }
    if (c === "{" || c === "[" || c === "(") { depth++; i++; continue; }
    if (c === "}" || c === "]" || c === ")") { depth--; i++; continue; }
    IDENT.lastIndex = i;
    const m = IDENT.exec(t);
    if (m) {
      const word = m[0];
      let k = i + word.length;
      while (k < body.end && /\s/.test(t[k] ?? "")) k++;
      if (depth === 0 && word === name && t[k] === "=" && t[k + 1] !== "=") return { offset: i, length: word.length };
      i += word.length;
      continue;
    }
    i++;
  }
  return undefined;
}

/** The string literal `"value"` inside the first `[...]` after `from`. */
function findStringInList(t: string, from: number, limit: number, value: string): { offset: number; length: number } | undefined {
  const open = t.indexOf("[", from);
  if (open < 0 || open >= limit) return undefined;
  const close = matchBrace(t, open) ?? limit;
  let i = open + 1;
  while (i < close) {
    const c = t[i];
    if (c === "#") { i = skipComment(t, i); continue; }
    if (c === '"') {
      const end = skipString(t, i);
      if (t.slice(i + 1, end - 1) === value) return { offset: i, length: end - i };
      i = end;
      continue;
    }
    i++;
  }
  return undefined;
}
