/**
 * Language diagnostics in one place (ADR 206): the type, the sink the evaluator and checker
 * report to, their order, their location and headline, and their rendering (SPEC §1.5).
 */
export type { Diagnostic, DiagnosticCode, DiagnosticLabel } from "./diagnostic.js";
export { DiagnosticSink } from "./sink.js";
export { sortDiagnostics } from "./order.js";
export { diagnosticHeadline, locationOf } from "./location.js";
export { EXCERPT_WIDTH, MAX_RENDERED, renderDiagnostic, renderDiagnostics } from "./render.js";
