/**
 * The evaluator (SPEC §1.3–1.4): lazy, memoised per module field, so it is order independent and
 * total (the only recursion is through field references, and a cycle among them is `[E6]`).
 * Its parts: declarations.ts (modules, scenarios, active overrides), field-memo.ts (memo and
 * cycles), priorities.ts (winners and `why` chains), expressions.ts (the expression evaluator),
 * setting-check.ts (`Setting<τ>`). This file puts them together: a module field's value is its
 * winning contribution, with nested overrides applied (ADR 205).
 */
import { fieldNameSpan, type Expr, type Field, type Program } from "./ast.js";
import type { InjectedModule } from "./program-types.js";
import { collectDeclarations, hintFor, type ActiveOverride, type ModuleEntry, type ModuleTable } from "./declarations.js";
import { locationOf } from "./diagnostics/location.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { ExpressionEvaluator, measured } from "./expressions.js";
import { FieldMemo } from "./field-memo.js";
import { messages } from "./messages.js";
import { originFieldValueSpan, recordOriginOf, setOrigin, type RecordOrigin } from "./origins.js";
import { Poison, POISON, type V } from "./poison.js";
import { pick, winnerExpr, type Candidate, type Chains, type PickContext } from "./priorities.js";
import { getField, hasField, setField } from "./record-keys.js";
import type { SourceFile, Span } from "./source.js";
import { describe, typeOf, unify } from "./types.js";
import type { RecordValue, Value } from "./value.js";
import { isRecordValue } from "./value.js";
import { MeasureBuilder, setMeasure } from "./value-size.js";

export { Poison, POISON, type V } from "./poison.js";

export class Evaluator {
  readonly modules: ModuleTable;
  readonly injected: ReadonlyMap<string, InjectedModule>;
  readonly scenarioNames: ReadonlySet<string>;
  /** Contribution chains by dotted path, for `fleet why`. */
  readonly chains: Chains = new Map();
  private readonly overrides: ReadonlyMap<string, readonly ActiveOverride[]>;
  private readonly memo: FieldMemo;
  private readonly exprs: ExpressionEvaluator;
  private readonly moduleCache = new Map<string, V>();
  private readonly fileIndex: ReadonlyMap<string, number>;
  private readonly pickContext: PickContext;

  constructor(
    files: readonly SourceFile[],
    programs: readonly Program[],
    scenarios: readonly string[],
    injected: readonly InjectedModule[],
    private readonly sink: DiagnosticSink,
  ) {
    this.fileIndex = new Map(files.map((f, i) => [f.path, i]));
    const decls = collectDeclarations(programs, scenarios, injected, sink);
    this.modules = decls.modules;
    this.injected = decls.injected;
    this.scenarioNames = decls.scenarioNames;
    this.overrides = decls.overrides;
    this.memo = new FieldMemo(this.modules, sink);
    this.exprs = new ExpressionEvaluator(this, sink);
    this.pickContext = { sink, chains: this.chains, before: (a, b) => this.before(a, b), where: (s) => locationOf(s, files) };
  }

  private before(a: Span, b: Span): boolean {
    const fa = this.fileIndex.get(a.file) ?? 0;
    const fb = this.fileIndex.get(b.file) ?? 0;
    return fa !== fb ? fa < fb : a.offset < b.offset;
  }

  fieldValue(module: string, field: string, use: Span): V {
    return this.memo.value(`${module}.${field}`, use, () => this.computeField(module, field));
  }

  // ---- modules and fields -------------------------------------------------------------------

  /** The whole module as a record (every field evaluated), or POISON. */
  moduleValue(name: string, use: Span | undefined): V {
    const inj = this.injected.get(name);
    if (inj) return inj.value;
    const cached = this.moduleCache.get(name);
    if (cached !== undefined) return cached;
    const mod = this.modules.get(name);
    if (!mod) return POISON;
    const rec: Record<string, Value> = {};
    let bad = false;
    const size = new MeasureBuilder();
    for (const key of [...mod.fields.keys()].sort()) {
      const v = this.fieldValue(name, key, use ?? fieldNameSpan(mod.fields.get(key) as Field));
      if (v instanceof Poison) {
        bad = true;
        continue;
      }
      setField(rec, key, v);
      size.add(v, key);
    }
    if (!bad) setOrigin(rec, this.moduleOrigin(mod, [...mod.fields.values()]));
    if (!bad && !measured(this.sink, rec, size.done(), mod.decl.nameSpan, `module '${name}'`)) bad = true;
    const result = bad ? POISON : rec;
    this.moduleCache.set(name, result);
    return result;
  }

  /** Records partially evaluated modules too, so checks can run on the fields that did evaluate. */
  moduleRecordLenient(name: string): RecordValue {
    const v = this.moduleValue(name, undefined);
    if (!(v instanceof Poison)) return v as RecordValue;
    const mod = this.modules.get(name);
    const rec: Record<string, Value> = {};
    if (mod) {
      const sites: Field[] = [];
      const size = new MeasureBuilder();
      for (const [key, f] of mod.fields) {
        const fv = this.fieldValue(name, key, fieldNameSpan(f));
        if (fv instanceof Poison) continue;
        setField(rec, key, fv);
        size.add(fv, key);
        sites.push(f);
      }
      setOrigin(rec, this.moduleOrigin(mod, sites));
      setMeasure(rec, size.done());
    }
    return rec;
  }

  /** A module record's origin: its name, and where each of `fields` got its winning value. */
  private moduleOrigin(mod: ModuleEntry, fields: readonly Field[]): RecordOrigin {
    const valueSpans = this.winnerSpans(mod.decl.name, fields.map((f) => f.name));
    const at = mod.decl.nameSpan;
    return { kind: "record", fields, valueSpans, file: at.file, offset: at.offset, length: at.length };
  }

  /** Where the winning value of each module field was written (by "Module.field"). */
  private readonly winnerSpan = new Map<string, Span>();

  /** The winning value spans of a module's fields, for the fields whose winner is not the base. */
  private winnerSpans(module: string, keys: Iterable<string>): ReadonlyMap<string, Span> | undefined {
    let spans: Map<string, Span> | undefined;
    for (const key of keys) {
      const w = this.winnerSpan.get(`${module}.${key}`);
      const f = this.modules.get(module)?.fields.get(key);
      if (w !== undefined && w !== f?.value) (spans ??= new Map()).set(key, w);
    }
    return spans;
  }


  private computeField(module: string, field: string): V {
    const mod = this.modules.get(module);
    const f = mod?.fields.get(field);
    if (!mod || !f) return POISON;
    const path = `${module}.${field}`;
    const candidates: Candidate[] = [];
    let poisoned = false;
    const base = this.contribution(f.value, "base", 0, undefined);
    if (base) candidates.push(base);
    else poisoned = true;
    const active = this.overrides.get(path) ?? [];
    for (const a of active) {
      if (a.override.path.length !== 2) continue;
      const c = this.contribution(a.override.value, `scenario ${a.scenario}`, 10, a.override);
      if (!c) continue;
      if (base) this.checkOverrideType(path, base.value, c);
      candidates.push(c);
    }
    if (poisoned && candidates.length === 0) return POISON;
    const winner = pick(this.pickContext, path, candidates);
    if (!winner) return POISON;
    this.winnerSpan.set(path, winner.span);
    let value: Value = winner.value;
    const nested = active.filter((a) => a.override.path.length > 2);
    if (nested.length > 0) {
      const byPath = new Map<string, ActiveOverride[]>();
      for (const a of nested) {
        const k = a.override.path.join(".");
        byPath.set(k, [...(byPath.get(k) ?? []), a]);
      }
      for (const k of [...byPath.keys()].sort()) {
        const r = this.applyNested(value, winnerExpr(f, winner, active), byPath.get(k) ?? [], k);
        if (r instanceof Poison) return POISON;
        value = r;
      }
    }
    return value;
  }


  private checkOverrideType(path: string, base: Value, c: Candidate): void {
    const bt = typeOf(base);
    const ct = typeOf(c.value);
    if (bt && ct && !unify(bt, ct)) this.sink.error("E1", messages.overrideType(path, describe(base), describe(c.value)), c.span);
  }

  /** One contribution: its priority comes from a `Setting<τ>(…, priority = N)` written at that place. */

  private contribution(e: Expr, origin: string, defaultPriority: number, span: Span | undefined): Candidate | undefined {
    const v = this.exprs.eval(e, undefined);
    if (v instanceof Poison) return undefined;
    if (e.kind === "setting") return { span: span ?? e, priority: e.priority, origin: origin === "base" ? "Setting" : `${origin} (Setting)`, value: v };
    return { span: span ?? e, priority: defaultPriority, origin, value: v };
  }


  private applyNested(value: Value, baseExpr: Expr | undefined, overrides: readonly ActiveOverride[], path: string): V {
    const first = overrides[0]?.override;
    if (!first) return value;
    const rest = first.path.slice(2);
    // Walk down to the parent record, remembering the records to copy on the way back up.
    const parents: RecordValue[] = [];
    let cur: Value = value;
    let expr = baseExpr;
    for (let i = 0; i < rest.length; i++) {
      const seg = rest[i] as string;
      const segSpan = first.pathSpans[i + 2] as Span;
      if (!isRecordValue(cur) || !hasField(cur, seg)) {
        const candidates = isRecordValue(cur) ? Object.keys(cur) : [];
        this.sink.error("E2", messages.unknownOverrideTarget(path), segSpan, [], hintFor(seg, candidates));
        return POISON;
      }
      parents.push(cur);
      cur = getField(cur, seg) as Value;
      expr = expr?.kind === "record" ? expr.fields.find((f) => f.name === seg)?.value : undefined;
    }
    const candidates: Candidate[] = [];
    const parentOrigin = recordOriginOf(parents[parents.length - 1] as Value);
    const baseSpan = expr ?? (parentOrigin && originFieldValueSpan(parentOrigin, rest[rest.length - 1] as string)) ?? first;
    candidates.push({ span: baseSpan, priority: expr?.kind === "setting" ? expr.priority : 0, origin: expr?.kind === "setting" ? "Setting" : "base", value: cur });
    for (const a of overrides) {
      const c = this.contribution(a.override.value, `scenario ${a.scenario}`, 10, a.override);
      if (!c) return POISON;
      this.checkOverrideType(path, cur, c);
      candidates.push(c);
    }
    const winner = pick(this.pickContext, path, candidates);
    if (!winner) return POISON;
    let result: Value = winner.value;
    let resultSpan = winner.span;
    for (let i = parents.length - 1; i >= 0; i--) {
      const parent = parents[i] as RecordValue;
      const seg = rest[i] as string;
      const copy: Record<string, Value> = {};
      const size = new MeasureBuilder();
      for (const k of Object.keys(parent)) {
        const x = (k === seg ? result : parent[k]) as Value;
        setField(copy, k, x);
        size.add(x, k);
      }
      if (!measured(this.sink, copy, size.done(), first, "this record")) return POISON;
      const o = recordOriginOf(parent);
      const valueSpans = new Map(o?.valueSpans ?? []);
      valueSpans.set(seg, resultSpan);
      const at: Span = o ?? first;
      setOrigin(copy, { kind: "record", fields: o?.fields ?? [], valueSpans, file: at.file, offset: at.offset, length: at.length });
      result = copy;
      resultSpan = at;
    }
    return result;
  }

}
