/**
 * The expression evaluator (SPEC §1.3): types are checked on values as they are built (with no
 * functions in the language, the type of an expression is the type of its value). A failed
 * sub-expression is POISON. Every call is a unit of work and the nesting of calls is bounded
 * (LIMITS, ADR 120); module fields are read through `FieldSource`, which memoises them.
 */
import { fieldNameSpan, selectedFieldSpan, spanOf, type Comprehension, type Expr, type Field } from "./ast.js";
import type { InjectedModule } from "./program-types.js";
import { codePointCompare } from "./code-point-order.js";
import { hintFor, type ModuleTable } from "./declarations.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { findSecret } from "./find-secret.js";
import { LIMITS, limitMessages } from "./limits.js";
import { messages } from "./messages.js";
import { listOriginOf, mixedAt, originFieldValueSpan, recordOriginOf, setOrigin } from "./origins.js";
import { Poison, POISON, type V } from "./poison.js";
import { hasField, setField } from "./record-keys.js";
import { checkAgainst } from "./setting-check.js";
import type { Span } from "./source.js";
import { describe, firstMismatch, typeOf, unify } from "./types.js";
import { deepEqual } from "./value-equality.js";
import { ArtifactRef, isRecordValue, SecretRef, Template, type Value } from "./value.js";
import { bytesAt, MeasureBuilder, setMeasure, type Measure } from "./value-size.js";

/** Loop variables in scope, innermost first. */
export interface Scope {
  readonly name: string;
  readonly value: V;
  readonly parent: Scope | undefined;
}

/** What expressions read module fields through: the evaluator, which memoises them. */
export interface FieldSource {
  readonly modules: ModuleTable;
  readonly injected: ReadonlyMap<string, InjectedModule>;
  moduleValue(name: string, use: Span | undefined): V;
  fieldValue(module: string, field: string, use: Span): V;
}

/**
 * Records the measure of a list or record just built; false (after reporting `[E6]` at `at`)
 * when it nests too deep or would be too large as JSON.
 */
export function measured(sink: DiagnosticSink, v: object, m: Measure, at: Span, what: string): boolean {
  setMeasure(v, m);
  if (m.depth > LIMITS.valueDepth) {
    sink.error("E6", limitMessages.valueDepth(), at);
    return false;
  }
  if (bytesAt(m, 1) > LIMITS.outputBytes) {
    sink.error("E6", limitMessages.valueSize(what), at);
    return false;
  }
  return true;
}

export class ExpressionEvaluator {
  /** Expressions being evaluated inside one another now (LIMITS.evalDepth). */
  private depth = 0;
  /** Work done so far (LIMITS.work). */
  private work = 0;
  private reportedDepth = false;
  private reportedWork = false;

  constructor(
    private readonly fields: FieldSource,
    private readonly sink: DiagnosticSink,
  ) {}

  /**
   * Evaluates one expression. Every call is a unit of work, and the nesting of calls is bounded
   * (LIMITS): the one recursion without a syntactic bound is through field references, so the
   * depth is counted here, where every level passes.
   */
  eval(e: Expr, scope: Scope | undefined): V {
    if (++this.work > LIMITS.work) return this.overWork(e);
    switch (e.kind) {
      case "str":
        return e.value;
      case "int":
      case "bool":
        return e.value;
      case "name":
        // A loop variable is a leaf; a module name may go on into the module.
        for (let s: Scope | undefined = scope; s; s = s.parent) if (s.name === e.name) return s.value;
        break;
      default:
        break;
    }
    if (++this.depth > LIMITS.evalDepth) {
      this.depth--;
      if (!this.reportedDepth) {
        this.reportedDepth = true;
        this.sink.error("E6", limitMessages.evalDepth(), e);
      }
      return POISON;
    }
    const v = this.evalNested(e, scope);
    this.depth--;
    return v;
  }

  private overWork(e: Expr): Poison {
    if (!this.reportedWork) {
      this.reportedWork = true;
      this.sink.error("E6", limitMessages.work(), e);
    }
    return POISON;
  }


  private evalNested(e: Expr, scope: Scope | undefined): V {
    switch (e.kind) {
      case "str":
        return e.value;
      case "interp":
        return this.evalInterp(e, scope);
      case "int":
      case "bool":
        return e.value;
      case "ref":
        if (e.ref === "from_artifact") {
          const slash = e.name.indexOf("/");
          if (slash <= 0 || slash === e.name.length - 1 || e.name.indexOf("/", slash + 1) >= 0) {
            this.sink.error("E6", messages.badArtifactName(e.name), e);
            return POISON;
          }
          return new ArtifactRef(e.name.slice(0, slash), e.name.slice(slash + 1), spanOf(e));
        }
        return new SecretRef(e.ref, e.name, spanOf(e));
      case "name":
        return this.evalName(e.name, e, scope);
      case "select":
        return this.evalSelect(e, scope);
      case "list":
        return this.evalList(e, scope);
      case "record":
        return this.evalRecord(e, scope);
      case "if":
        return this.evalIf(e, scope);
      case "setting": {
        const v = this.eval(e.value, scope);
        if (v instanceof Poison) return v;
        return checkAgainst(this.sink, v, e.type, e.value) ? v : POISON;
      }
      case "not": {
        const v = this.eval(e.operand, scope);
        if (v instanceof Poison) return v;
        if (typeof v !== "boolean") {
          this.sink.error("E1", messages.typeMismatch("the operand of '!'", "Bool", describe(v)), e.operand);
          return POISON;
        }
        return !v;
      }
      case "binary":
        return this.evalBinary(e, scope);
    }
  }

  private evalName(name: string, span: Span, scope: Scope | undefined): V {
    for (let s = scope; s; s = s.parent) if (s.name === name) return s.value;
    if (this.fields.modules.has(name) || this.fields.injected.has(name)) return this.fields.moduleValue(name, span);
    const candidates = [...this.fields.modules.keys(), ...this.fields.injected.keys()];
    for (let s = scope; s; s = s.parent) candidates.push(s.name);
    this.sink.error("E2", messages.unknownModule(name), span, [], hintFor(name, candidates));
    return POISON;
  }

  /**
   * `a.b.c.…`: the parser builds a chain of selections leaning left, so it is walked in a loop,
   * not recursively: a chain of any length costs no stack.
   */
  private evalSelect(e: Extract<Expr, { kind: "select" }>, scope: Scope | undefined): V {
    if (e.target.kind !== "select") return this.evalSelectOne(e, scope);
    const chain: Extract<Expr, { kind: "select" }>[] = [];
    let inner: Extract<Expr, { kind: "select" }> = e;
    while (inner.target.kind === "select") {
      chain.push(inner);
      inner = inner.target;
    }
    let v = this.evalSelectOne(inner, scope);
    for (let i = chain.length - 1; i >= 0 && !(v instanceof Poison); i--) v = this.select(v, chain[i] as Extract<Expr, { kind: "select" }>, "this record");
    return v;
  }

  private evalSelectOne(e: Extract<Expr, { kind: "select" }>, scope: Scope | undefined): V {
    const t = e.target;
    if (t.kind === "name" && !inScope(scope, t.name)) {
      const inj = this.fields.injected.get(t.name);
      if (inj) {
        const u = inj.unavailable?.[e.field];
        if (u) {
          this.sink.error(u.code, u.message, e);
          return POISON;
        }
        return this.select(inj.value, e, `module '${t.name}'`);
      }
      const mod = this.fields.modules.get(t.name);
      if (mod) {
        if (!mod.fields.has(e.field)) {
          this.sink.error("E2", messages.unknownField(e.field, `module '${t.name}'`), selectedFieldSpan(e), [], hintFor(e.field, mod.fields.keys()));
          return POISON;
        }
        return this.fields.fieldValue(t.name, e.field, e);
      }
    }
    const target = this.eval(t, scope);
    if (target instanceof Poison) return target;
    return this.select(target, e, "this record");
  }

  private select(target: Value, e: Extract<Expr, { kind: "select" }>, on: string): V {
    const field = e.field;
    if (!isRecordValue(target)) {
      this.sink.error("E1", messages.cannotSelect(field, describe(target)), selectedFieldSpan(e));
      return POISON;
    }
    if (!hasField(target, field)) {
      this.sink.error("E2", messages.unknownField(field, on), selectedFieldSpan(e), [], hintFor(field, Object.keys(target)));
      return POISON;
    }
    return target[field] as Value;
  }

  /** A string with interpolations: a plain string, or a `Template` when it holds artifact references. */
  private evalInterp(e: Extract<Expr, { kind: "interp" }>, scope: Scope | undefined): V {
    const out: (string | ArtifactRef)[] = [];
    let bad = false;
    // Characters built so far: a string doubled in every field must stop at the size limit,
    // long before JavaScript's own string limit (and each character is a unit of work).
    let chars = 0;
    const push = (p: string | ArtifactRef): void => {
      if (typeof p === "string") {
        chars += p.length;
        if (chars + 2 > LIMITS.outputBytes) return;
      }
      const last = out[out.length - 1];
      if (typeof p === "string" && typeof last === "string") out[out.length - 1] = last + p;
      else if (p !== "") out.push(p);
    };
    for (const part of e.parts) {
      if (typeof part === "string") {
        push(part);
        continue;
      }
      const v = this.eval(part, scope);
      if (v instanceof Poison) {
        bad = true;
        continue;
      }
      if (!this.interpolate(v, part, push)) bad = true;
      if (chars + 2 > LIMITS.outputBytes) break;
    }
    if (bad) return POISON;
    if (chars + 2 > LIMITS.outputBytes) {
      this.sink.error("E6", limitMessages.valueSize("this string"), e);
      return POISON;
    }
    this.work += chars;
    if (this.work > LIMITS.work) return this.overWork(e);
    if (out.every((p) => typeof p === "string")) return out.join("");
    return new Template(out);
  }

  private interpolate(v: Value, span: Span, push: (p: string | ArtifactRef) => void): boolean {
    if (typeof v === "string") push(v);
    else if (typeof v === "number" || typeof v === "boolean") push(String(v));
    else if (v instanceof ArtifactRef) push(v);
    else if (v instanceof Template) for (const p of v.parts) push(p);
    else if (v instanceof SecretRef) {
      this.sink.error("E6", messages.secretMisplaced("inside ${…}"), span, [{ span: v.span, message: messages.referenceHere }]);
      return false;
    } else if (Array.isArray(v)) {
      const items = v as readonly Value[];
      for (const x of items) {
        if (x instanceof SecretRef) {
          this.sink.error("E6", messages.secretMisplaced("inside ${…}"), span, [{ span: x.span, message: messages.referenceHere }]);
          return false;
        }
        if (!(typeof x === "string" || x instanceof ArtifactRef || x instanceof Template)) {
          this.sink.error("E1", messages.cannotInterpolate(describe(v)), span);
          return false;
        }
      }
      for (const x of items) this.interpolate(x, span, push);
    } else {
      this.sink.error("E1", messages.cannotInterpolate(describe(v)), span);
      return false;
    }
    return true;
  }

  private evalList(e: Extract<Expr, { kind: "list" }>, scope: Scope | undefined): V {
    const items = e.items;
    // Without comprehensions every item gives one element: the list node is the origin as is.
    let comprehensions = false;
    for (const item of items) if (item.kind === "for") comprehensions = true;
    const out: Value[] = new Array(comprehensions ? 0 : items.length);
    if (!comprehensions) {
      let bad = false;
      for (let i = 0; i < items.length; i++) {
        const v = this.eval(items[i] as Expr, scope);
        if (v instanceof Poison) bad = true;
        else out[i] = v;
      }
      if (bad) return POISON;
      setOrigin(out, e);
      return this.measuredList(out, e);
    }
    const elems: Span[] = [];
    let bad = false;
    for (const item of items) {
      if (item.kind === "for") {
        if (!this.evalComprehension(item, scope, out, elems)) bad = true;
        continue;
      }
      const v = this.eval(item, scope);
      if (v instanceof Poison) bad = true;
      else {
        out.push(v);
        elems.push(item);
      }
    }
    if (bad) return POISON;
    setOrigin(out, { kind: "list", items: elems, file: e.file, offset: e.offset, length: e.length });
    return this.measuredList(out, e);
  }

  private measuredList(out: readonly Value[], e: Span): V {
    const size = new MeasureBuilder();
    for (let i = 0; i < out.length; i++) size.add(out[i] as Value);
    return measured(this.sink, out, size.done(), e, "this list") ? out : POISON;
  }

  private evalComprehension(c: Comprehension, scope: Scope | undefined, out: Value[], elems: Span[]): boolean {
    const src = this.eval(c.source, scope);
    if (src instanceof Poison) return false;
    let values: readonly Value[];
    if (Array.isArray(src)) {
      values = src as readonly Value[];
      const o = listOriginOf(src);
      const mixed = o ? mixedAt(values) : undefined;
      if (mixed !== undefined) {
        const first = values[0] as Value;
        const other = values[mixed] as Value;
        this.sink.error("E1", messages.mixedList(describe(first), describe(other)), o?.items[mixed] ?? c.source);
        return false;
      }
    } else if (isRecordValue(src)) {
      const keys = Object.keys(src).sort(codePointCompare);
      values = keys.map((k) => src[k] as Value);
      const mixed = firstMismatch(values);
      if (mixed !== undefined) {
        const first = values[0] as Value;
        const other = values[mixed] as Value;
        const o = recordOriginOf(src);
        const at = (o && originFieldValueSpan(o, keys[mixed] as string)) ?? c.source;
        this.sink.error("E1", messages.mixedRecordValues(describe(first), describe(other)), at);
        return false;
      }
    } else {
      if (src instanceof SecretRef) this.sink.error("E6", messages.secretMisplaced("as the source of a 'for'"), c.source, [{ span: src.span, message: messages.referenceHere }]);
      else this.sink.error("E1", messages.cannotIterate(describe(src)), c.source);
      return false;
    }
    const secret = values.find((v) => v instanceof SecretRef);
    if (secret instanceof SecretRef) {
      this.sink.error("E6", messages.secretMisplaced("as the source of a 'for'"), c.source, [{ span: secret.span, message: messages.referenceHere }]);
      return false;
    }
    for (const v of values) {
      const inner: Scope = { name: c.variable, value: v, parent: scope };
      if (c.filter) {
        const keep = this.condition(c.filter, inner);
        if (keep === undefined) return false;
        if (!keep) continue;
      }
      const b = this.eval(c.body, inner);
      if (b instanceof Poison) return false;
      if (out.length >= LIMITS.listElements) {
        this.sink.error("E6", limitMessages.listElements(), c);
        return false;
      }
      out.push(b);
      elems.push(c.body);
    }
    return true;
  }

  /** A Bool condition (of `if` or a comprehension filter); undefined after reporting an error. */
  private condition(e: Expr, scope: Scope | undefined): boolean | undefined {
    const v = this.eval(e, scope);
    if (v instanceof Poison) return undefined;
    if (v instanceof SecretRef) {
      this.sink.error("E6", messages.secretMisplaced("as a condition"), e, [{ span: v.span, message: messages.referenceHere }]);
      return undefined;
    }
    if (typeof v !== "boolean") {
      this.sink.error("E5", messages.nonBoolCondition(describe(v)), e);
      return undefined;
    }
    return v;
  }

  private evalRecord(e: Extract<Expr, { kind: "record" }>, scope: Scope | undefined): V {
    const fields = e.fields;
    const dup = firstDuplicate(fields);
    if (dup) {
      this.sink.error("E3", messages.duplicateField(dup.repeat.name), fieldNameSpan(dup.repeat), [{ span: fieldNameSpan(dup.first), message: messages.firstDefinedHere }]);
      return POISON;
    }
    const rec: Record<string, Value> = {};
    let bad = false;
    const size = new MeasureBuilder();
    for (const f of inNameOrder(fields)) {
      const v = this.eval(f.value, scope);
      if (v instanceof Poison) {
        bad = true;
        continue;
      }
      setField(rec, f.name, v);
      size.add(v, f.name);
    }
    if (bad) return POISON;
    setOrigin(rec, e);
    return measured(this.sink, rec, size.done(), e, "this record") ? rec : POISON;
  }

  private evalIf(e: Extract<Expr, { kind: "if" }>, scope: Scope | undefined): V {
    const c = this.condition(e.cond, scope);
    // Both branches are evaluated (no effects, always terminates) so both are type checked.
    const a = this.eval(e.then, scope);
    const b = this.eval(e.else, scope);
    if (c === undefined || a instanceof Poison || b instanceof Poison) return POISON;
    const at = typeOf(a);
    const bt = typeOf(b);
    if (!at || !bt || !unify(at, bt)) {
      this.sink.error("E5", messages.branchMismatch(describe(a), describe(b)), e.else, [{ span: e.then, message: `'then' branch is ${describe(a)}` }]);
      return POISON;
    }
    return c ? a : b;
  }

  /**
   * `a || b && c || …`: the parser builds chains of `||` and `&&` leaning left, so the chain is
   * walked down in a loop and folded back up, not evaluated recursively: a chain of any length
   * costs no stack. Every operand is evaluated (and type checked), as before.
   */
  private evalLogic(e: Extract<Expr, { kind: "binary" }>, scope: Scope | undefined): V {
    const chain: Extract<Expr, { kind: "binary" }>[] = [];
    let left: Expr = e;
    while (left.kind === "binary" && (left.op === "&&" || left.op === "||")) {
      chain.push(left);
      left = left.left;
    }
    let acc = this.eval(left, scope);
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i] as Extract<Expr, { kind: "binary" }>;
      const r = this.eval(b.right, scope);
      if (acc instanceof Poison || r instanceof Poison) {
        acc = POISON;
        continue;
      }
      let ok = true;
      for (const [v, span] of [[acc, b.left], [r, b.right]] as const) {
        if (typeof v !== "boolean") {
          this.sink.error("E1", messages.typeMismatch(`an operand of '${b.op}'`, "Bool", describe(v)), span);
          ok = false;
        }
      }
      acc = !ok ? POISON : b.op === "&&" ? acc === true && r === true : acc === true || r === true;
    }
    return acc;
  }

  private evalBinary(e: Extract<Expr, { kind: "binary" }>, scope: Scope | undefined): V {
    if (e.op === "&&" || e.op === "||") return this.evalLogic(e, scope);
    const l = this.eval(e.left, scope);
    const r = this.eval(e.right, scope);
    if (l instanceof Poison || r instanceof Poison) return POISON;
    if (e.op === "==" || e.op === "!=") {
      for (const [v, span] of [[l, e.left], [r, e.right]] as const) {
        const s = findSecret(v);
        if (s) {
          this.sink.error("E6", messages.secretMisplaced(`as an operand of '${e.op}'`), span, [{ span: s.span, message: messages.referenceHere }]);
          return POISON;
        }
      }
      const lt = typeOf(l);
      const rt = typeOf(r);
      if (!lt || !rt || !unify(lt, rt)) {
        this.sink.error("E1", messages.cannotCompare(describe(l), describe(r)), e);
        return POISON;
      }
      const eq = deepEqual(l, r);
      return e.op === "==" ? eq : !eq;
    }
    return POISON; // unreachable: `&&` and `||` went to evalLogic
  }

}


/** Records are built in name order (UTF-16 code units, like `Array.prototype.sort`). */
function byName(a: Field, b: Field): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The fields sorted by name; the same array when they already are. */
function inNameOrder(fields: readonly Field[]): readonly Field[] {
  for (let i = 1; i < fields.length; i++) if (byName(fields[i - 1] as Field, fields[i] as Field) > 0) return fields.slice().sort(byName);
  return fields;
}

/** The first field whose name repeats an earlier one, with that earlier one. */
function firstDuplicate(fields: readonly Field[]): { first: Field; repeat: Field } | undefined {
  // Record literals are small: comparing pairs beats building a map until they are not.
  if (fields.length <= 8) {
    for (let i = 1; i < fields.length; i++) {
      const f = fields[i] as Field;
      for (let j = 0; j < i; j++) if ((fields[j] as Field).name === f.name) return { first: fields[j] as Field, repeat: f };
    }
    return undefined;
  }
  const seen = new Map<string, Field>();
  for (const f of fields) {
    const first = seen.get(f.name);
    if (first) return { first, repeat: f };
    seen.set(f.name, f);
  }
  return undefined;
}

function inScope(scope: Scope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.name === name) return true;
  return false;
}
