/**
 * The diagnostic type, where the parser and lexer import it from. Everything else about
 * diagnostics (sink, order, location, rendering) is in ./diagnostics/ (ADR 206).
 */
export type { Diagnostic, DiagnosticCode, DiagnosticLabel } from "./diagnostics/diagnostic.js";
