/**
 * PCL tokens (SPEC §1.1). Strings are lexed with lexer modes so that `${…}` may hold any
 * expression, including nested strings and records: `"` pushes the string mode, `${` pushes the
 * interpolation mode, and inside an interpolation `{` pushes and `}` pops, so the `}` that closes
 * the interpolation returns to the string.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: Lexer.SKIPPED });

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_-]*/ });
function keyword(name: string, word: string): TokenType {
  return createToken({ name, pattern: new RegExp(word), longer_alt: Ident });
}
export const Module = keyword("Module", "module");
export const Scenario = keyword("Scenario", "scenario");
export const If = keyword("If", "if");
export const Then = keyword("Then", "then");
export const Else = keyword("Else", "else");
export const True = keyword("True", "true");
export const False = keyword("False", "false");
export const For = keyword("For", "for");
export const In = keyword("In", "in");
export const Setting = keyword("Setting", "Setting");
export const Priority = keyword("Priority", "priority");

export const IntLit = createToken({ name: "IntLit", pattern: /-?[0-9]+/ });

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
export const Less = createToken({ name: "Less", pattern: /</ });
export const Greater = createToken({ name: "Greater", pattern: />/ });

/** Abstract braces: the parser consumes these; the concrete ones differ only in mode changes. */
export const LBrace = createToken({ name: "LBrace", pattern: Lexer.NA });
export const RBrace = createToken({ name: "RBrace", pattern: Lexer.NA });
const LBraceTop = createToken({ name: "LBraceTop", pattern: /{/, categories: [LBrace] });
const RBraceTop = createToken({ name: "RBraceTop", pattern: /}/, categories: [RBrace] });
const LBraceNested = createToken({ name: "LBraceNested", pattern: /{/, categories: [LBrace], push_mode: "interp" });
const RBraceNested = createToken({ name: "RBraceNested", pattern: /}/, categories: [RBrace], pop_mode: true });

export const StringStart = createToken({ name: "StringStart", pattern: /"/, push_mode: "str" });
export const StringEnd = createToken({ name: "StringEnd", pattern: /"/, pop_mode: true });
export const InterpStart = createToken({ name: "InterpStart", pattern: /\$\{/, push_mode: "interp" });
/** Literal text and escapes; escapes are decoded (and rejected as E8) by the parser. */
export const StringChars = createToken({
  name: "StringChars",
  pattern: /(?:[^"\\$]|\\[^]|\$(?!\{))+/,
  line_breaks: true,
});

const common: TokenType[] = [
  WhiteSpace, Comment, StringStart,
  Module, Scenario, If, Then, Else, True, False, For, In, Setting, Priority, Ident,
  IntLit, Arrow, EqEq, NotEq, AndAnd, OrOr, Equals, Bang, Dot, Comma, Semicolon, Colon,
  LParen, RParen, LBracket, RBracket, Less, Greater,
];

export const lexerDefinition = {
  modes: {
    top: [...common, LBraceTop, RBraceTop],
    str: [StringEnd, InterpStart, StringChars],
    interp: [...common, LBraceNested, RBraceNested],
  },
  defaultMode: "top",
};

/** Every token type the parser may see (for the parser constructor). */
export const allTokens: TokenType[] = [
  ...common, LBrace, RBrace, LBraceTop, RBraceTop, LBraceNested, RBraceNested,
  StringEnd, InterpStart, StringChars,
];
