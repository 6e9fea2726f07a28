import type { Span } from "../source.js";

/** Codes of SPEC §1.5. */
export type DiagnosticCode =
  | "E1" | "E2" | "E3" | "E4" | "E5" | "E6" | "E7" | "E8" | "E10" | "E11" | "E12" | "E13" | "E14"
  | "ARTIFACT-CYCLE" | "ARTIFACT-MISSING";

export interface DiagnosticLabel {
  readonly span: Span;
  readonly message: string;
}

/** One located language error. Rendered as SPEC §1.5 by ./render.ts. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
  readonly labels: readonly DiagnosticLabel[];
  readonly hint?: string;
}
