/**
 * Everything that happens before any host is touched (SPEC §6): evaluate the fleet file, read the
 * Fleet model, evaluate and compose every host file with its injected `Fleet` module, and build
 * the artifact graph. A refusal here means nothing is touched.
 */
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { canonicalJson } from "../canonical-json.js";
import { FleetError, UsageError } from "../fleet-error.js";
import { type Diagnostic, evaluateProgram, type ProgramResult, type SourceFile } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import { buildArtifactGraph, type ArtifactGraph, type HostArtifacts } from "../plan/artifact-graph.js";
import { injectedFleetModule, readFleet, type FleetModel, type HostRecord } from "../plan/fleet-model.js";
import { composeStack } from "../stack/compose.js";
import { missingHostFile, unknownStackModule } from "./host-record-diagnostics.js";
import type { ComposedStack } from "../stack/types.js";

export interface LoadedHost {
  readonly record: HostRecord;
  /** Absolute path of the host file (when the record's `file` is acceptable). */
  readonly absFile?: string;
  /** Sources as evaluated, named relative to the fleet file's directory. */
  readonly sources: readonly SourceFile[];
  readonly program?: ProgramResult;
  readonly stack?: ComposedStack;
  /** Why the host cannot deploy, decided before any host is touched. */
  readonly failure?: { readonly message: string; readonly diagnostics: readonly Diagnostic[] };
  readonly sourceHash: string;
}

export interface LoadedFleet {
  readonly fleetFile: string;
  readonly fleetDir: string;
  readonly fleetSource: SourceFile;
  readonly model: FleetModel;
  readonly hosts: readonly LoadedHost[];
  readonly graph: ArtifactGraph;
}

/** A refusal of the whole run: located diagnostics and/or plain errors, exit 1. */
export class FleetRefusal extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly sources: readonly SourceFile[],
    readonly errors: readonly FleetError[] = [],
  ) {
    super("fleet refused");
  }
}

export function readSource(absPath: string, displayName: string): SourceFile {
  return { path: displayName, text: readFileSync(absPath, "utf8") };
}

/** Read the fleet file; a missing file is a usage error. */
/**
 * `namePrefix` is prepended to every PCL file name in diagnostics (`fleet check` of several
 * fleets names files from the working directory; apply names them from the fleet directory).
 */
export function loadFleetFile(fleetFile: string, scenarios: readonly string[], namePrefix = ""): {
  fleetDir: string;
  source: SourceFile;
  program: ProgramResult;
  model: FleetModel;
} {
  let st;
  try {
    st = statSync(fleetFile);
  } catch {
    throw new UsageError(fleetMessages.noSuchFleetFile(fleetFile));
  }
  if (!st.isFile()) throw new UsageError(fleetMessages.fleetFileNotAFile(fleetFile));
  const fleetDir = dirname(resolve(fleetFile));
  const source = readSource(fleetFile, namePrefix + relative(fleetDir, resolve(fleetFile)));
  const program = evaluateProgram([source], { scenarios });
  if (program.diagnostics.length > 0) throw new FleetRefusal(program.diagnostics, [source]);
  const fleet = program.modules.get("Fleet");
  if (!fleet) {
    throw new FleetRefusal([], [source], [new FleetError(fleetMessages.noFleetModule(source.path))]);
  }
  const span = program.moduleSpans.get("Fleet") ?? { file: source.path, offset: 0, length: 0 };
  const { model, diagnostics } = readFleet(fleet, span);
  if (diagnostics.length > 0) throw new FleetRefusal(diagnostics, [source]);
  return { fleetDir, source, program, model };
}

/** A host `file` must stay inside the fleet file's directory (SPEC §6). */
export function resolveHostFile(fleetDir: string, file: string): { abs: string; display: string } | { error: string } {
  if (file === "") return { error: `host file is empty` };
  if (isAbsolute(file)) return { error: `host file '${file}' is absolute; give a path relative to the fleet file` };
  const abs = normalize(join(fleetDir, file));
  const rel = relative(fleetDir, abs);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { error: `host file '${file}' escapes the fleet file's directory` };
  }
  // The same rule for where the file really is: a symlink (of the file or of a directory on the
  // way) pointing outside the fleet directory would bypass the '..' check (ADR 133).
  let real: string | undefined;
  try {
    real = realpathSync(abs);
  } catch {
    real = undefined; // missing: reported as unreadable by the caller
  }
  if (real !== undefined) {
    const realRel = relative(realpathSync(fleetDir), real);
    if (realRel === "" || realRel === ".." || realRel.startsWith(`..${sep}`) || isAbsolute(realRel)) {
      return { error: `host file '${file}' is reached through a symlink that points outside the fleet file's directory (to ${real}); keep host files inside it` };
    }
  }
  return { abs, display: rel.split(sep).join("/") };
}

function hashSources(sources: readonly SourceFile[], extra: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ sources: sources.map((s) => ({ path: s.path, text: s.text })), extra }))
    .digest("hex");
}

/** Evaluate and compose one host with its injected Fleet module. */
export function loadHost(
  fleetDir: string,
  model: FleetModel,
  record: HostRecord,
  scenarios: readonly string[],
  namePrefix = "",
  fleetSource?: SourceFile,
): LoadedHost {
  // Where the record's fields are in the fleet file, to locate a missing file or stack there.
  const at = fleetSource !== undefined ? model.hostSpans?.get(record.index) : undefined;
  const resolved = resolveHostFile(fleetDir, record.file);
  if ("error" in resolved) {
    return { record, sources: [], failure: { message: resolved.error, diagnostics: [] }, sourceHash: "" };
  }
  let source: SourceFile;
  try {
    source = readSource(resolved.abs, namePrefix + resolved.display);
  } catch (e) {
    if (at !== undefined && fleetSource !== undefined && (e as NodeJS.ErrnoException).code === "ENOENT") {
      return { record, sources: [fleetSource], failure: { message: "", diagnostics: [missingHostFile(fleetDir, record.file, at.file)] }, sourceHash: "" };
    }
    return {
      record,
      sources: [],
      failure: { message: `cannot read host file '${record.file}'`, diagnostics: [] },
      sourceHash: "",
    };
  }
  const injected = injectedFleetModule(model, record);
  const sources = [source];
  const program = evaluateProgram(sources, { scenarios, injected: [injected] });
  const sourceHash = hashSources(sources, { scenarios: [...scenarios].sort(), fleet: injected.value });
  const base = { record, absFile: resolved.abs, sources, program, sourceHash };
  if (program.diagnostics.length > 0) {
    return { ...base, failure: { message: "", diagnostics: program.diagnostics } };
  }
  const unknown = at !== undefined && fleetSource !== undefined ? unknownStackModule(program.modules, record.stack, source.path, at.stack) : undefined;
  if (unknown !== undefined) return { ...base, sources: [...sources, fleetSource!], failure: { message: "", diagnostics: [unknown] } };
  const { stack, errors, diagnostics } = composeStack(program.modules, record.stack, program.moduleSpans.get(record.stack));
  if (diagnostics !== undefined && diagnostics.length > 0) {
    return { ...base, failure: { message: "", diagnostics } };
  }
  if (!stack || errors.length > 0) {
    return { ...base, failure: { message: errors.map((e) => e.headline).join("; ") || `cannot compose stack '${record.stack}'`, diagnostics: [] } };
  }
  return { ...base, stack };
}

/** Compose every host, then build the graph; refuse the run on the errors SPEC §6 lists. */
export function loadFleet(fleetFile: string, scenarios: readonly string[]): LoadedFleet {
  const { fleetDir, source, program, model } = loadFleetFile(fleetFile, scenarios);
  const hosts = model.hosts.map((h) => loadHost(fleetDir, model, h, scenarios, "", source));
  // SPEC §1.4: a scenario no evaluated file defines is a usage error.
  const defined = new Set([...program.scenarios, ...hosts.flatMap((h) => [...(h.program?.scenarios ?? [])])]);
  for (const s of scenarios) {
    if (!defined.has(s)) throw new UsageError(fleetMessages.scenarioNotDefined(s));
  }
  const graph = buildArtifactGraph(hosts.map(hostArtifacts));
  return { fleetFile, fleetDir, fleetSource: source, model, hosts, graph };
}

export function hostArtifacts(h: LoadedHost): HostArtifacts {
  return {
    index: h.record.index,
    machine: h.record.machine,
    evaluated: h.stack !== undefined,
    produces: h.stack ? h.stack.producesArtifacts.map((a) => a.name) : [],
    consumes: h.stack ? h.stack.artifactRefs.map((r) => ({ machine: r.machine, artifact: r.artifact, span: r.span })) : [],
  };
}
