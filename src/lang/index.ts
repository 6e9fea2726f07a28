/**
 * The PCL front end's one public surface (lex → parse → check → evaluate; pure: no fs, no env).
 * Every file outside src/lang imports the front end from here only; test/lang/public-surface.test.ts
 * fails otherwise (ADR 207).
 */
export { evaluateProgram, why } from "./program.js";
export type { EvaluateOptions, InjectedModule, ModuleShape, ProgramResult, Contribution, WhyResult } from "./program-types.js";
export {
  diagnosticHeadline,
  locationOf,
  renderDiagnostic,
  renderDiagnostics,
  sortDiagnostics,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticLabel,
} from "./diagnostics/index.js";
export { canonicalModulesJson, canonicalJson } from "./canonical-json.js";
export { codePointCompare } from "./code-point-order.js";
export { SECRET_KINDS } from "./ref-kinds.js";
export { SecretRef, ArtifactRef, Template, isRecordValue } from "./value.js";
export type { SecretKind, Scalar, RecordValue, Value, ModuleValues } from "./value.js";
export type { SourceFile, Span, LineCol } from "./source.js";
export { lineColOf } from "./source.js";
export { elemSpan, fieldValueSpan } from "./origins.js";
export { formatSource, type FormatResult } from "./format.js";
export { packageSchema, stackSchema, fleetSchema, LIFECYCLES, type Schema, type FieldSchema } from "./schemas.js";
export { triviaTokens } from "./format/trivia-tokens.js";
export { closest } from "./edit-distance.js";
