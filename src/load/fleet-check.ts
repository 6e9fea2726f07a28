/**
 * `fleet check` of a fleet file (SPEC §1.4): the fleet file, then each host file in its own
 * evaluation with its injected `Fleet`, exactly as `apply` composes it, plus the artifact graph's
 * refusals. Reads files; touches no host.
 */
import { readFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import type { Diagnostic, SourceFile } from "../lang/index.js";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { FleetRefusal, hostArtifacts, loadFleetFile, loadHost, type LoadedFleet } from "./fleet-load.js";
import { buildArtifactGraph } from "../plan/artifact-graph.js";
import { targetProblem } from "../transport/target.js";

export interface FleetCheckResult {
  readonly sources: readonly SourceFile[];
  readonly diagnostics: readonly Diagnostic[];
  /** Problems that are not located diagnostics (bad host file paths, compose errors, cycles). */
  readonly errors: readonly string[];
  readonly scenarios: ReadonlySet<string>;
  /** Absolute paths of the host files this fleet reaches. */
  readonly reached: ReadonlySet<string>;
}

export function isFleetFile(path: string): boolean {
  try {
    return /^\s*module\s+Fleet(?![A-Za-z0-9_-])/m.test(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

/** Name files from the working directory so several fleets in one check stay distinguishable. */
function prefixFor(fleetFile: string): string {
  const rel = relative(process.cwd(), dirname(resolve(fleetFile)));
  return rel === "" ? "" : `${rel.split(sep).join("/")}/`;
}

export function checkFleet(fleetFile: string, scenarios: readonly string[]): FleetCheckResult {
  const prefix = prefixFor(fleetFile);
  let loaded;
  try {
    loaded = loadFleetFile(fleetFile, scenarios, prefix);
  } catch (e) {
    if (!(e instanceof FleetRefusal)) throw e;
    return { sources: e.sources, diagnostics: e.diagnostics, errors: e.errors.map((x) => x.headline), scenarios: new Set(), reached: new Set() };
  }
  const { fleetDir, source, program, model } = loaded;
  const hosts = model.hosts.map((h) => loadHost(fleetDir, model, h, scenarios, prefix, source));
  const diagnostics: Diagnostic[] = [];
  const errors: string[] = [];
  // The targets `apply` would refuse, whichever transport it would use (ADR 133).
  for (const r of model.hosts) {
    const problem = targetProblem(r.target);
    if (problem !== undefined) errors.push(`host record ${r.index + 1} (${r.stack}): ${problem}`);
  }
  for (const h of hosts) {
    if (!h.failure) continue;
    if (h.failure.diagnostics.length > 0) diagnostics.push(...h.failure.diagnostics);
    else errors.push(`${h.record.stack} → ${h.record.target}: ${h.failure.message}`);
  }
  const fleet: LoadedFleet = {
    fleetFile,
    fleetDir,
    fleetSource: source,
    model,
    hosts,
    graph: buildArtifactGraph(hosts.map(hostArtifacts)),
  };
  try {
    refuseOnGraphProblems(fleet);
  } catch (e) {
    if (!(e instanceof FleetRefusal)) throw e;
    diagnostics.push(...e.diagnostics);
    errors.push(...e.errors.map((x) => x.headline));
  }
  return {
    sources: [source, ...hosts.flatMap((h) => h.sources)],
    diagnostics,
    errors,
    scenarios: new Set([...program.scenarios, ...hosts.flatMap((h) => [...(h.program?.scenarios ?? [])])]),
    reached: new Set(hosts.flatMap((h) => (h.absFile ? [h.absFile] : []))),
  };
}

/** Fleet-level refusals from the artifact graph (SPEC §6): nothing is touched. */
export function refuseOnGraphProblems(fleet: LoadedFleet): void {
  const diagnostics: Diagnostic[] = [];
  const errors: FleetError[] = [];
  const name = (i: number): string => fleet.hosts[i]!.record.machine ?? fleet.hosts[i]!.record.stack;
  for (const p of fleet.graph.problems) {
    if (p.kind === "missing") {
      diagnostics.push({ code: "ARTIFACT-MISSING", message: `consumed artifact '${p.artifact}' is not produced: ${p.reason}`, span: p.span, labels: [] });
    } else if (p.kind === "no-machine") {
      const r = fleet.hosts[p.consumer]!.record;
      diagnostics.push({
        code: "E14",
        message: `host record ${r.index + 1} (${r.stack} → ${r.target}) consumes an artifact but has no 'machine'`,
        span: p.span,
        labels: [],
        hint: "add machine = \"…\" to that host record in the fleet file",
      });
    } else {
      errors.push(new FleetError(fleetMessages.artifactCycleAmongHosts(p.path.map(name).join(" → "))));
    }
  }
  if (diagnostics.length > 0 || errors.length > 0) {
    throw new FleetRefusal(diagnostics, [fleet.fleetSource, ...fleet.hosts.flatMap((h) => h.sources)], errors);
  }
}
