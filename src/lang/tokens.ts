/**
 * PCL tokens (SPEC §1.1): the token types the Chevrotain grammar (parser.ts) consumes, and the
 * one list of keywords. The tokens are made by the hand-written lexer (lexer.ts), which feeds the
 * parser a token vector (ADR 200); the patterns here are what it accepts, for the reader and for
 * the syntax diagrams, not run by Chevrotain.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_-]*/ });
export const IntLit = createToken({ name: "IntLit", pattern: /-?[0-9]+/ });

export const Module = createToken({ name: "Module", pattern: Lexer.NA });
export const Scenario = createToken({ name: "Scenario", pattern: Lexer.NA });
export const If = createToken({ name: "If", pattern: Lexer.NA });
export const Then = createToken({ name: "Then", pattern: Lexer.NA });
export const Else = createToken({ name: "Else", pattern: Lexer.NA });
export const True = createToken({ name: "True", pattern: Lexer.NA });
export const False = createToken({ name: "False", pattern: Lexer.NA });
export const For = createToken({ name: "For", pattern: Lexer.NA });
export const In = createToken({ name: "In", pattern: Lexer.NA });
export const Setting = createToken({ name: "Setting", pattern: Lexer.NA });
export const Priority = createToken({ name: "Priority", pattern: Lexer.NA });

/**
 * The keywords: the only place that lists them. A word here is never a name (an identifier
 * merely starting with one, like `modules` or `iffy`, is).
 */
export const KEYWORDS: ReadonlyMap<string, TokenType> = new Map([
  ["module", Module],
  ["scenario", Scenario],
  ["if", If],
  ["then", Then],
  ["else", Else],
  ["true", True],
  ["false", False],
  ["for", For],
  ["in", In],
  ["Setting", Setting],
  ["priority", Priority],
]);

export const Arrow = createToken({ name: "Arrow", pattern: /=>/ });
export const EqEq = createToken({ name: "EqEq", pattern: /==/ });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/ });
export const AndAnd = createToken({ name: "AndAnd", pattern: /&&/ });
export const OrOr = createToken({ name: "OrOr", pattern: /\|\|/ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const Bang = createToken({ name: "Bang", pattern: /!/ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /]/ });
export const LBrace = createToken({ name: "LBrace", pattern: /{/ });
export const RBrace = createToken({ name: "RBrace", pattern: /}/ });
export const Less = createToken({ name: "Less", pattern: /</ });
export const Greater = createToken({ name: "Greater", pattern: />/ });

/** `"` opening a string; the lexer then reads string parts until the closing `"`. */
export const StringStart = createToken({ name: "StringStart", pattern: /"/ });
export const StringEnd = createToken({ name: "StringEnd", pattern: /"/ });
/** `${` in a string; its expression ends at the matching `}` (an RBrace). */
export const InterpStart = createToken({ name: "InterpStart", pattern: /\$\{/ });
/** Literal text and escapes; escapes are decoded (and rejected as E8) by the parser. */
export const StringChars = createToken({ name: "StringChars", pattern: /(?:[^"\\$]|\\[^]|\$(?!\{))+/ });

/** Every token type the parser may see (for the parser constructor). */
export const allTokens: TokenType[] = [
  Ident, IntLit, Module, Scenario, If, Then, Else, True, False, For, In, Setting, Priority,
  Arrow, EqEq, NotEq, AndAnd, OrOr, Equals, Bang, Dot, Comma, Semicolon, Colon,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Less, Greater,
  StringStart, StringEnd, InterpStart, StringChars,
];
