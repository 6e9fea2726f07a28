/**
 * The typed syntax tree of PCL (no CST).
 *
 * Every expression, field and override is its own span: it carries the `file`, `offset` and
 * `length` it was parsed from, so it can be passed wherever a `Span` is expected and the tree
 * holds no separate span objects (ADR 017). A span that leaves the front end (a diagnostic, a
 * reference value, a `fleet why` contribution) is copied with `spanOf`, so that no syntax node
 * escapes. Spans that can be worked out are not stored: a field's name starts where the field
 * does, a selected field name ends where the selection does.
 */
import type { Span } from "./source.js";

export type TypeExpr =
  | { readonly kind: "Bool" | "Int" | "Str" | "Path"; readonly span: Span }
  | { readonly kind: "List"; readonly elem: TypeExpr; readonly span: Span }
  | { readonly kind: "Rec"; readonly fields: readonly { name: string; type: TypeExpr }[]; readonly span: Span }
  | { readonly kind: "Unknown"; readonly name: string; readonly span: Span };

/** `name = value`; the field's span starts at its name. */
export interface Field extends Span {
  readonly name: string;
  readonly value: Expr;
}

export interface Override extends Span {
  readonly path: readonly string[];
  readonly pathSpans: readonly Span[];
  readonly value: Expr;
}

export interface ModuleDecl {
  readonly kind: "module";
  readonly name: string;
  readonly nameSpan: Span;
  readonly fields: readonly Field[];
  readonly span: Span;
}

export interface ScenarioDecl {
  readonly kind: "scenario";
  readonly name: string;
  readonly nameSpan: Span;
  readonly overrides: readonly Override[];
  readonly span: Span;
}

export type Decl = ModuleDecl | ScenarioDecl;

export interface Program {
  readonly file: string;
  readonly decls: readonly Decl[];
}

/** A part of an interpolating string: literal text or an interpolated expression. */
export type StrPart = string | Expr;
/**
 * The reference kinds (SPEC §1.2): a record whose one field is one of these, set to a plain
 * string, is a reference. The only list of them.
 */
export const REF_KIND_NAMES = ["from_env", "from_file", "from_vault", "from_artifact"] as const;
export type RefKind = (typeof REF_KIND_NAMES)[number];
export const REF_KINDS: ReadonlySet<string> = new Set(REF_KIND_NAMES);

export interface Comprehension extends Span {
  readonly kind: "for";
  readonly variable: string;
  readonly source: Expr;
  readonly filter: Expr | undefined;
  readonly body: Expr;
}

export type Expr =
  /** A string literal without interpolation (escapes decoded). */
  | ({ readonly kind: "str"; readonly value: string } & Span)
  /** A string literal with at least one `${…}`; adjacent text is one part. */
  | ({ readonly kind: "interp"; readonly parts: readonly StrPart[] } & Span)
  | ({ readonly kind: "int"; readonly value: number } & Span)
  | ({ readonly kind: "bool"; readonly value: boolean } & Span)
  | ({ readonly kind: "name"; readonly name: string } & Span)
  /** `target.field`; the field name is the last `field.length` characters of the span. */
  | ({ readonly kind: "select"; readonly target: Expr; readonly field: string } & Span)
  | ({ readonly kind: "list"; readonly items: readonly (Expr | Comprehension)[] } & Span)
  | ({ readonly kind: "record"; readonly fields: readonly Field[] } & Span)
  | ({ readonly kind: "ref"; readonly ref: RefKind; readonly name: string } & Span)
  | ({ readonly kind: "if"; readonly cond: Expr; readonly then: Expr; readonly else: Expr } & Span)
  | ({ readonly kind: "setting"; readonly type: TypeExpr; readonly value: Expr; readonly priority: number } & Span)
  | ({ readonly kind: "not"; readonly operand: Expr } & Span)
  | ({ readonly kind: "binary"; readonly op: "==" | "!=" | "&&" | "||"; readonly left: Expr; readonly right: Expr } & Span);

/** A plain `Span` with the location of `s` (a node, or any span): what may leave the front end. */
export function spanOf(s: Span): Span {
  return { file: s.file, offset: s.offset, length: s.length };
}

/** The span of a field's name. */
export function fieldNameSpan(f: Field): Span {
  return { file: f.file, offset: f.offset, length: f.name.length };
}

/** The span of the field name of `target.field`. */
export function selectedFieldSpan(e: Extract<Expr, { kind: "select" }>): Span {
  return { file: e.file, offset: e.offset + e.length - e.field.length, length: e.field.length };
}

/** The span from the start of `a` to the end of `b`. */
export function spanBetween(a: Span, b: Span): { file: string; offset: number; length: number } {
  return { file: a.file, offset: a.offset, length: b.offset + b.length - a.offset };
}
