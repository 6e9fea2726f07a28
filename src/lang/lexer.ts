/** Lexing a PCL file into tokens; lexer errors become `[E8]` diagnostics. */
import { Lexer, type IToken } from "chevrotain";
import type { Diagnostic } from "./diagnostic.js";
import { messages } from "./messages.js";
import type { SourceFile } from "./source.js";
import { lexerDefinition } from "./tokens.js";

// "onlyOffset": spans are (offset, length) and line/col are derived only when rendering.
const pclLexer = new Lexer(lexerDefinition, { positionTracking: "onlyOffset", ensureOptimizations: false });

export interface LexResult {
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
}

export function lex(file: SourceFile): LexResult {
  const r = pclLexer.tokenize(file.text);
  const diagnostics: Diagnostic[] = [];
  let lastEnd = -1;
  for (const e of r.errors) {
    // Chevrotain reports each run of unlexable characters once; merge touching runs anyway.
    if (e.offset <= lastEnd) continue;
    lastEnd = e.offset + e.length;
    const ch = file.text.slice(e.offset, e.offset + e.length);
    diagnostics.push({
      code: "E8",
      message: messages.unexpectedCharacter(ch),
      span: { file: file.path, offset: e.offset, length: Math.max(1, e.length) },
      labels: [],
    });
  }
  return { tokens: r.tokens, diagnostics };
}
