/** The front end end to end: parse every file, evaluate, check (SPEC §1). */
import type { Contribution, EvaluateOptions, ModuleShape, ProgramResult, WhyResult } from "./program-types.js";
import { Checker } from "./checker.js";
import { codePointCompare } from "./code-point-order.js";
import { DiagnosticSink } from "./diagnostics/sink.js";
import { sortDiagnostics } from "./diagnostics/order.js";
import { Evaluator, Poison } from "./evaluate.js";
import { shapeOf } from "./module-shape.js";
import { spanOf } from "./ast.js";
import { originFieldValueSpan, recordOriginOf } from "./origins.js";
import { parse } from "./parse.js";
import { getField, hasField } from "./record-keys.js";
import type { Program } from "./ast.js";
import type { SourceFile, Span } from "./source.js";
import { isRecordValue, type RecordValue, type Value } from "./value.js";
import { LIMITS, limitMessages } from "./limits.js";
import { bytesAt, measureOf } from "./value-size.js";

interface Run {
  readonly result: ProgramResult;
  readonly evaluator: Evaluator | undefined;
}

function run(files: readonly SourceFile[], options: EvaluateOptions): Run {
  const parsed = files.map((f) => parse(f));
  const scenarios = new Set<string>();
  for (const p of parsed) for (const d of p.program.decls) if (d.kind === "scenario") scenarios.add(d.name);
  const syntax = parsed.flatMap((p) => p.diagnostics);
  if (syntax.length > 0) {
    // Stop after syntax errors: checking a partial tree would only add follow-on noise.
    return {
      result: { modules: new Map(), shapes: new Map(), moduleSpans: new Map(), diagnostics: sortDiagnostics(syntax, files), scenarios },
      evaluator: undefined,
    };
  }
  const evaluated = evaluateModules(files, parsed.map((p) => p.program), options);
  const ev = evaluated.evaluator;
  // A program over its size budget is not checked: checking walks every value (ADR 121).
  const modules = evaluated.overBudget ? evaluated.modules : checkModules(evaluated);
  const sortedModules = new Map([...modules].sort(([a], [b]) => codePointCompare(a, b)));
  return {
    result: { modules: sortedModules, shapes: evaluated.shapes, moduleSpans: evaluated.moduleSpans, diagnostics: sortDiagnostics(evaluated.sink.diagnostics, files), scenarios },
    evaluator: ev,
  };
}

/** The evaluated modules of a program, before checking; a stage of its own for bench/parse.ts. */
export interface Evaluated {
  readonly evaluator: Evaluator;
  /** Where evaluation and checking report. */
  readonly sink: DiagnosticSink;
  /** Modules that evaluated without a mistake, in declaration order. */
  readonly modules: ReadonlyMap<string, RecordValue>;
  readonly shapes: ReadonlyMap<string, ModuleShape>;
  readonly moduleSpans: ReadonlyMap<string, Span>;
  /**
   * Modules with fields that failed to evaluate (already reported): the fields that did, to be
   * checked too, so that an independent mistake in them is reported (SPEC §1.5), with the names
   * of the fields that failed.
   */
  readonly partial: ReadonlyMap<string, { readonly record: RecordValue; readonly failed: ReadonlySet<string> }>;
  /** True when the modules together are larger than LIMITS.outputBytes (reported as `[E6]`). */
  readonly overBudget: boolean;
}

export function evaluateModules(files: readonly SourceFile[], programs: readonly Program[], options: EvaluateOptions): Evaluated {
  const sink = new DiagnosticSink();
  const ev = new Evaluator(files, programs, options.scenarios ?? [], options.injected ?? [], sink);
  const modules = new Map<string, RecordValue>();
  const partial = new Map<string, { record: RecordValue; failed: ReadonlySet<string> }>();
  const shapes = new Map<string, ModuleShape>();
  const moduleSpans = new Map<string, Span>();
  for (const [name, m] of ev.modules) {
    moduleSpans.set(name, m.decl.nameSpan);
    const v = ev.moduleValue(name, undefined);
    if (v instanceof Poison) {
      shapes.set(name, shapeOf(name, (f) => m.fields.has(f)));
      const record = ev.moduleRecordLenient(name);
      const failed = new Set([...m.fields.keys()].filter((f) => !hasField(record, f)));
      // A module whose every field evaluated failed as a whole (its size): nothing more to check.
      if (failed.size > 0) partial.set(name, { record, failed });
      continue;
    }
    const rec = v as RecordValue;
    modules.set(name, rec);
    shapes.set(name, shapeOf(name, (f) => hasField(rec, f)));
  }
  return { evaluator: ev, sink, modules, partial, shapes, moduleSpans, overBudget: overBudget(sink, modules, moduleSpans) };
}

/**
 * Whether all modules together, as the canonical JSON of `fleet eval --json`, pass
 * LIMITS.outputBytes; if so, `[E6]` at the module (in name order) that crosses it.
 */
function overBudget(sink: DiagnosticSink, modules: ReadonlyMap<string, RecordValue>, spans: ReadonlyMap<string, Span>): boolean {
  let total = 4; // "{\n" … "}\n"
  for (const name of [...modules.keys()].sort()) {
    const m = measureOf(modules.get(name) as RecordValue);
    total += name.length + 8 + bytesAt(m, 1);
    if (total > LIMITS.outputBytes) {
      const at = spans.get(name);
      if (at) sink.error("E6", limitMessages.valueSize(`together with the modules before it (in name order), module '${name}'`), at);
      return true;
    }
  }
  return false;
}

/** Checks every evaluated module against its schema (diagnostics go to the sink). */
export function checkModules({ evaluator, sink, modules, partial, shapes }: Evaluated): ReadonlyMap<string, RecordValue> {
  const checker = new Checker(sink, evaluator.modules);
  const packages = new Map<string, RecordValue>();
  for (const [name, rec] of modules) {
    const shape = shapes.get(name) ?? "data";
    checker.checkModule(name, rec, shape);
    if (shape === "package") packages.set(name, rec);
  }
  for (const [name, { record, failed }] of partial) checker.checkModule(name, record, shapes.get(name) ?? "data", failed);
  checker.checkPackageCycles(packages);
  return modules;
}

export function evaluateProgram(files: readonly SourceFile[], options: EvaluateOptions = {}): ProgramResult {
  return run(files, options).result;
}

/**
 * `fleet why Module.field.sub`: the value and every contribution, winner last. A path below a
 * field without its own scenario overrides reports the field's contributions, each narrowed to
 * the sub-path.
 */
export function why(files: readonly SourceFile[], path: string, options: EvaluateOptions = {}): WhyResult {
  const { result, evaluator } = run(files, options);
  const parts = path.split(".");
  const [m, f, ...rest] = parts;
  if (!evaluator || m === undefined || f === undefined) return { value: undefined, chain: [], diagnostics: result.diagnostics };
  const own = evaluator.chains.get(path);
  const base = own ?? evaluator.chains.get(`${m}.${f}`) ?? [];
  const narrow = own ? [] : rest;
  const chain: Contribution[] = [];
  for (const c of base) {
    let v: Value | undefined = c.value;
    let span = c.span;
    for (const seg of narrow) {
      if (!isRecordValue(v)) {
        v = undefined;
        break;
      }
      const o = recordOriginOf(v);
      span = (o && originFieldValueSpan(o, seg)) ?? span;
      v = getField(v, seg);
    }
    // Copied: a contribution's span may be a syntax node, which must not leave the front end.
    if (v !== undefined) chain.push({ ...c, value: v, span: spanOf(span) });
  }
  let value: Value | undefined = result.modules.get(m);
  for (const seg of [f, ...rest]) value = isRecordValue(value) ? getField(value, seg) : undefined;
  return { value, chain, diagnostics: result.diagnostics };
}
