/**
 * Checks evaluated modules against the schemas of their shape (SPEC §1.6) and the placement rules
 * of references (§1.3), reporting at the use: spans come from the origin table of each record
 * and list. Inside the Fleet module every shape error is `[E14]`.
 */
import type { ModuleShape } from "./program-types.js";
import type { DiagnosticCode } from "./diagnostics/diagnostic.js";
import type { ModuleTable } from "./declarations.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { closest } from "./edit-distance.js";
import { messages } from "./messages.js";
import { elemSpan, elemSpanIn, fieldNameSpan, fieldValueSpan, listOriginOf, mixedAt, originOf, valueSpanIn } from "./origins.js";
import { checkFlowGraphs } from "./flow-check.js";
import { hasField } from "./record-keys.js";
import { BACKENDS, fleetSchema, packageSchema, RECIPES, stackSchema, type FieldSchema, type Schema } from "./schemas.js";
import type { Span } from "./source.js";
import { describe } from "./types.js";
import { ArtifactRef, isRecordValue, SecretRef, Template, type RecordValue, type Value } from "./value.js";


interface Ctx {
  readonly shape: ModuleShape;
  readonly module: string;
  /** Inside a record whose schema keeps the ordinary codes even in the Fleet module. */
  readonly plainCodes?: boolean;
  /** Module names referenced as packages, with the span of the reference. */
  readonly packageRefs: { name: string; span: Span; from: string }[];
  /**
   * For a module checked with some fields that failed to evaluate (already reported): the module
   * record and those fields, which are not reported again as missing.
   */
  readonly partial?: { readonly record: object; readonly failed: ReadonlySet<string> };
}

export class Checker {
  private readonly reportedMixed = new WeakSet<object>();
  /**
   * Lists and records already walked by `loose`, by what the walk depends on (the shape, and
   * the module for a package, whose name is in its messages): values are shared, so without
   * this a value referenced twice in every field is walked exponentially often (ADR 121).
   */
  private readonly looseSeen = new Map<string, WeakSet<object>>();

  private firstLooseVisit(v: object, ctx: Ctx): boolean {
    const key = ctx.shape === "package" ? `package:${ctx.module}` : ctx.shape;
    let seen = this.looseSeen.get(key);
    if (!seen) this.looseSeen.set(key, (seen = new WeakSet()));
    if (seen.has(v)) return false;
    seen.add(v);
    return true;
  }

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly modules: ModuleTable,
  ) {}

  private code(ctx: Ctx, normal: DiagnosticCode): DiagnosticCode {
    return ctx.shape === "fleet" && !ctx.plainCodes ? "E14" : normal;
  }

  /** `failed`: fields of the module that did not evaluate (their errors are already reported). */
  checkModule(name: string, rec: RecordValue, shape: ModuleShape, failed?: ReadonlySet<string>): void {
    const ctx: Ctx = { shape, module: name, packageRefs: [], ...(failed && failed.size > 0 ? { partial: { record: rec, failed } } : {}) };
    const span = originOf(rec) ?? this.modules.get(name)?.decl.nameSpan;
    if (!span) return;
    if (shape === "data") {
      this.loose(rec, span, ctx);
      return;
    }
    let schema: Schema;
    if (shape === "fleet") schema = fleetSchema;
    else if (shape === "stack") {
      schema = stackSchema;
      const b = rec.backend;
      if (typeof b === "string" && !(BACKENDS as readonly string[]).includes(b)) this.sink.error("E6", messages.unknownBackend(b), fieldValueSpan(rec, "backend", span));
    } else {
      const r = rec.recipe;
      schema = packageSchema(typeof r === "string" ? r : undefined);
      if (typeof r === "string" && !(RECIPES as readonly string[]).includes(r)) this.sink.error("E6", messages.unknownRecipe(r), fieldValueSpan(rec, "recipe", span));
    }
    this.check(rec, schema, span, ctx, () => `module '${name}'`);
    if (shape === "fleet") checkFlowGraphs(rec, span, (code, message, at, hint) => this.sink.error(code, message, at, [], hint));
    for (const ref of ctx.packageRefs) this.checkPackageRef(ref);
  }

  private checkPackageRef(ref: { name: string; span: Span }): void {
    const mod = this.modules.get(ref.name);
    if (!mod) {
      const c = closest(ref.name, this.modules.keys());
      this.sink.error("E2", messages.unknownModule(ref.name), ref.span, [], c === undefined ? undefined : messages.didYouMean(c));
      return;
    }
    if (!mod.fields.has("recipe")) this.sink.error("E7", messages.depNotPackage(ref.name), ref.span, [{ span: mod.decl.nameSpan, message: `module '${ref.name}' is defined here` }]);
  }

  /** A value of the wrong type; a secret reference where it may not be is reported as such. */
  private mismatch(v: Value, expected: string, span: Span, ctx: Ctx, what: () => string): void {
    if (v instanceof SecretRef) this.misplacedSecret(v, span, ctx);
    else this.sink.error(this.code(ctx, "E1"), messages.typeMismatch(what(), expected, describe(v)), span);
  }

  /** `what` names the value in messages; it is a function so that it is built only for one. */
  private check(v: Value, s: Schema, span: Span, ctx: Ctx, what: () => string): void {
    switch (s.k) {
      case "any":
        this.loose(v, span, ctx);
        return;
      case "str":
      case "moduleName":
        if (typeof v === "string") {
          if (s.k === "moduleName") ctx.packageRefs.push({ name: v, span, from: ctx.module });
          return;
        }
        if ((v instanceof ArtifactRef || v instanceof Template) && s.k === "str") {
          this.artifactUse(v, span, ctx);
          return;
        }
        this.mismatch(v, "Str", span, ctx, what);
        return;
      case "secretOrStr":
        if (typeof v === "string" || v instanceof SecretRef) return;
        if (v instanceof ArtifactRef || v instanceof Template) {
          this.artifactUse(v, span, ctx);
          return;
        }
        this.mismatch(v, "Str or a secret reference", span, ctx, what);
        return;
      case "scalar":
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return;
        if (v instanceof ArtifactRef || v instanceof Template) {
          this.artifactUse(v, span, ctx);
          return;
        }
        this.mismatch(v, "Str, Int or Bool", span, ctx, what);
        return;
      case "int":
        if (typeof v !== "number") this.mismatch(v, "Int", span, ctx, what);
        return;
      case "count": {
        const ok = typeof v === "number" ? v >= s.min : s.percent && typeof v === "string" && isPercent(v, s.min);
        if (!ok) {
          const expected = s.percent ? messages.countOrPercent(s.min) : messages.count(s.min);
          if (typeof v === "number" || typeof v === "string") this.sink.error(this.code(ctx, "E1"), messages.badCount(what(), expected, JSON.stringify(v)), span);
          else this.mismatch(v, expected, span, ctx, what);
        }
        return;
      }
      case "bool":
        if (typeof v !== "boolean") this.mismatch(v, "Bool", span, ctx, what);
        return;
      case "list": {
        if (!Array.isArray(v)) {
          this.mismatch(v, "a list", span, ctx, what);
          return;
        }
        const items = v as readonly Value[];
        if (s.nonEmpty && items.length === 0) this.sink.error(this.code(ctx, "E1"), messages.emptyList(what()), span);
        const o = originOf(v);
        for (let i = 0; i < items.length; i++) this.check(items[i] as Value, s.elem, elemSpanIn(o, i, span), ctx, () => `element ${i + 1} of ${what()}`);
        return;
      }
      case "anyRec": {
        if (!isRecordValue(v)) {
          this.mismatch(v, "a record", span, ctx, what);
          return;
        }
        const o = originOf(v);
        for (const k of Object.keys(v)) {
          const vs = valueSpanIn(o, k, span);
          if (s.values) this.check(v[k] as Value, s.values, vs, ctx, () => `field '${k}' of ${what()}`);
          else this.loose(v[k] as Value, vs, ctx);
        }
        return;
      }
      case "rec":
        this.checkRecord(v, s, span, s.plainCodes ? { ...ctx, plainCodes: true } : ctx, what);
        return;
      case "tagged": {
        if (!isRecordValue(v)) {
          this.mismatch(v, `a record (${s.name})`, span, ctx, what);
          return;
        }
        const tag = v[s.tag];
        if (tag === undefined) {
          this.sink.error(this.code(ctx, "E3"), messages.missingField(s.tag, s.name), originOf(v) ?? span);
          return;
        }
        const tagSpan = fieldValueSpan(v, s.tag, span);
        if (typeof tag !== "string") {
          this.mismatch(tag, "Str", tagSpan, ctx, () => `field '${s.tag}' of ${s.name}`);
          return;
        }
        const variant = Object.prototype.hasOwnProperty.call(s.variants, tag) ? s.variants[tag] : undefined;
        if (!variant) {
          const known = Object.keys(s.variants);
          const c = closest(tag, known);
          this.sink.error(this.code(ctx, "E1"), messages.notOneOf(`field '${s.tag}' of ${s.name}`, tag, known), tagSpan, [], c === undefined ? undefined : messages.didYouMean(c));
          return;
        }
        this.checkRecord(v, variant, span, ctx, what);
        return;
      }
      case "oneOf":
        if (typeof v !== "string") this.mismatch(v, "Str", span, ctx, what);
        else if (!s.values.includes(v)) {
          const c = closest(v, s.values);
          this.sink.error(this.code(ctx, "E1"), messages.notOneOf(what(), v, s.values), span, [], c === undefined ? undefined : messages.didYouMean(c));
        }
        return;
    }
  }

  private checkRecord(v: Value, s: Extract<Schema, { k: "rec" }>, span: Span, ctx: Ctx, what: () => string): void {
    if (!isRecordValue(v)) {
      this.mismatch(v, `a record (${s.name})`, span, ctx, what);
      return;
    }
    const fields = s.fields;
    const recordName = (): string => this.recordName(s.name, what());
    const fieldWhat = s.name.endsWith("module") ? (k: string) => () => `field '${k}'` : (k: string) => () => `field '${k}' of ${recordName()}`;
    // A misspelt field is reported once, as unknown with a hint, not also as missing.
    let suggested: Set<string> | undefined;
    const o = originOf(v);
    for (const k of Object.keys(v)) {
      const fs = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : undefined;
      if (!fs) {
        const c = closest(k, Object.keys(fields).filter((f) => !hasField(v, f)));
        if (c !== undefined) (suggested ??= new Set()).add(c);
        this.sink.error(this.code(ctx, "E2"), messages.unknownField(k, recordName()), fieldNameSpan(v, k, span), [], c === undefined ? undefined : messages.didYouMean(c));
        continue;
      }
      this.check(v[k] as Value, fs.s, valueSpanIn(o, k, span), ctx, fieldWhat(k));
    }
    for (const k in fields) {
      const fs = fields[k] as FieldSchema;
      if (ctx.partial?.record === v && ctx.partial.failed.has(k)) continue;
      if (!fs.optional && !hasField(v, k) && !suggested?.has(k)) this.sink.error(this.code(ctx, "E3"), messages.missingField(k, recordName()), o ?? span);
    }
  }

  private recordName(name: string, what: string): string {
    // Modules are named by their module name; host records by their position in Fleet.hosts.
    if (name.endsWith("module")) return what;
    const m = /^element (\d+) of field 'hosts'$/.exec(what);
    if (name === "host record" && m) return `host record ${m[1]} of Fleet.hosts`;
    return name;
  }

  private artifactUse(v: ArtifactRef | Template, span: Span, ctx: Ctx): void {
    if (ctx.shape === "package") {
      const ref = v instanceof ArtifactRef ? v : (v.parts.find((p) => p instanceof ArtifactRef) as ArtifactRef);
      this.sink.error("E6", messages.artifactInPackage(ctx.module), span, [{ span: ref.span, message: messages.referenceHere }]);
    }
  }

  private misplacedSecret(s: SecretRef, span: Span, ctx: Ctx): void {
    if (ctx.shape === "package") this.sink.error("E6", messages.secretInPackage(ctx.module), span, [{ span: s.span, message: messages.referenceHere }]);
    else this.sink.error("E6", messages.secretMisplaced("here"), span, [{ span: s.span, message: messages.referenceHere }]);
  }

  /** A value outside any schema: lists must be uniform, and references obey the placement rules. */
  private loose(v: Value, span: Span, ctx: Ctx): void {
    if (v instanceof SecretRef) {
      if (ctx.shape !== "data") this.misplacedSecret(v, span, ctx);
      return;
    }
    if (v instanceof ArtifactRef || v instanceof Template) {
      this.artifactUse(v, span, ctx);
      return;
    }
    if (Array.isArray(v)) {
      if (!this.firstLooseVisit(v, ctx)) return;
      const mixed = listOriginOf(v) ? mixedAt(v as readonly Value[]) : undefined;
      if (mixed !== undefined && !this.reportedMixed.has(v)) {
        this.reportedMixed.add(v);
        const items = v as readonly Value[];
        this.sink.error("E1", messages.mixedList(describe(items[0] as Value), describe(items[mixed] as Value)), elemSpan(v, mixed, span));
      }
      const items = v as readonly Value[];
      const o = originOf(v);
      for (let i = 0; i < items.length; i++) {
        const x = items[i] as Value;
        // Scalars obey every rule here: skip them before working out their span.
        if (typeof x === "object") this.loose(x, elemSpanIn(o, i, span), ctx);
      }
      return;
    }
    if (isRecordValue(v)) {
      if (!this.firstLooseVisit(v, ctx)) return;
      const o = originOf(v);
      for (const k of Object.keys(v)) {
        const x = v[k] as Value;
        if (typeof x === "object") this.loose(x, valueSpanIn(o, k, span), ctx);
      }
    }
  }

  /**
   * `[E7]`: a cycle among package `deps`, reported once at the edge that closes it. A depth-first
   * walk with its own stack, not JavaScript's: a chain of any number of packages is fine.
   */
  checkPackageCycles(packages: ReadonlyMap<string, RecordValue>): void {
    const state = new Map<string, 1 | 2>();
    const path: string[] = [];
    const depsOf = (name: string): readonly Value[] => {
      const rec = packages.get(name);
      return rec && Array.isArray(rec.deps) ? (rec.deps as readonly Value[]) : [];
    };
    for (const root of [...packages.keys()].sort()) {
      if (state.has(root)) continue;
      // Each frame: a package on the path and the index of its next dependency to look at.
      const frames: { name: string; next: number }[] = [{ name: root, next: 0 }];
      state.set(root, 1);
      path.push(root);
      while (frames.length > 0) {
        const top = frames[frames.length - 1] as { name: string; next: number };
        const deps = depsOf(top.name);
        if (top.next >= deps.length) {
          frames.pop();
          path.pop();
          state.set(top.name, 2);
          continue;
        }
        const i = top.next++;
        const d = deps[i];
        if (typeof d !== "string" || !packages.has(d)) continue;
        const st = state.get(d);
        if (st === 1) {
          const rec = packages.get(top.name) as RecordValue;
          const cycle = [...path.slice(path.indexOf(d)), d];
          const span = elemSpan(rec.deps as Value, i, originOf(rec as Value) as Span);
          this.sink.error("E7", messages.depCycle(cycle), span);
        } else if (st === undefined) {
          state.set(d, 1);
          path.push(d);
          frames.push({ name: d, next: 0 });
        }
      }
    }
  }
}

/** `"10%"`: a whole percentage from `min` to 100. */
function isPercent(v: string, min: number): boolean {
  const m = /^(\d+)%$/.exec(v);
  return m !== null && Number(m[1]) >= min && Number(m[1]) <= 100;
}
