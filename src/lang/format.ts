/**
 * `fleet fmt`'s engine (ADR 150): the canonical layout of one PCL file. Pure. Text the language's
 * parser refuses is not formatted: its `[E8]` diagnostics come back instead.
 */
import type { Diagnostic } from "./diagnostic.js";
import { printDoc } from "./format/doc.js";
import { layoutTree } from "./format/layout-tree.js";
import { programDoc, WIDTH } from "./format/print.js";
import { triviaTokens, type TriviaToken } from "./format/trivia-tokens.js";
import { parse } from "./parse.js";
import type { SourceFile } from "./source.js";

export type FormatResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export function formatSource(file: SourceFile): FormatResult {
  const parsed = parse(file);
  if (parsed.diagnostics.length > 0) return { ok: false, diagnostics: parsed.diagnostics };
  const tokens = triviaTokens(file.text);
  const text = printDoc(programDoc(layoutTree(tokens)), WIDTH);
  assertSameContent(tokens, triviaTokens(text), file.path);
  return { ok: true, text };
}

/**
 * The formatter only moves tokens and comments: the same tokens (separators aside) and the same
 * comment text in the same order, or it is a bug, never a silently changed program.
 */
function assertSameContent(before: readonly TriviaToken[], after: readonly TriviaToken[], path: string): void {
  const sig = (ts: readonly TriviaToken[]): string[] =>
    ts.filter((t) => !(t.kind === "punct" && (t.text === "," || t.text === ";"))).map((t) => `${t.kind}:${t.text}`);
  const comments = (ts: readonly TriviaToken[]): string =>
    ts.flatMap((t) => [...t.leading, ...t.trailing]).map((c) => c.text).join(" ");
  const a = sig(before);
  const b = sig(after);
  if (a.length !== b.length || a.some((x, k) => x !== b[k])) throw new Error(`fmt changed the tokens of ${path}`);
  if (comments(before).replace(/\s+/g, " ") !== comments(after).replace(/\s+/g, " ")) throw new Error(`fmt changed the comments of ${path}`);
}
