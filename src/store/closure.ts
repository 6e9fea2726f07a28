/**
 * From package modules to a closure (SPEC §2): read every package the roots reach, refuse
 * dependency cycles and non-package dependencies ([E7], located), hash local sources, derive each
 * store path (dependencies first, since a derivation names its dependencies' base names), and order
 * the result dependencies-before-dependants with ties by base name.
 *
 * Never fetches: a url source enters the derivation by its declared sha256; realise fetches it.
 */
import path from "node:path";
import { FleetError } from "../fleet-error.js";
import type { Diagnostic, ModuleValues, Span } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import { baseName, derivationHash, derivationJson, unpackKindOf, urlFileName, type SourceInput } from "./derivation.js";
import { isPackageModule, readPackage, type PackageSpec } from "./package-spec.js";
import { SourceLocator, type SourceText } from "./source-locator.js";
import { hashLocalSource } from "./source-hash.js";
import { currentSystem } from "./system.js";
import type { BuildPlan, Closure, ResolvedSource, StorePathInfo } from "./types.js";

export interface ClosureInput {
  readonly modules: ModuleValues;
  readonly moduleSpans: ReadonlyMap<string, Span>;
  /** Package module names to start from (e.g. a stack's packages, or every package). */
  readonly roots: readonly string[];
  /** Absolute directory of a source file as named in spans (local sources are relative to it). */
  readonly fileDir: (file: string) => string;
  /** Defaults to this machine's system, e.g. "x86_64-linux". */
  readonly system?: string;
  /** Source text by file, when available: lets diagnostics point at the field instead of the module. */
  readonly sourceText?: SourceText;
}

export interface ClosureResult {
  readonly closure?: Closure;
  readonly diagnostics: Diagnostic[];
}

const NOWHERE: Span = { file: "", offset: 0, length: 0 };

export async function closureFor(input: ClosureInput): Promise<ClosureResult> {
  const locate = new SourceLocator(input.sourceText);
  const spanOf = (m: string) => input.moduleSpans.get(m) ?? NOWHERE;
  const diagnostics: Diagnostic[] = [];
  const specs = new Map<string, PackageSpec>();

  for (const root of [...new Set(input.roots)].sort()) {
    const value = input.modules.get(root);
    if (value === undefined) {
      if (!input.moduleSpans.has(root)) {
        throw new FleetError(fleetMessages.packageModuleMissing(root));
      }
      continue; // defined but did not evaluate: the front end has reported why
    }
    if (!isPackageModule(value)) {
      diagnostics.push({
        code: "E7",
        message: `module '${root}' is used as a package but has no recipe`,
        span: spanOf(root),
        labels: [],
        hint: "give it pname, version and recipe, or refer to a package module instead",
      });
    }
  }

  // Read every package reachable from the roots; report bad dependency names where they are written.
  const pending = [...new Set(input.roots)].sort().filter((r) => isPackageModule(input.modules.get(r)));
  const visited = new Set<string>();
  while (pending.length > 0) {
    const m = pending.shift()!;
    if (visited.has(m)) continue;
    visited.add(m);
    const read = readPackage(m, input.modules.get(m)!, spanOf(m), locate);
    diagnostics.push(...read.diagnostics);
    if (!read.spec) continue;
    specs.set(m, read.spec);
    for (const dep of read.spec.deps) {
      const depValue = input.modules.get(dep);
      if (depValue === undefined && !input.moduleSpans.has(dep)) {
        diagnostics.push({
          code: "E7",
          message: `dependency '${dep}' of package '${m}' is not a module`,
          span: locate.depEntry(spanOf(m), dep),
          labels: [],
          hint: "name a package module defined in the evaluated files",
        });
      } else if (depValue !== undefined && !isPackageModule(depValue)) {
        diagnostics.push({
          code: "E7",
          message: `dependency '${dep}' of package '${m}' has no recipe`,
          span: locate.depEntry(spanOf(m), dep),
          labels: input.moduleSpans.has(dep) ? [{ span: spanOf(dep), message: `'${dep}' defined here without a recipe` }] : [],
          hint: "only package modules (with pname, version and recipe) can be dependencies",
        });
      } else if (depValue === undefined) {
        // Defined but not evaluated: the front end has said why; without a value there is no hash.
        diagnostics.push({
          code: "E7",
          message: `dependency '${dep}' of package '${m}' did not evaluate, so its store path is unknown`,
          span: locate.depEntry(spanOf(m), dep),
          labels: [],
          hint: `fix the errors reported for module '${dep}'`,
        });
      } else {
        pending.push(dep);
      }
    }
  }

  diagnostics.push(...findCycles(specs, spanOf, locate));
  if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics) };

  const system = input.system ?? currentSystem();
  const plans = new Map<string, BuildPlan>(); // by module
  const derive = async (m: string): Promise<BuildPlan> => {
    const done = plans.get(m);
    if (done) return done;
    const spec = specs.get(m)!;
    const depBases: string[] = [];
    for (const d of spec.deps) depBases.push((await derive(d)).base);
    let source: ResolvedSource | undefined;
    let sourceInput: SourceInput | undefined;
    if (spec.source?.type === "local") {
      const absPath = path.resolve(input.fileDir(spanOf(m).file), spec.source.path);
      const sha256 = await hashLocalSource(absPath, `package '${m}'`);
      source = { type: "local", absPath, declared: spec.source.path, sha256 };
      sourceInput = { type: "local", sha256 };
    } else if (spec.source?.type === "url") {
      source = { type: "url", url: spec.source.url, sha256: spec.source.sha256 };
      sourceInput = { type: "url", sha256: spec.source.sha256, unpack: unpackKindOf(spec.source.url), name: urlFileName(spec.source.url) };
    }
    const json = derivationJson({ system, pname: spec.pname, version: spec.version, recipe: spec.recipe, deps: depBases, ...(sourceInput ? { source: sourceInput } : {}) });
    const plan: BuildPlan = {
      module: m,
      base: baseName(derivationHash(json), spec.pname, spec.version),
      pname: spec.pname,
      version: spec.version,
      recipe: spec.recipe,
      ...(source ? { source } : {}),
      derivationJson: json,
    };
    plans.set(m, plan);
    return plan;
  };
  for (const m of [...specs.keys()].sort()) await derive(m);

  const infos = new Map<string, StorePathInfo>(); // by base; two modules may define one package
  const builds = new Map<string, BuildPlan>();
  const byModule = new Map<string, string>();
  for (const m of [...specs.keys()].sort()) {
    const plan = plans.get(m)!;
    byModule.set(m, plan.base);
    if (infos.has(plan.base)) continue;
    const deps = [...new Set(specs.get(m)!.deps.map((d) => plans.get(d)!.base))].sort();
    infos.set(plan.base, { module: m, base: plan.base, deps });
    builds.set(plan.base, plan);
  }
  return { closure: { paths: topoOrder(infos), byModule, builds }, diagnostics: [] };
}

/** Kahn's sort with the ready set ordered by base name, so the order is the same everywhere. */
function topoOrder(infos: ReadonlyMap<string, StorePathInfo>): StorePathInfo[] {
  const waiting = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  for (const info of infos.values()) {
    waiting.set(info.base, info.deps.length);
    for (const d of info.deps) dependants.set(d, [...(dependants.get(d) ?? []), info.base]);
  }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([b]) => b);
  const out: StorePathInfo[] = [];
  while (ready.length > 0) {
    ready.sort();
    const b = ready.shift()!;
    out.push(infos.get(b)!);
    for (const d of dependants.get(b) ?? []) {
      const n = waiting.get(d)! - 1;
      waiting.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  return out;
}

/** Each dependency cycle once, located at the `deps` entry that closes it. */
function findCycles(specs: ReadonlyMap<string, PackageSpec>, spanOf: (m: string) => Span, locate: SourceLocator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (m: string): void => {
    state.set(m, "active");
    stack.push(m);
    for (const dep of specs.get(m)?.deps ?? []) {
      if (!specs.has(dep)) continue;
      const s = state.get(dep);
      if (s === "active") {
        const cycle = stack.slice(stack.indexOf(dep));
        const key = [...cycle].sort().join("\0");
        if (seen.has(key)) continue;
        seen.add(key);
        const ring = [...cycle, dep];
        const edges = cycle.map((from, i) => ({ from, to: ring[i + 1]! }));
        out.push({
          code: "E7",
          message: `package dependency cycle: ${ring.join(" → ")}`,
          span: locate.depEntry(spanOf(m), dep),
          labels: edges
            .filter((e) => e.from !== m)
            .map((e) => ({ span: locate.depEntry(spanOf(e.from), e.to), message: `'${e.from}' depends on '${e.to}'` })),
          hint: "remove one of these deps entries",
        });
      } else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(m, "done");
  };
  for (const m of [...specs.keys()].sort()) if (!state.has(m)) visit(m);
  return out;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.offset - b.span.offset));
}
