/**
 * The PCL grammar (SPEC §1.2, grammar/pcl.ebnf): one Chevrotain EmbeddedActionsParser that builds
 * the AST of ast.ts directly (no CST, which costs about 3× the time), with error recovery on, so
 * that one pass gives the tree of a valid file and every independent mistake of a file with
 * mistakes (ADR 200). It reads the token vector of lexer.ts; parse.ts runs the two.
 *
 * A mismatch at a closing bracket is labelled with the bracket it closes, and a string still
 * open at the end of the file is reported at its opening quote: the parser keeps a stack of the
 * brackets (and quotes) it is inside.
 */
import { EmbeddedActionsParser, EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import { REF_KINDS, spanBetween, type Comprehension, type Decl, type Expr, type Field, type ModuleDecl, type Override, type RefKind, type ScenarioDecl, type StrPart, type TypeExpr } from "./ast.js";
import type { Diagnostic, DiagnosticLabel } from "./diagnostic.js";
import { LIMITS, limitMessages } from "./limits.js";
import { decodeEscapes, intLiteralValue } from "./literals.js";
import { messages } from "./messages.js";
import type { Span } from "./source.js";
import * as T from "./tokens.js";

/** How a token type reads in a message. */
const TOKEN_LABELS: Record<string, string> = {
  Ident: "a name", IntLit: "an integer", StringStart: "a string", StringEnd: "'\"'", StringChars: "string text",
  InterpStart: "'${'", LBrace: "'{'", RBrace: "'}'", Arrow: "'=>'", EqEq: "'=='", NotEq: "'!='", AndAnd: "'&&'", OrOr: "'||'",
  Equals: "'='", Bang: "'!'", Dot: "'.'", Comma: "','", Semicolon: "';'", Colon: "':'", LParen: "'('", RParen: "')'",
  LBracket: "'['", RBracket: "']'", Less: "'<'", Greater: "'>'", EOF: "end of file",
};
function label(t: TokenType): string {
  return TOKEN_LABELS[t.name] ?? `'${t.name.toLowerCase()}'`;
}
function found(t: IToken): string {
  if (t.tokenType === EOF) return "end of file";
  if (t.tokenType === T.StringStart) return "a string";
  return `'${t.image}'`;
}

/** What closes each opener. */
const CLOSER: ReadonlyMap<TokenType, TokenType> = new Map([
  [T.LBrace, T.RBrace],
  [T.LBracket, T.RBracket],
  [T.LParen, T.RParen],
  [T.Less, T.Greater],
  [T.StringStart, T.StringEnd],
  [T.InterpStart, T.RBrace],
]);

/** The parser running now: the message provider asks it which bracket a closer closes. */
let current: PclParser | undefined;

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => {
    const opener = current?.openerClosedBy(expected);
    if (current) current.pendingOpener = opener;
    return expected === T.StringEnd && actual.tokenType === EOF ? messages.unterminatedString : messages.syntaxExpected(label(expected), found(actual));
  },
  buildNotAllInputParsedMessage: ({ firstRedundant }) => messages.syntaxUnexpected(found(firstRedundant)),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual, ruleName }) => {
    const firsts = new Set<string>();
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path[0]) firsts.add(label(path[0]));
    return messages.syntaxNoAlternative(ruleName, [...firsts], actual[0] ? found(actual[0]) : "end of file");
  },
  buildEarlyExitMessage: ({ expectedIterationPaths, actual, ruleName }) => {
    const firsts = new Set<string>();
    for (const path of expectedIterationPaths) if (path[0]) firsts.add(label(path[0]));
    return messages.syntaxNoAlternative(ruleName, [...firsts], actual[0] ? found(actual[0]) : "end of file");
  },
};

/** A recognition error, with the opener its missing closer would have closed. */
interface SyntaxError extends IRecognitionException {
  opener?: IToken;
}

/**
 * Thrown when expressions (or type arguments) nest deeper than LIMITS.nesting; `offset` is the
 * token that opens the level too many. It stops the parse at once (the parser recurses a hundred
 * stack frames and more a level).
 */
class NestingTooDeep {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly inType: boolean,
  ) {}
}

const DUMMY_SPAN: Span = { file: "", offset: 0, length: 0 };
const DUMMY_EXPR: Expr = { kind: "bool", value: false, ...DUMMY_SPAN };

class PclParser extends EmbeddedActionsParser {
  file = "";
  extra: Diagnostic[] = [];
  /** The brackets and quotes the parser is inside, innermost last. */
  private readonly openers: IToken[] = [];
  /** The opener of the mismatch whose message was just built, for SAVE_ERROR. */
  pendingOpener: IToken | undefined;
  /** Nesting of `unary` and of `typeExpr` (LIMITS.nesting): past it, NestingTooDeep is thrown. */
  depth = 0;
  typeDepth = 0;

  /** Enters one level of `unary` (or of a type); throws past the limit, before recursing again. */
  private enter(inType: boolean): void {
    const d = inType ? ++this.typeDepth : ++this.depth;
    if (d > LIMITS.nesting + 1) {
      // At the opener just consumed, as the fast parser reports it.
      const t = this.LA(0);
      const offset = Number.isFinite(t.startOffset) ? t.startOffset : 0;
      throw new NestingTooDeep(offset, t.tokenType === EOF ? 0 : t.image.length, inType);
    }
  }

  constructor() {
    super(T.allTokens, { recoveryEnabled: true, errorMessageProvider: errorMessages, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  begin(file: string, tokens: IToken[]): void {
    this.file = file;
    this.extra = [];
    this.depth = 0;
    this.typeDepth = 0;
    this.openers.length = 0;
    this.pendingOpener = undefined;
    this.input = tokens;
  }

  /** The innermost opener, when `closer` is what closes it. */
  openerClosedBy(closer: TokenType): IToken | undefined {
    const top = this.openers[this.openers.length - 1];
    return top && CLOSER.get(top.tokenType) === closer ? top : undefined;
  }

  /** Chevrotain records every syntax error here: each mismatch keeps the opener it concerns. */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    (error as SyntaxError).opener = this.pendingOpener;
    this.pendingOpener = undefined;
    return (EmbeddedActionsParser.prototype as unknown as { SAVE_ERROR: (e: IRecognitionException) => IRecognitionException }).SAVE_ERROR.call(this, error);
  }

  /** Runs `body` inside the bracket (or quote) `opener`. */
  private inside<R>(opener: IToken, body: () => R): R {
    const mark = this.openers.length;
    this.openers.push(opener);
    try {
      return body();
    } finally {
      this.openers.length = mark;
    }
  }

  /** Expression rules yield a harmless placeholder when recovery skips them. */
  private exprRule(name: string, impl: () => Expr): () => Expr {
    return this.RULE(name, impl, { recoveryValueFunc: () => DUMMY_EXPR });
  }

  private span(start: IToken): Span {
    const last = this.LA(0);
    const s = start.startOffset;
    const end = last.startOffset + last.image.length;
    return { file: this.file, offset: s, length: Math.max(0, end - s) };
  }
  private tokSpan(t: IToken): Span {
    return { file: this.file, offset: t.startOffset, length: t.image.length };
  }

  public program = this.RULE("program", (): Decl[] => {
    const decls: Decl[] = [];
    this.MANY(() => {
      const d = this.OR([
        { ALT: () => this.SUBRULE(this.moduleDecl) as Decl },
        { ALT: () => this.SUBRULE(this.scenarioDecl) as Decl },
      ]);
      this.ACTION(() => decls.push(d));
    });
    return decls;
  });

  private moduleDecl = this.RULE("moduleDecl", (): ModuleDecl => {
    const start = this.CONSUME(T.Module);
    const name = this.CONSUME(T.Ident);
    const open = this.CONSUME(T.LBrace);
    const fields = this.inside(open, () => {
      const fs = this.SUBRULE(this.fields);
      this.CONSUME(T.RBrace);
      return fs;
    });
    return this.ACTION(() => ({ kind: "module", name: name.image, nameSpan: this.tokSpan(name), fields, span: this.span(start) }) as ModuleDecl);
  });

  private scenarioDecl = this.RULE("scenarioDecl", (): ScenarioDecl => {
    const start = this.CONSUME(T.Scenario);
    const name = this.CONSUME(T.Ident);
    const open = this.CONSUME(T.LBrace);
    const overrides: Override[] = [];
    this.inside(open, () => {
      this.MANY(() => {
        const o = this.SUBRULE(this.override);
        this.ACTION(() => overrides.push(o));
        this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
      });
      this.CONSUME(T.RBrace);
    });
    return this.ACTION(() => ({ kind: "scenario", name: name.image, nameSpan: this.tokSpan(name), overrides, span: this.span(start) }) as ScenarioDecl);
  });

  /** Fields of a module or record, each optionally followed by `;` or `,`. */
  private fields = this.RULE("fields", (): Field[] => {
    const fields: Field[] = [];
    this.MANY(() => {
      const f = this.SUBRULE(this.field);
      this.ACTION(() => fields.push(f));
      this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
    });
    return fields;
  }, { recoveryValueFunc: () => [] });

  private field = this.RULE(
    "field",
    (): Field => {
      const name = this.CONSUME(T.Ident);
      this.CONSUME(T.Equals);
      const value = this.SUBRULE(this.expr);
      return this.ACTION(() => ({ name: name.image, value, ...this.span(name) }));
    },
    { recoveryValueFunc: () => ({ name: "", value: DUMMY_EXPR, ...DUMMY_SPAN }) },
  );

  private override = this.RULE(
    "override",
    (): Override => {
      const first = this.CONSUME(T.Ident);
      const path: IToken[] = [first];
      this.AT_LEAST_ONE(() => {
        this.CONSUME(T.Dot);
        const p = this.CONSUME2(T.Ident);
        this.ACTION(() => path.push(p));
      });
      this.CONSUME(T.Equals);
      const value = this.SUBRULE(this.expr);
      return this.ACTION(() => ({
        path: path.map((t) => t.image),
        pathSpans: path.map((t) => this.tokSpan(t)),
        value,
        ...this.span(first),
      }));
    },
    { recoveryValueFunc: () => ({ path: [], pathSpans: [], value: DUMMY_EXPR, ...DUMMY_SPAN }) },
  );

  public expr = this.RULE(
    "expr",
    (): Expr => {
      let left = this.SUBRULE(this.andExpr);
      this.MANY(() => {
        this.CONSUME(T.OrOr);
        const right = this.SUBRULE2(this.andExpr);
        left = this.ACTION(() => binary("||", left, right));
      });
      return left;
    },
    { recoveryValueFunc: () => DUMMY_EXPR },
  );

  private andExpr = this.exprRule("andExpr", (): Expr => {
    let left = this.SUBRULE(this.cmpExpr);
    this.MANY(() => {
      this.CONSUME(T.AndAnd);
      const right = this.SUBRULE2(this.cmpExpr);
      left = this.ACTION(() => binary("&&", left, right));
    });
    return left;
  });

  private cmpExpr = this.exprRule("cmpExpr", (): Expr => {
    const left = this.SUBRULE(this.unary);
    let result = left;
    this.OPTION(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.EqEq) }, { ALT: () => this.CONSUME(T.NotEq) }]);
      const right = this.SUBRULE2(this.unary);
      result = this.ACTION(() => binary(op.image === "==" ? "==" : "!=", left, right));
    });
    return result;
  });

  private unary = this.exprRule("unary", (): Expr => {
    this.enter(false);
    try {
      return this.unaryAlternatives();
    } finally {
      this.depth--;
    }
  });

  private unaryAlternatives(): Expr {
    return this.OR([
      {
        ALT: () => {
          const bang = this.CONSUME(T.Bang);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ kind: "not", operand, ...this.span(bang) }) as Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  }

  private postfix = this.exprRule("postfix", (): Expr => {
    let target = this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const f = this.CONSUME(T.Ident);
      target = this.ACTION(() => ({ kind: "select", target, field: f.image, ...spanBetween(target, this.tokSpan(f)) }) as Expr);
    });
    return target;
  });

  private primary = this.exprRule("primary", (): Expr => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.stringLit) },
      {
        ALT: () => {
          const t = this.CONSUME(T.IntLit);
          return this.ACTION(() => this.intLiteral(t));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.True);
          return this.ACTION(() => ({ kind: "bool", value: true, ...this.tokSpan(t) }) as Expr);
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.False);
          return this.ACTION(() => ({ kind: "bool", value: false, ...this.tokSpan(t) }) as Expr);
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.Ident);
          return this.ACTION(() => ({ kind: "name", name: t.image, ...this.tokSpan(t) }) as Expr);
        },
      },
      { ALT: () => this.SUBRULE(this.listLit) },
      { ALT: () => this.SUBRULE(this.recordLit) },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          return this.inside(open, () => {
            const e = this.SUBRULE(this.expr);
            this.CONSUME(T.RParen);
            return e;
          });
        },
      },
      { ALT: () => this.SUBRULE(this.ifExpr) },
      { ALT: () => this.SUBRULE(this.settingExpr) },
    ]);
  });

  private intLiteral(t: IToken): Expr {
    const value = intLiteralValue(t.image);
    if (value === undefined) {
      this.extra.push({ code: "E8", message: messages.intOutOfRange(t.image), span: this.tokSpan(t), labels: [] });
      return { kind: "int", value: 0, ...this.tokSpan(t) };
    }
    return { kind: "int", value, ...this.tokSpan(t) };
  }

  private stringLit = this.exprRule("stringLit", (): Expr => {
    const start = this.CONSUME(T.StringStart);
    const parts: StrPart[] = [];
    this.inside(start, () => this.stringBody(parts));
    return this.ACTION((): Expr => {
      const only = parts.length === 0 ? "" : parts.length === 1 ? parts[0] : undefined;
      if (typeof only === "string") return { kind: "str", value: only, ...this.span(start) };
      return { kind: "interp", parts, ...this.span(start) };
    });
  });

  /** The parts of a string up to its closing quote. */
  private stringBody(parts: StrPart[]): void {
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            const chars = this.CONSUME(T.StringChars);
            this.ACTION(() => {
              const text = this.decode(chars);
              const last = parts[parts.length - 1];
              if (typeof last === "string") parts[parts.length - 1] = last + text;
              else parts.push(text);
            });
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.InterpStart);
            const e = this.inside(open, () => {
              const inner = this.SUBRULE(this.expr);
              this.CONSUME(T.RBrace);
              return inner;
            });
            this.ACTION(() => parts.push(e));
          },
        },
      ]);
    });
    this.CONSUME(T.StringEnd);
  }

  /** Decodes the escapes of one run of string text; a bad escape is `[E8]` at the escape. */
  private decode(t: IToken): string {
    return decodeEscapes(t.image, t.startOffset, (e) => {
      this.extra.push({ code: "E8", message: e.message, span: { file: this.file, offset: e.offset, length: e.length }, labels: [] });
    });
  }

  private listLit = this.exprRule("listLit", (): Expr => {
    const start = this.CONSUME(T.LBracket);
    const items: (Expr | Comprehension)[] = [];
    this.inside(start, () => {
      this.MANY(() => {
        const item = this.OR([{ ALT: () => this.SUBRULE(this.comprehension) as Expr | Comprehension }, { ALT: () => this.SUBRULE(this.expr) as Expr | Comprehension }]);
        this.ACTION(() => items.push(item));
        this.OPTION(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RBracket);
    });
    return this.ACTION(() => ({ kind: "list", items, ...this.span(start) }) as Expr);
  });

  private comprehension = this.RULE("comprehension", (): Comprehension => {
    const start = this.CONSUME(T.For);
    const v = this.CONSUME(T.Ident);
    this.CONSUME(T.In);
    const source = this.SUBRULE(this.expr);
    let filter: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.If);
      filter = this.SUBRULE2(this.expr);
    });
    this.CONSUME(T.Arrow);
    const body = this.SUBRULE3(this.expr);
    return this.ACTION(() => ({ kind: "for", variable: v.image, source, filter, body, ...this.span(start) }) as Comprehension);
  }, { recoveryValueFunc: () => ({ kind: "for" as const, variable: "", source: DUMMY_EXPR, filter: undefined, body: DUMMY_EXPR, ...DUMMY_SPAN }) });

  private recordLit = this.exprRule("recordLit", (): Expr => {
    const start = this.CONSUME(T.LBrace);
    const fields = this.inside(start, () => {
      const fs = this.SUBRULE(this.fields);
      this.CONSUME(T.RBrace);
      return fs;
    });
    return this.ACTION(() => {
      const span = this.span(start);
      const only = fields.length === 1 ? fields[0] : undefined;
      // `{ from_env = "X" }` with a plain literal is a reference, not a record (SPEC §1.2).
      if (only && REF_KINDS.has(only.name) && only.value.kind === "str") {
        return { kind: "ref", ref: only.name as RefKind, name: only.value.value, ...span } as Expr;
      }
      return { kind: "record", fields, ...span } as Expr;
    });
  });

  private ifExpr = this.exprRule("ifExpr", (): Expr => {
    const start = this.CONSUME(T.If);
    const cond = this.SUBRULE(this.expr);
    this.CONSUME(T.Then);
    const then = this.SUBRULE2(this.expr);
    this.CONSUME(T.Else);
    const otherwise = this.SUBRULE3(this.expr);
    return this.ACTION(() => ({ kind: "if", cond, then, else: otherwise, ...this.span(start) }) as Expr);
  });

  private settingExpr = this.exprRule("settingExpr", (): Expr => {
    const start = this.CONSUME(T.Setting);
    const less = this.CONSUME(T.Less);
    const type = this.inside(less, () => {
      const t = this.SUBRULE(this.typeExpr);
      this.CONSUME(T.Greater);
      return t;
    });
    const paren = this.CONSUME(T.LParen);
    const { value, p } = this.inside(paren, () => {
      const v = this.SUBRULE(this.expr);
      this.CONSUME(T.Comma);
      this.CONSUME(T.Priority);
      this.CONSUME(T.Equals);
      const prio = this.CONSUME(T.IntLit);
      this.CONSUME(T.RParen);
      return { value: v, p: prio };
    });
    return this.ACTION(() => {
      const pr = this.intLiteral(p);
      return { kind: "setting", type, value, priority: pr.kind === "int" ? pr.value : 0, ...this.span(start) } as Expr;
    });
  });

  private typeExpr = this.RULE(
    "typeExpr",
    (): TypeExpr => {
      this.enter(true);
      const mark = this.openers.length;
      try {
        return this.typeExprBody();
      } finally {
        this.typeDepth--;
        this.openers.length = mark;
      }
    },
    { recoveryValueFunc: () => ({ kind: "Unknown", name: "", span: DUMMY_SPAN }) as TypeExpr },
  );

  private typeExprBody(): TypeExpr {
      const name = this.CONSUME(T.Ident);
      let result: TypeExpr | undefined;
      this.OPTION(() => {
        const less = this.CONSUME(T.Less);
        this.openers.push(less);
        const args: { name: string; type: TypeExpr }[] = [];
        let elem: TypeExpr | undefined;
        this.OR([
          {
            // Rec<name: type, …>
            GATE: () => this.LA(2).tokenType === T.Colon,
            ALT: () => {
              this.MANY_SEP({
                SEP: T.Comma,
                DEF: () => {
                  const n = this.CONSUME2(T.Ident);
                  this.CONSUME(T.Colon);
                  const t = this.SUBRULE(this.typeExpr);
                  this.ACTION(() => args.push({ name: n.image, type: t }));
                },
              });
            },
          },
          { ALT: () => { elem = this.SUBRULE2(this.typeExpr); } },
        ]);
        this.CONSUME(T.Greater);
        this.openers.pop();
        result = this.ACTION(() => {
          const span = this.span(name);
          if (name.image === "List" && elem) return { kind: "List", elem, span } as TypeExpr;
          if (name.image === "Rec" && !elem) return { kind: "Rec", fields: args, span } as TypeExpr;
          return { kind: "Unknown", name: name.image, span } as TypeExpr;
        });
      });
      return this.ACTION(() => {
        if (result) return result;
        const span = this.tokSpan(name);
        const n = name.image;
        if (n === "Bool" || n === "Int" || n === "Str" || n === "Path") return { kind: n, span } as TypeExpr;
        if (n === "Rec") return { kind: "Rec", fields: [], span } as TypeExpr;
        return { kind: "Unknown", name: n, span } as TypeExpr;
      });
  }
}

function binary(op: "==" | "!=" | "&&" | "||", left: Expr, right: Expr): Expr {
  return { kind: "binary", op, left, right, ...spanBetween(left, right) };
}

/** The parser, built once: building one analyses the grammar, which takes longer than a parse. */
let instance: PclParser | undefined;
function parser(): PclParser {
  return (instance ??= new PclParser());
}

export interface GrammarResult {
  /** The declarations; partial (with placeholders dropped) when there are syntax errors. */
  readonly decls: Decl[];
  /** Syntax errors, bad escapes and integers out of range (`[E8]`), in the order found. */
  readonly diagnostics: Diagnostic[];
  /** `[E6]` when expressions nest too deep: the parse stopped there (ADR 120). */
  readonly tooDeep: Diagnostic | undefined;
}

/** Parses the token vector of one file (from lexer.ts) into its declarations, in one pass. */
export function parseTokens(file: string, tokens: IToken[], textLength: number): GrammarResult {
  const p = parser();
  p.begin(file, tokens);
  current = p;
  let decls: Decl[] | undefined;
  let tooDeep: Diagnostic | undefined;
  try {
    decls = p.program();
  } catch (e) {
    if (!(e instanceof NestingTooDeep)) throw e;
    tooDeep = { code: "E6", message: e.inType ? limitMessages.typeNesting() : limitMessages.nesting(), span: { file, offset: e.offset, length: e.length }, labels: [] };
  } finally {
    current = undefined;
  }
  const diagnostics: Diagnostic[] = p.extra;
  const seen = new Set<number>();
  for (const e of p.errors as SyntaxError[]) {
    const t = e.token;
    const atEnd = t.tokenType === EOF || !Number.isFinite(t.startOffset);
    const offset = atEnd ? textLength : t.startOffset;
    if (seen.has(offset)) continue; // recovery can report one mistake more than once
    seen.add(offset);
    diagnostics.push(syntaxDiagnostic(file, e, offset, atEnd ? 0 : t.image.length, atEnd));
  }
  // Recovery may leave holes; the caller uses a tree with diagnostics only for declared names.
  const kept = ((decls as (Decl | undefined)[] | undefined) ?? []).filter((d): d is Decl => typeof d === "object" && d !== null && typeof d.name === "string");
  return { decls: tooDeep ? [] : kept, diagnostics, tooDeep };
}

/**
 * One syntax error as a diagnostic: at the token found, with a note at the bracket a missing
 * closer would close; an unterminated string is reported at its opening quote.
 */
function syntaxDiagnostic(file: string, e: SyntaxError, offset: number, length: number, atEnd: boolean): Diagnostic {
  const opener = e.opener;
  if (!opener) return { code: "E8", message: e.message, span: { file, offset, length }, labels: [] };
  const openerSpan = { file, offset: opener.startOffset, length: opener.image.length };
  if (opener.tokenType === T.StringStart && atEnd) return { code: "E8", message: e.message, span: openerSpan, labels: [] };
  const labels: DiagnosticLabel[] = [{ span: openerSpan, message: messages.openedHere(opener.image) }];
  return { code: "E8", message: e.message, span: { file, offset, length }, labels };
}

/** Grammar rule names and productions, for the EBNF sync test and the syntax diagrams. */
export function grammarProductions(): ReturnType<PclParser["getSerializedGastProductions"]> {
  return parser().getSerializedGastProductions();
}
export function grammarRuleNames(): string[] {
  return Object.keys(parser().getGAstProductions());
}
