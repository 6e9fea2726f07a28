/** The typed syntax tree of PCL (no CST). Every node carries the span it was parsed from. */
import type { Span } from "./source.js";

export type TypeExpr =
  | { readonly kind: "Bool" | "Int" | "Str" | "Path"; readonly span: Span }
  | { readonly kind: "List"; readonly elem: TypeExpr; readonly span: Span }
  | { readonly kind: "Rec"; readonly fields: readonly { name: string; type: TypeExpr }[]; readonly span: Span }
  | { readonly kind: "Unknown"; readonly name: string; readonly span: Span };

export interface Field {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

export interface Override {
  readonly path: readonly string[];
  readonly pathSpans: readonly Span[];
  readonly value: Expr;
  readonly span: Span;
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

export type StrPart = string | Expr;
export type RefKind = "from_env" | "from_file" | "from_vault" | "from_artifact";

export interface Comprehension {
  readonly kind: "for";
  readonly variable: string;
  readonly variableSpan: Span;
  readonly source: Expr;
  readonly filter: Expr | undefined;
  readonly body: Expr;
  readonly span: Span;
}

export type Expr =
  | { readonly kind: "str"; readonly parts: readonly StrPart[]; readonly span: Span }
  | { readonly kind: "int"; readonly value: number; readonly span: Span }
  | { readonly kind: "bool"; readonly value: boolean; readonly span: Span }
  | { readonly kind: "name"; readonly name: string; readonly span: Span }
  | { readonly kind: "select"; readonly target: Expr; readonly field: string; readonly fieldSpan: Span; readonly span: Span }
  | { readonly kind: "list"; readonly items: readonly (Expr | Comprehension)[]; readonly span: Span }
  | { readonly kind: "record"; readonly fields: readonly Field[]; readonly span: Span }
  | { readonly kind: "ref"; readonly ref: RefKind; readonly name: string; readonly span: Span }
  | { readonly kind: "if"; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  | { readonly kind: "setting"; readonly type: TypeExpr; readonly value: Expr; readonly priority: number; readonly span: Span }
  | { readonly kind: "not"; readonly operand: Expr; readonly span: Span }
  | { readonly kind: "binary"; readonly op: "==" | "!=" | "&&" | "||"; readonly left: Expr; readonly right: Expr; readonly span: Span };
