/**
 * The declarations of a program (SPEC §1.2, §1.4): its modules with their fields, the scenarios
 * and which of their overrides are active. Duplicates are `[E3]`; every scenario's targets must
 * exist, active or not, so `fleet check` catches typos.
 */
import { fieldNameSpan, type Field, type ModuleDecl, type Override, type Program } from "./ast.js";
import type { InjectedModule } from "./program-types.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { closest } from "./edit-distance.js";
import { messages } from "./messages.js";
import type { Span } from "./source.js";

export interface ModuleEntry {
  readonly decl: ModuleDecl;
  readonly fields: ReadonlyMap<string, Field>;
}

/** The module table the evaluator and the checker both read. */
export type ModuleTable = ReadonlyMap<string, ModuleEntry>;

export interface ActiveOverride {
  readonly override: Override;
  readonly scenario: string;
}

export interface Declarations {
  readonly modules: ModuleTable;
  readonly injected: ReadonlyMap<string, InjectedModule>;
  readonly scenarioNames: ReadonlySet<string>;
  /** Active overrides by "Module.field" (their first two path segments). */
  readonly overrides: ReadonlyMap<string, readonly ActiveOverride[]>;
}

/** `did you mean 'x'?` for the closest of `candidates`, if one is close. */
export function hintFor(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : messages.didYouMean(c);
}

export function collectDeclarations(
  programs: readonly Program[],
  scenarios: readonly string[],
  injectedModules: readonly InjectedModule[],
  sink: DiagnosticSink,
): Declarations {
  const modules = new Map<string, ModuleEntry>();
  const injected = new Map<string, InjectedModule>();
  const scenarioNames = new Set<string>();
  const overrides = new Map<string, ActiveOverride[]>();
  for (const m of injectedModules) injected.set(m.name, m);
  const active = new Set(scenarios);
  const scenarioSeen = new Map<string, Span>();
  // Programs arrive in command-line order, declarations in source order: "later" is well defined.
  for (const p of programs) {
    for (const d of p.decls) {
      if (d.kind === "module") addModule(d, modules, injected, sink);
      else {
        scenarioNames.add(d.name);
        const first = scenarioSeen.get(d.name);
        if (first) {
          sink.error("E3", messages.duplicateScenario(d.name), d.nameSpan, [{ span: first, message: messages.firstDefinedHere }]);
          continue;
        }
        scenarioSeen.set(d.name, d.nameSpan);
        const seen = new Map<string, Span>();
        for (const o of d.overrides) {
          const key = o.path.join(".");
          const prev = seen.get(key);
          if (prev) {
            sink.error("E3", messages.duplicateOverride(key), o, [{ span: prev, message: messages.firstDefinedHere }]);
            continue;
          }
          seen.set(key, o);
          if (!active.has(d.name)) continue;
          const k = `${o.path[0] ?? ""}.${o.path[1] ?? ""}`;
          let list = overrides.get(k);
          if (!list) overrides.set(k, (list = []));
          list.push({ override: o, scenario: d.name });
        }
      }
    }
  }
  for (const p of programs) for (const d of p.decls) if (d.kind === "scenario") for (const o of d.overrides) checkOverrideTarget(o, modules, sink);
  return { modules, injected, scenarioNames, overrides };
}

function addModule(d: ModuleDecl, modules: Map<string, ModuleEntry>, injected: ReadonlyMap<string, InjectedModule>, sink: DiagnosticSink): void {
  const first = modules.get(d.name);
  if (first || injected.has(d.name)) {
    const labels = first ? [{ span: first.decl.nameSpan, message: messages.firstDefinedHere }] : [];
    sink.error("E3", messages.duplicateModule(d.name), d.nameSpan, labels);
    return;
  }
  const fields = new Map<string, Field>();
  for (const f of d.fields) {
    const prev = fields.get(f.name);
    if (prev) {
      sink.error("E3", messages.duplicateField(f.name), fieldNameSpan(f), [{ span: fieldNameSpan(prev), message: messages.firstDefinedHere }]);
      continue;
    }
    fields.set(f.name, f);
  }
  modules.set(d.name, { decl: d, fields });
}

function checkOverrideTarget(o: Override, modules: ModuleTable, sink: DiagnosticSink): void {
  const [m, f] = o.path;
  const mSpan = o.pathSpans[0];
  const fSpan = o.pathSpans[1];
  if (m === undefined || f === undefined || !mSpan || !fSpan) return;
  const mod = modules.get(m);
  if (!mod) {
    sink.error("E2", messages.unknownModule(m), mSpan, [], hintFor(m, modules.keys()));
    return;
  }
  if (!mod.fields.has(f)) sink.error("E2", messages.unknownField(f, `module '${m}'`), fSpan, [], hintFor(f, mod.fields.keys()));
}
