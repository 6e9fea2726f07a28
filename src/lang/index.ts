/** The PCL front end's public API: every other stage imports from here. */
export { evaluateProgram, why, sortDiagnostics } from "./program.js";
export { renderDiagnostic, renderDiagnostics, diagnosticHeadline, locationOf } from "./render-diagnostic.js";
export { canonicalModulesJson, canonicalJson } from "./canonical-json.js";
export { SecretRef, ArtifactRef, Template, isRecordValue } from "./value.js";
export type { SecretKind, Scalar, RecordValue, Value, ModuleValues } from "./value.js";
export type { SourceFile, Span, LineCol } from "./source.js";
export { lineColOf } from "./source.js";
export type { Diagnostic, DiagnosticCode, DiagnosticLabel } from "./diagnostic.js";
export type { EvaluateOptions, InjectedModule, ModuleShape, ProgramResult, Contribution, WhyResult } from "./api.js";
export { formatSource, type FormatResult } from "./format.js";
export { packageSchema, stackSchema, fleetSchema, type Schema, type FieldSchema } from "./schemas.js";
export { triviaTokens } from "./format/trivia-tokens.js";
