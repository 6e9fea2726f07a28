/**
 * `Setting<τ>(v, …)`: the value checked against the type written with it (SPEC §1.4), at the
 * value's own place (list elements and record fields by their origins).
 */
import type { TypeExpr } from "./ast.js";
import { hintFor } from "./declarations.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { messages } from "./messages.js";
import { listOriginOf, originFieldNameSpan, originFieldValueSpan, recordOriginOf } from "./origins.js";
import { hasField } from "./record-keys.js";
import type { Span } from "./source.js";
import { describe, showTypeExpr } from "./types.js";
import { ArtifactRef, isRecordValue, SecretRef, Template, type Value } from "./value.js";

/** Checks a value against a written type (`Setting<τ>`); reports `[E1]`/`[E2]` at `span`. */
export function checkAgainst(sink: DiagnosticSink, v: Value, t: TypeExpr, span: Span): boolean {
  const fail = (): boolean => {
    sink.error("E1", messages.typeMismatch("the value", showTypeExpr(t), describe(v)), span);
    return false;
  };
  switch (t.kind) {
    case "Unknown":
      sink.error("E2", messages.unknownType(t.name), t.span);
      return false;
    case "Bool":
      return typeof v === "boolean" || fail();
    case "Int":
      return typeof v === "number" || fail();
    case "Str":
      return typeof v === "string" || v instanceof Template || v instanceof ArtifactRef || v instanceof SecretRef || fail();
    case "Path":
      if (typeof v !== "string") return fail();
      if (!v.startsWith("/") && !v.startsWith("./")) {
        sink.error("E1", messages.notRelativePath(v), span);
        return false;
      }
      return true;
    case "List": {
      if (!Array.isArray(v)) return fail();
      const items = v as readonly Value[];
      for (let i = 0; i < items.length; i++) {
        const s = listOriginOf(v)?.items[i] ?? span;
        if (!checkAgainst(sink, items[i] as Value, t.elem, s)) return false;
      }
      return true;
    }
    case "Rec": {
      if (!isRecordValue(v)) return fail();
      if (t.fields.length === 0) return true;
      const names = new Set(t.fields.map((f) => f.name));
      for (const k of Object.keys(v)) {
        if (!names.has(k)) {
          const o = recordOriginOf(v);
          sink.error("E2", messages.unknownField(k, "this record"), (o && originFieldNameSpan(o, k)) ?? span, [], hintFor(k, names));
          return false;
        }
      }
      for (const f of t.fields) {
        if (!hasField(v, f.name)) {
          sink.error("E3", messages.missingField(f.name, "this record"), span);
          return false;
        }
        const o = recordOriginOf(v);
        if (!checkAgainst(sink, v[f.name] as Value, f.type, (o && originFieldValueSpan(o, f.name)) ?? span)) return false;
      }
      return true;
    }
  }
}
