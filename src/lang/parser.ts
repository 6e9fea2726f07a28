/**
 * PCL parser (SPEC §1.2): a Chevrotain EmbeddedActionsParser that builds the AST of ast.ts
 * directly (no CST, which costs about 3× the time). It is the reference grammar (grammar/pcl.ebnf
 * is checked against it) and the source of every syntax diagnostic: valid files are parsed by the
 * hand-written fast-parser.ts instead, which gives up on any mistake so that this parser, with
 * error recovery on, reports them all. The caller discards the tree of a file with a syntax error.
 */
import { EmbeddedActionsParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import { spanBetween, type Comprehension, type Decl, type Expr, type Field, type ModuleDecl, type Override, type Program, type RefKind, type ScenarioDecl, type StrPart, type TypeExpr } from "./ast.js";
import type { Diagnostic } from "./diagnostic.js";
import { lex } from "./lexer.js";
import { NestingTooDeep, parseValid } from "./fast-parser.js";
import { LIMITS, limitMessages } from "./limits.js";
import { decodeEscapes, intLiteralValue } from "./literals.js";
import { messages } from "./messages.js";
import type { SourceFile, Span } from "./source.js";
import * as T from "./tokens.js";

const REF_KINDS: ReadonlySet<string> = new Set(["from_env", "from_file", "from_vault", "from_artifact"]);

/** How a token type reads in a message. */
const TOKEN_LABELS: Record<string, string> = {
  Ident: "a name", IntLit: "an integer", StringStart: "a string", StringEnd: "'\"'", StringChars: "string text",
  InterpStart: "'${'", LBrace: "'{'", RBrace: "'}'", LBraceTop: "'{'", RBraceTop: "'}'", LBraceNested: "'{'",
  RBraceNested: "'}'", Arrow: "'=>'", EqEq: "'=='", NotEq: "'!='", AndAnd: "'&&'", OrOr: "'||'", Equals: "'='",
  Bang: "'!'", Dot: "'.'", Comma: "','", Semicolon: "';'", Colon: "':'", LParen: "'('", RParen: "')'",
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

const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) =>
    expected === T.StringEnd && actual.tokenType === EOF ? messages.unterminatedString : messages.syntaxExpected(label(expected), found(actual)),
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

const DUMMY_SPAN: Span = { file: "", offset: 0, length: 0 };
const DUMMY_EXPR: Expr = { kind: "bool", value: false, ...DUMMY_SPAN };

class PclParser extends EmbeddedActionsParser {
  file = "";
  extra: Diagnostic[] = [];
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

  constructor(recoveryEnabled: boolean) {
    super(T.allTokens, { recoveryEnabled, errorMessageProvider: errorMessages, maxLookahead: 3 });
    this.performSelfAnalysis();
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
    this.CONSUME(T.LBrace);
    const fields = this.SUBRULE(this.fields);
    this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: "module", name: name.image, nameSpan: this.tokSpan(name), fields, span: this.span(start) }) as ModuleDecl);
  });

  private scenarioDecl = this.RULE("scenarioDecl", (): ScenarioDecl => {
    const start = this.CONSUME(T.Scenario);
    const name = this.CONSUME(T.Ident);
    this.CONSUME(T.LBrace);
    const overrides: Override[] = [];
    this.MANY(() => {
      const o = this.SUBRULE(this.override);
      this.ACTION(() => overrides.push(o));
      this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
    });
    this.CONSUME(T.RBrace);
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
          this.CONSUME(T.LParen);
          const e = this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
          return e;
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
            this.CONSUME(T.InterpStart);
            const e = this.SUBRULE(this.expr);
            this.CONSUME(T.RBrace);
            this.ACTION(() => parts.push(e));
          },
        },
      ]);
    });
    this.CONSUME(T.StringEnd);
    return this.ACTION((): Expr => {
      const only = parts.length === 0 ? "" : parts.length === 1 ? parts[0] : undefined;
      if (typeof only === "string") return { kind: "str", value: only, ...this.span(start) };
      return { kind: "interp", parts, ...this.span(start) };
    });
  });

  /** Decodes the escapes of one run of string text; a bad escape is `[E8]` at the escape. */
  private decode(t: IToken): string {
    return decodeEscapes(t.image, t.startOffset, (e) => {
      this.extra.push({ code: "E8", message: e.message, span: { file: this.file, offset: e.offset, length: e.length }, labels: [] });
    });
  }

  private listLit = this.exprRule("listLit", (): Expr => {
    const start = this.CONSUME(T.LBracket);
    const items: (Expr | Comprehension)[] = [];
    this.MANY(() => {
      const item = this.OR([{ ALT: () => this.SUBRULE(this.comprehension) as Expr | Comprehension }, { ALT: () => this.SUBRULE(this.expr) as Expr | Comprehension }]);
      this.ACTION(() => items.push(item));
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
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
    const fields = this.SUBRULE(this.fields);
    this.CONSUME(T.RBrace);
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
    this.CONSUME(T.Less);
    const type = this.SUBRULE(this.typeExpr);
    this.CONSUME(T.Greater);
    this.CONSUME(T.LParen);
    const value = this.SUBRULE(this.expr);
    this.CONSUME(T.Comma);
    this.CONSUME(T.Priority);
    this.CONSUME(T.Equals);
    const p = this.CONSUME(T.IntLit);
    this.CONSUME(T.RParen);
    return this.ACTION(() => {
      const pr = this.intLiteral(p);
      return { kind: "setting", type, value, priority: pr.kind === "int" ? pr.value : 0, ...this.span(start) } as Expr;
    });
  });

  private typeExpr = this.RULE(
    "typeExpr",
    (): TypeExpr => {
      this.enter(true);
      try {
        return this.typeExprBody();
      } finally {
        this.typeDepth--;
      }
    },
    { recoveryValueFunc: () => ({ kind: "Unknown", name: "", span: DUMMY_SPAN }) as TypeExpr },
  );

  private typeExprBody(): TypeExpr {
      const name = this.CONSUME(T.Ident);
      let result: TypeExpr | undefined;
      this.OPTION(() => {
        this.CONSUME(T.Less);
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

// Recovery slows chevrotain down on valid input, so a file is parsed without it first and
// re-parsed with it only when it has a syntax error (to report every independent mistake).
let fast: PclParser | undefined;
let recovering: PclParser | undefined;
function parserInstance(recover = false): PclParser {
  if (recover) return (recovering ??= new PclParser(true));
  return (fast ??= new PclParser(false));
}

export interface ParseResult {
  readonly program: Program;
  /** `[E8]` diagnostics of the lexer and parser, in source order. Non-empty means the tree is partial. */
  readonly diagnostics: readonly Diagnostic[];
}

export function parse(file: SourceFile): ParseResult {
  // Valid input takes the fast path; a file with any mistake is parsed again to report it.
  let valid: Program | undefined;
  try {
    valid = parseValid(file.path, file.text);
  } catch (e) {
    if (e instanceof NestingTooDeep) return { program: { file: file.path, decls: [] }, diagnostics: [nestingDiagnostic(file, e)] };
    throw e;
  }
  return valid ? { program: valid, diagnostics: [] } : parseDiagnosing(file);
}

/** `[E6]` at the token that opens one level too many (LIMITS.nesting; ADR 120). */
function nestingDiagnostic(file: SourceFile, e: NestingTooDeep): Diagnostic {
  return { code: "E6", message: e.inType ? limitMessages.typeNesting() : limitMessages.nesting(), span: { file: file.path, offset: e.offset, length: e.length }, labels: [] };
}

/**
 * Runs the Chevrotain parser; a file that nests too deep stops it at once (it recurses a
 * hundred stack frames and more a level) with the syntax errors found before, and the `[E6]`.
 */
function runParser(p: PclParser, file: SourceFile, tokens: IToken[]): { decls: Decl[] | undefined; deep: Diagnostic | undefined } {
  p.file = file.path;
  p.extra = [];
  p.depth = 0;
  p.typeDepth = 0;
  p.input = tokens;
  try {
    return { decls: p.program(), deep: undefined };
  } catch (e) {
    if (e instanceof NestingTooDeep) return { decls: undefined, deep: nestingDiagnostic(file, e) };
    throw e;
  }
}

/** Parses with Chevrotain alone (the reference parser), reporting every syntax error. */
export function parseDiagnosing(file: SourceFile): ParseResult {
  const lexed = lex(file);
  let p = parserInstance();
  let run = runParser(p, file, lexed.tokens);
  if (p.errors.length > 0 && !run.deep) {
    p = parserInstance(true);
    run = runParser(p, file, lexed.tokens);
  }
  const decls = run.deep ? [] : run.decls;
  const diagnostics: Diagnostic[] = [...lexed.diagnostics, ...p.extra, ...(run.deep ? [run.deep] : [])];
  const seen = new Set<number>();
  for (const e of p.errors) {
    const t = e.token;
    const offset = Number.isFinite(t.startOffset) ? t.startOffset : file.text.length;
    if (seen.has(offset)) continue; // recovery can report one mistake more than once
    seen.add(offset);
    const length = t.tokenType === EOF || !Number.isFinite(t.startOffset) ? 0 : t.image.length;
    diagnostics.push({ code: "E8", message: e.message, span: { file: file.path, offset, length }, labels: [] });
  }
  diagnostics.sort((a, b) => a.span.offset - b.span.offset);
  // Recovery may leave holes; the caller uses a tree with diagnostics only for scenario names.
  return { program: { file: file.path, decls: ((decls as (Decl | undefined)[] | undefined) ?? []).filter((d): d is Decl => typeof d === "object" && d !== null && typeof d.name === "string") }, diagnostics };
}

/** Grammar rule names and productions, for the EBNF sync test and the syntax diagrams. */
export function grammarProductions(): ReturnType<PclParser["getSerializedGastProductions"]> {
  return parserInstance().getSerializedGastProductions();
}
export function grammarRuleNames(): string[] {
  return Object.keys(parserInstance().getGAstProductions());
}
