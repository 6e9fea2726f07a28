/**
 * The evaluator (SPEC §1.3–1.4): lazy, memoised per module field, so it is order independent and
 * total (the only recursion is through field references, and a cycle among them is `[E6]`).
 * Types are checked on values as they are built: with no functions in the language, the type of
 * an expression is the type of its value. A failed sub-expression evaluates to POISON, which
 * propagates silently so that one mistake gives one diagnostic.
 */
import { fieldNameSpan, selectedFieldSpan, spanOf, type Comprehension, type Expr, type Field, type ModuleDecl, type Override, type Program, type TypeExpr } from "./ast.js";
import type { Contribution, InjectedModule } from "./api.js";
import type { Diagnostic, DiagnosticCode, DiagnosticLabel } from "./diagnostic.js";
import { closest } from "./edit-distance.js";
import { LIMITS, limitMessages } from "./limits.js";
import { messages } from "./messages.js";
import { listOriginOf, mixedAt, originFieldNameSpan, originFieldValueSpan, recordOriginOf, setOrigin, type RecordOrigin } from "./origins.js";
import { getField, hasField, setField } from "./record-keys.js";
import { lineColOf, type SourceFile, type Span } from "./source.js";
import { describe, firstMismatch, showTypeExpr, typeOf, unify } from "./types.js";
import { ArtifactRef, isRecordValue, SecretRef, Template, type RecordValue, type Value } from "./value.js";
import { bytesAt, MeasureBuilder, setMeasure, type Measure } from "./value-size.js";

export class Poison {
  /** A brand, so that no other object is structurally a Poison. */
  readonly isPoison = true;
}
export const POISON = new Poison();
export type V = Value | Poison;

interface Scope {
  readonly name: string;
  readonly value: V;
  readonly parent: Scope | undefined;
}

interface ModuleEntry {
  readonly decl: ModuleDecl;
  readonly fields: ReadonlyMap<string, Field>;
}

interface ActiveOverride {
  readonly override: Override;
  readonly scenario: string;
}

interface Candidate extends Contribution {
  readonly value: Value;
}

const SECRET_KINDS = new Set(["from_env", "from_file", "from_vault"]);

export class Evaluator {
  readonly diagnostics: Diagnostic[] = [];
  readonly modules = new Map<string, ModuleEntry>();
  readonly injected = new Map<string, InjectedModule>();
  readonly scenarioNames = new Set<string>();
  /** Active overrides by "Module.field" (their first two path segments). */
  private readonly overrides = new Map<string, ActiveOverride[]>();
  private readonly fieldCache = new Map<string, V>();
  private readonly moduleCache = new Map<string, V>();
  /** Contribution chains by dotted path, for `fleet why`. */
  readonly chains = new Map<string, Candidate[]>();
  /** Winning value span of each module field, for locating schema errors. */
  private readonly stack: string[] = [];
  /** Where each key of `stack` is in it: finding a cycle costs O(1), not O(depth). */
  private readonly onStack = new Map<string, number>();
  /** Expressions being evaluated inside one another now (LIMITS.evalDepth). */
  private depth = 0;
  /** Work done so far (LIMITS.work). */
  private work = 0;
  private reportedDepth = false;
  private reportedWork = false;
  private readonly cyclic = new Set<string>();
  private readonly reportedCycles = new Set<string>();
  private readonly fileIndex: ReadonlyMap<string, number>;

  constructor(
    private readonly files: readonly SourceFile[],
    programs: readonly Program[],
    scenarios: readonly string[],
    injected: readonly InjectedModule[],
  ) {
    this.fileIndex = new Map(files.map((f, i) => [f.path, i]));
    for (const m of injected) this.injected.set(m.name, m);
    const active = new Set(scenarios);
    const scenarioSeen = new Map<string, Span>();
    // Programs arrive in command-line order, declarations in source order: "later" is well defined.
    for (const p of programs) {
      for (const d of p.decls) {
        if (d.kind === "module") this.addModule(d);
        else {
          this.scenarioNames.add(d.name);
          const first = scenarioSeen.get(d.name);
          if (first) {
            this.error("E3", messages.duplicateScenario(d.name), d.nameSpan, [{ span: first, message: messages.firstDefinedHere }]);
            continue;
          }
          scenarioSeen.set(d.name, d.nameSpan);
          const seen = new Map<string, Span>();
          for (const o of d.overrides) {
            const key = o.path.join(".");
            const prev = seen.get(key);
            if (prev) {
              this.error("E3", messages.duplicateOverride(key), o, [{ span: prev, message: messages.firstDefinedHere }]);
              continue;
            }
            seen.set(key, o);
            if (!active.has(d.name)) continue;
            const k = `${o.path[0] ?? ""}.${o.path[1] ?? ""}`;
            let list = this.overrides.get(k);
            if (!list) this.overrides.set(k, (list = []));
            list.push({ override: o, scenario: d.name });
          }
        }
      }
    }
    // Every scenario's targets must exist, active or not, so `fleet check` catches typos.
    for (const p of programs) for (const d of p.decls) if (d.kind === "scenario") for (const o of d.overrides) this.checkOverrideTarget(o);
  }

  private addModule(d: ModuleDecl): void {
    const first = this.modules.get(d.name);
    if (first || this.injected.has(d.name)) {
      const labels = first ? [{ span: first.decl.nameSpan, message: messages.firstDefinedHere }] : [];
      this.error("E3", messages.duplicateModule(d.name), d.nameSpan, labels);
      return;
    }
    const fields = new Map<string, Field>();
    for (const f of d.fields) {
      const prev = fields.get(f.name);
      if (prev) {
        this.error("E3", messages.duplicateField(f.name), fieldNameSpan(f), [{ span: fieldNameSpan(prev), message: messages.firstDefinedHere }]);
        continue;
      }
      fields.set(f.name, f);
    }
    this.modules.set(d.name, { decl: d, fields });
  }

  private checkOverrideTarget(o: Override): void {
    const [m, f] = o.path;
    const mSpan = o.pathSpans[0];
    const fSpan = o.pathSpans[1];
    if (m === undefined || f === undefined || !mSpan || !fSpan) return;
    const mod = this.modules.get(m);
    if (!mod) {
      this.error("E2", messages.unknownModule(m), mSpan, [], this.hint(m, this.modules.keys()));
      return;
    }
    if (!mod.fields.has(f)) this.error("E2", messages.unknownField(f, `module '${m}'`), fSpan, [], this.hint(f, mod.fields.keys()));
  }

  /** Reports a diagnostic; its spans are copied, so that no syntax node leaves the front end. */
  error(code: DiagnosticCode, message: string, at: Span, atLabels: readonly DiagnosticLabel[] = [], hint?: string): void {
    const span = spanOf(at);
    const labels = atLabels.map((l) => ({ span: spanOf(l.span), message: l.message }));
    this.diagnostics.push(hint === undefined ? { code, message, span, labels } : { code, message, span, labels, hint });
  }

  private hint(name: string, candidates: Iterable<string>): string | undefined {
    const c = closest(name, candidates);
    return c === undefined ? undefined : messages.didYouMean(c);
  }

  where(span: Span): string {
    const f = this.files[this.fileIndex.get(span.file) ?? -1];
    const lc = lineColOf(f?.text ?? "", span.offset);
    return `${span.file}:${lc.line}:${lc.col}`;
  }

  private before(a: Span, b: Span): boolean {
    const fa = this.fileIndex.get(a.file) ?? 0;
    const fb = this.fileIndex.get(b.file) ?? 0;
    return fa !== fb ? fa < fb : a.offset < b.offset;
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
    if (!bad && !this.measured(rec, size.done(), mod.decl.nameSpan, `module '${name}'`)) bad = true;
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

  fieldValue(module: string, field: string, use: Span): V {
    const key = `${module}.${field}`;
    const cached = this.fieldCache.get(key);
    if (cached !== undefined) return cached;
    const at = this.onStack.get(key) ?? -1;
    if (at >= 0) {
      const cycle = this.stack.slice(at);
      for (const k of cycle) this.cyclic.add(k);
      const id = [...cycle].sort().join(",");
      if (!this.reportedCycles.has(id)) {
        this.reportedCycles.add(id);
        const labels: DiagnosticLabel[] = [];
        for (const k of cycle) {
          const [m, f] = splitKey(k);
          const site = this.modules.get(m)?.fields.get(f);
          if (site) labels.push({ span: fieldNameSpan(site), message: messages.cycleMember(k) });
        }
        this.error("E6", messages.cycle([...cycle, key]), use, labels);
      }
      return POISON;
    }
    this.onStack.set(key, this.stack.length);
    this.stack.push(key);
    let v: V;
    try {
      v = this.computeField(module, field);
    } finally {
      this.stack.pop();
      this.onStack.delete(key);
    }
    if (this.cyclic.has(key)) v = POISON;
    this.fieldCache.set(key, v);
    return v;
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
    const winner = this.pick(path, candidates);
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
    if (bt && ct && !unify(bt, ct)) this.error("E1", messages.overrideType(path, describe(base), describe(c.value)), c.span);
  }

  /** One contribution: its priority comes from a `Setting<τ>(…, priority = N)` written at that place. */
  private contribution(e: Expr, origin: string, defaultPriority: number, span: Span | undefined): Candidate | undefined {
    const v = this.eval(e, undefined);
    if (v instanceof Poison) return undefined;
    if (e.kind === "setting") return { span: span ?? e, priority: e.priority, origin: origin === "base" ? "Setting" : `${origin} (Setting)`, value: v };
    return { span: span ?? e, priority: defaultPriority, origin, value: v };
  }

  /** Highest priority wins; equal winners must agree (`[E4]`). The chain is recorded winner last. */
  private pick(path: string, candidates: Candidate[]): Candidate | undefined {
    const sorted = [...candidates].sort((a, b) => a.priority - b.priority || (this.before(a.span, b.span) ? -1 : this.before(b.span, a.span) ? 1 : 0));
    const winner = sorted[sorted.length - 1];
    if (!winner) return undefined;
    const top = sorted.filter((c) => c.priority === winner.priority);
    const firstTop = top[0] as Candidate;
    for (const c of top.slice(1)) {
      if (!deepEqual(firstTop.value, c.value)) {
        this.error("E4", messages.priorityConflict(path, winner.priority, this.where(firstTop.span)), c.span, [{ span: firstTop.span, message: messages.otherContribution }]);
        this.chains.set(path, sorted);
        return undefined;
      }
    }
    this.chains.set(path, sorted);
    return winner;
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
        this.error("E2", messages.unknownOverrideTarget(path), segSpan, [], this.hint(seg, candidates));
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
    const winner = this.pick(path, candidates);
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
      if (!this.measured(copy, size.done(), first, "this record")) return POISON;
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

  // ---- expressions --------------------------------------------------------------------------

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
        this.error("E6", limitMessages.evalDepth(), e);
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
      this.error("E6", limitMessages.work(), e);
    }
    return POISON;
  }

  /**
   * Records the measure of a list or record just built; false (after reporting `[E6]` at `at`)
   * when it nests too deep or would be too large as JSON.
   */
  private measured(v: object, m: Measure, at: Span, what: string): boolean {
    setMeasure(v, m);
    if (m.depth > LIMITS.valueDepth) {
      this.error("E6", limitMessages.valueDepth(), at);
      return false;
    }
    if (bytesAt(m, 1) > LIMITS.outputBytes) {
      this.error("E6", limitMessages.valueSize(what), at);
      return false;
    }
    return true;
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
            this.error("E6", messages.badArtifactName(e.name), e);
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
        return this.checkAgainst(v, e.type, e.value) ? v : POISON;
      }
      case "not": {
        const v = this.eval(e.operand, scope);
        if (v instanceof Poison) return v;
        if (typeof v !== "boolean") {
          this.error("E1", messages.typeMismatch("the operand of '!'", "Bool", describe(v)), e.operand);
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
    if (this.modules.has(name) || this.injected.has(name)) return this.moduleValue(name, span);
    const candidates = [...this.modules.keys(), ...this.injected.keys()];
    for (let s = scope; s; s = s.parent) candidates.push(s.name);
    this.error("E2", messages.unknownModule(name), span, [], this.hint(name, candidates));
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
      const inj = this.injected.get(t.name);
      if (inj) {
        const u = inj.unavailable?.[e.field];
        if (u) {
          this.error(u.code, u.message, e);
          return POISON;
        }
        return this.select(inj.value, e, `module '${t.name}'`);
      }
      const mod = this.modules.get(t.name);
      if (mod) {
        if (!mod.fields.has(e.field)) {
          this.error("E2", messages.unknownField(e.field, `module '${t.name}'`), selectedFieldSpan(e), [], this.hint(e.field, mod.fields.keys()));
          return POISON;
        }
        return this.fieldValue(t.name, e.field, e);
      }
    }
    const target = this.eval(t, scope);
    if (target instanceof Poison) return target;
    return this.select(target, e, "this record");
  }

  private select(target: Value, e: Extract<Expr, { kind: "select" }>, on: string): V {
    const field = e.field;
    if (!isRecordValue(target)) {
      this.error("E1", messages.cannotSelect(field, describe(target)), selectedFieldSpan(e));
      return POISON;
    }
    if (!hasField(target, field)) {
      this.error("E2", messages.unknownField(field, on), selectedFieldSpan(e), [], this.hint(field, Object.keys(target)));
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
      this.error("E6", limitMessages.valueSize("this string"), e);
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
      this.error("E6", messages.secretMisplaced("inside ${…}"), span, [{ span: v.span, message: messages.referenceHere }]);
      return false;
    } else if (Array.isArray(v)) {
      const items = v as readonly Value[];
      for (const x of items) {
        if (x instanceof SecretRef) {
          this.error("E6", messages.secretMisplaced("inside ${…}"), span, [{ span: x.span, message: messages.referenceHere }]);
          return false;
        }
        if (!(typeof x === "string" || x instanceof ArtifactRef || x instanceof Template)) {
          this.error("E1", messages.cannotInterpolate(describe(v)), span);
          return false;
        }
      }
      for (const x of items) this.interpolate(x, span, push);
    } else {
      this.error("E1", messages.cannotInterpolate(describe(v)), span);
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
    return this.measured(out, size.done(), e, "this list") ? out : POISON;
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
        this.error("E1", messages.mixedList(describe(first), describe(other)), o?.items[mixed] ?? c.source);
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
        this.error("E1", messages.mixedRecordValues(describe(first), describe(other)), at);
        return false;
      }
    } else {
      if (src instanceof SecretRef) this.error("E6", messages.secretMisplaced("as the source of a 'for'"), c.source, [{ span: src.span, message: messages.referenceHere }]);
      else this.error("E1", messages.cannotIterate(describe(src)), c.source);
      return false;
    }
    const secret = values.find((v) => v instanceof SecretRef);
    if (secret instanceof SecretRef) {
      this.error("E6", messages.secretMisplaced("as the source of a 'for'"), c.source, [{ span: secret.span, message: messages.referenceHere }]);
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
        this.error("E6", limitMessages.listElements(), c);
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
      this.error("E6", messages.secretMisplaced("as a condition"), e, [{ span: v.span, message: messages.referenceHere }]);
      return undefined;
    }
    if (typeof v !== "boolean") {
      this.error("E5", messages.nonBoolCondition(describe(v)), e);
      return undefined;
    }
    return v;
  }

  private evalRecord(e: Extract<Expr, { kind: "record" }>, scope: Scope | undefined): V {
    const fields = e.fields;
    const dup = firstDuplicate(fields);
    if (dup) {
      this.error("E3", messages.duplicateField(dup.repeat.name), fieldNameSpan(dup.repeat), [{ span: fieldNameSpan(dup.first), message: messages.firstDefinedHere }]);
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
    return this.measured(rec, size.done(), e, "this record") ? rec : POISON;
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
      this.error("E5", messages.branchMismatch(describe(a), describe(b)), e.else, [{ span: e.then, message: `'then' branch is ${describe(a)}` }]);
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
          this.error("E1", messages.typeMismatch(`an operand of '${b.op}'`, "Bool", describe(v)), span);
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
          this.error("E6", messages.secretMisplaced(`as an operand of '${e.op}'`), span, [{ span: s.span, message: messages.referenceHere }]);
          return POISON;
        }
      }
      const lt = typeOf(l);
      const rt = typeOf(r);
      if (!lt || !rt || !unify(lt, rt)) {
        this.error("E1", messages.cannotCompare(describe(l), describe(r)), e);
        return POISON;
      }
      const eq = deepEqual(l, r);
      return e.op === "==" ? eq : !eq;
    }
    return POISON; // unreachable: `&&` and `||` went to evalLogic
  }

  /** Checks a value against a written type (`Setting<τ>`); reports `[E1]`/`[E2]` at `span`. */
  private checkAgainst(v: Value, t: TypeExpr, span: Span): boolean {
    const fail = (): boolean => {
      this.error("E1", messages.typeMismatch("the value", showTypeExpr(t), describe(v)), span);
      return false;
    };
    switch (t.kind) {
      case "Unknown":
        this.error("E2", messages.unknownType(t.name), t.span);
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
          this.error("E1", messages.notRelativePath(v), span);
          return false;
        }
        return true;
      case "List": {
        if (!Array.isArray(v)) return fail();
        const items = v as readonly Value[];
        for (let i = 0; i < items.length; i++) {
          const s = listOriginOf(v)?.items[i] ?? span;
          if (!this.checkAgainst(items[i] as Value, t.elem, s)) return false;
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
            this.error("E2", messages.unknownField(k, "this record"), (o && originFieldNameSpan(o, k)) ?? span, [], this.hint(k, names));
            return false;
          }
        }
        for (const f of t.fields) {
          if (!hasField(v, f.name)) {
            this.error("E3", messages.missingField(f.name, "this record"), span);
            return false;
          }
          const o = recordOriginOf(v);
          if (!this.checkAgainst(v[f.name] as Value, f.type, (o && originFieldValueSpan(o, f.name)) ?? span)) return false;
        }
        return true;
      }
    }
  }
}

function winnerExpr(f: Field, winner: Candidate, active: readonly ActiveOverride[]): Expr | undefined {
  if (winner.origin === "base" || winner.origin === "Setting") return f.value.kind === "setting" ? f.value.value : f.value;
  const o = active.find((a) => a.override === winner.span)?.override.value;
  return o?.kind === "setting" ? o.value : o;
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

function splitKey(k: string): [string, string] {
  const i = k.indexOf(".");
  return [k.slice(0, i), k.slice(i + 1)];
}

export function codePointCompare(a: string, b: string): number {
  // Identifiers are ASCII, but record keys compared here follow SPEC's code-point order anyway.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = (x.value as string).codePointAt(0) ?? 0;
    const cy = (y.value as string).codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Structural equality. Values share sub-values, so two values can be exponentially larger as
 * trees than in memory: every pair of lists or records compared is remembered, and a pair is
 * compared once however often it recurs (ADR 121).
 */
const compared = new WeakMap<object, WeakMap<object, boolean>>();

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof SecretRef || a instanceof ArtifactRef || a instanceof Template) {
    return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && JSON.stringify(a) === JSON.stringify(b);
  }
  let known = compared.get(a);
  const hit = known?.get(b);
  if (hit !== undefined) return hit;
  const eq = deepEqualOnce(a, b);
  if (!known) compared.set(a, (known = new WeakMap()));
  known.set(b, eq);
  return eq;
}

function deepEqualOnce(a: Value, b: Value): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i] as Value, (b as readonly Value[])[i] as Value)) return false;
    return true;
  }
  if (isRecordValue(a)) {
    if (!isRecordValue(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!hasField(b, k) || !deepEqual(a[k] as Value, b[k] as Value)) return false;
    return true;
  }
  return false;
}

/** The first secret reference inside a value; remembered per list or record (values are shared). */
const secretsIn = new WeakMap<object, SecretRef | null>();

export function findSecret(v: Value): SecretRef | undefined {
  if (v instanceof SecretRef) return v;
  if (typeof v !== "object" || !(Array.isArray(v) || isRecordValue(v))) return undefined;
  const known = secretsIn.get(v);
  if (known !== undefined) return known ?? undefined;
  let found: SecretRef | undefined;
  if (Array.isArray(v)) {
    for (const x of v as readonly Value[]) if ((found = findSecret(x))) break;
  } else {
    const r = v as RecordValue;
    for (const k of Object.keys(r)) if ((found = findSecret(r[k] as Value))) break;
  }
  secretsIn.set(v, found ?? null);
  return found;
}

export { SECRET_KINDS };
