/**
 * Defensive reads of evaluated values during composition. The checker already enforces the
 * stack schema, but composition must never crash on a value it did not expect: every read
 * either returns a well-typed value or records one error naming the field, and composition
 * goes on so that all problems of a stack are reported together.
 */
import { FleetError } from "../fleet-error.js";
import { ArtifactRef, type Diagnostic, type DiagnosticCode, isRecordValue, type RecordValue, SecretRef, type Span, Template, type Value } from "../lang/index.js";
import { fleetMessages, type FleetErrorText } from "../fleet-messages.js";
import type { StackStr } from "./types.js";

export class FieldReader {
  readonly errors: FleetError[] = [];
  /** Every reference read, in traversal order; sorted into source order by the caller. */
  readonly secretRefs: SecretRef[] = [];
  readonly artifactRefs: ArtifactRef[] = [];

  /** Located errors (when the stack module's span is known). */
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly stack: string,
    /** Where the stack module was written: located errors fall back to it. */
    readonly moduleSpan?: Span,
  ) {}

  fail(text: FleetErrorText): undefined {
    this.errors.push(new FleetError(text));
    return undefined;
  }

  /**
   * A located `file:line:col: error: [CODE]` at `span` (or the module), when composing from a
   * program whose spans are known; an unlocated error otherwise.
   */
  failAt(span: Span | undefined, code: DiagnosticCode, message: string, hint?: string): undefined {
    const at = span ?? this.moduleSpan;
    if (at === undefined || this.moduleSpan === undefined) return this.fail(fleetMessages.stackField(hint ? `${message}; ${hint}` : message, code));
    this.diagnostics.push({ code, message, span: at, labels: [], ...(hint ? { hint } : {}) });
    return undefined;
  }

  /** `field 'services[0].name' of stack 'Web'` — how every message names a field. */
  where(field: string): string {
    return `field '${field}' of stack '${this.stack}'`;
  }

  private wrongType(field: string, expected: string, v: Value): undefined {
    if (v instanceof SecretRef) {
      return this.fail(fleetMessages.secretNotAllowed(v.toString(), this.where(field)));
    }
    return this.fail(fleetMessages.fieldWrongType(this.where(field), expected, describe(v)));
  }

  /** A literal string: names, paths, commands — anything that must be known before deploy. */
  str(v: Value | undefined, field: string): string | undefined {
    if (v === undefined) return this.fail(fleetMessages.fieldMissing(this.where(field)));
    if (typeof v === "string") return v;
    if (v instanceof ArtifactRef || v instanceof Template) {
      return this.fail(fleetMessages.artifactRefNotAllowed(this.where(field)));
    }
    return this.wrongType(field, "a string", v);
  }

  /** A Str that may interpolate artifacts (completed at deploy time). */
  stackStr(v: Value | undefined, field: string): StackStr | undefined {
    if (v === undefined) return this.fail(fleetMessages.fieldMissing(this.where(field)));
    if (typeof v === "string") return v;
    if (v instanceof ArtifactRef) {
      this.artifactRefs.push(v);
      return v;
    }
    if (v instanceof Template) {
      for (const p of v.parts) if (p instanceof ArtifactRef) this.artifactRefs.push(p);
      return v;
    }
    return this.wrongType(field, "a string", v);
  }

  /** A Str, or a secret reference where the schema allows one. */
  stackStrOrSecret(v: Value | undefined, field: string): StackStr | SecretRef | undefined {
    if (v instanceof SecretRef) {
      this.secretRefs.push(v);
      return v;
    }
    return this.stackStr(v, field);
  }

  optionalList(v: Value | undefined, field: string): readonly Value[] | undefined {
    if (v === undefined) return [];
    if (Array.isArray(v)) return v as readonly Value[];
    return this.wrongType(field, "a list", v);
  }

  optionalRecord(v: Value | undefined, field: string): RecordValue | undefined {
    if (v === undefined) return {};
    if (isRecordValue(v)) return v;
    return this.wrongType(field, "a record", v);
  }

  record(v: Value | undefined, field: string): RecordValue | undefined {
    if (v === undefined) return this.fail(fleetMessages.fieldMissing(this.where(field)));
    return this.optionalRecord(v, field);
  }

  optionalBool(v: Value | undefined, field: string, fallback: boolean): boolean | undefined {
    if (v === undefined) return fallback;
    if (typeof v === "boolean") return v;
    return this.wrongType(field, "true or false", v);
  }

  optionalInt(v: Value | undefined, field: string, fallback: number): number | undefined {
    if (v === undefined) return fallback;
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    return this.wrongType(field, "an integer", v);
  }
}

/** A short description of a value's kind for messages; never the value (it may be secret). */
export function describe(v: Value | undefined): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return "a string";
  if (typeof v === "number") return "an integer";
  if (typeof v === "boolean") return "a boolean";
  if (Array.isArray(v)) return "a list";
  if (v instanceof SecretRef) return "a secret reference";
  if (v instanceof ArtifactRef) return "an artifact reference";
  if (v instanceof Template) return "an artifact template";
  if (isRecordValue(v)) return "a record";
  return "an unexpected value";
}
