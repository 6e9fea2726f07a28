/** Where the evaluator and the checker report: one list, handed to both explicitly. */
import { spanOf } from "../ast.js";
import type { Span } from "../source.js";
import type { Diagnostic, DiagnosticCode, DiagnosticLabel } from "./diagnostic.js";

export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];

  /** Reports a diagnostic; its spans are copied, so that no syntax node leaves the front end. */
  error(code: DiagnosticCode, message: string, at: Span, atLabels: readonly DiagnosticLabel[] = [], hint?: string): void {
    const span = spanOf(at);
    const labels = atLabels.map((l) => ({ span: spanOf(l.span), message: l.message }));
    this.diagnostics.push(hint === undefined ? { code, message, span, labels } : { code, message, span, labels, hint });
  }
}
