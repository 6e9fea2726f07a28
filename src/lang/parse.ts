/**
 * Parsing one file (ADR 200): the lexer's token vector, then the one Chevrotain grammar, once.
 * Diagnostics come back in source order; a file with any makes the tree partial.
 */
import type { Program } from "./ast.js";
import type { Diagnostic } from "./diagnostic.js";
import { lex } from "./lexer.js";
import { parseTokens } from "./parser.js";
import type { SourceFile } from "./source.js";

export interface ParseResult {
  readonly program: Program;
  /** `[E8]` of the lexer and parser (and `[E6]` for nesting too deep), in source order. Non-empty means the tree is partial. */
  readonly diagnostics: readonly Diagnostic[];
}

export function parse(file: SourceFile): ParseResult {
  const lexed = lex(file);
  const parsed = parseTokens(file.path, lexed.tokens, file.text.length);
  let diagnostics = [...lexed.diagnostics, ...parsed.diagnostics];
  if (parsed.tooDeep) {
    // The parse stopped where the nesting got too deep: report what was found before it.
    const at = parsed.tooDeep.span.offset;
    diagnostics = [...lexed.diagnostics.filter((d) => d.span.offset < at), ...parsed.diagnostics, parsed.tooDeep];
  }
  diagnostics.sort((a, b) => a.span.offset - b.span.offset);
  return { program: { file: file.path, decls: parsed.decls }, diagnostics };
}
