/**
 * Everything that can refuse an apply before any host is touched (SPEC §6, §7): usage errors,
 * roots, the fleet file and every host file, the targets, the vault file and the artifact graph.
 */
import { FleetError, UsageError } from "../fleet-error.js";
import type { Diagnostic } from "../lang/index.js";
import { selectHosts } from "../plan/selection.js";
import { chooseRoot, expandRoot, type ChosenRoot } from "../store/roots.js";
import type { ApplyOptions } from "./fleet-apply.js";
import { FleetRefusal, loadFleet, type LoadedFleet } from "./fleet-load.js";
import { loadVault } from "./secret-sources.js";
import { checkTargets } from "./transports.js";

export interface Roots {
  readonly store: ChosenRoot;
  readonly deployments: ChosenRoot;
}

export function chooseRoots(store: string | undefined, deployments: string | undefined): Roots {
  const roots = {
    store: chooseRoot(store, process.env["FLEET_STORE_DIR"], "~/.fleet/store", { flag: "--store-root", env: "FLEET_STORE_DIR" }),
    deployments: chooseRoot(deployments, process.env["FLEET_DEPLOYMENTS_DIR"], "~/.fleet/deployments", {
      flag: "--deployments-root",
      env: "FLEET_DEPLOYMENTS_DIR",
    }),
  };
  // Validate now (usage error, exit 2) with a placeholder home; each side expands for real later.
  expandRoot(roots.store.raw, "/", roots.store.origin);
  expandRoot(roots.deployments.raw, "/", roots.deployments.origin);
  return roots;
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
      errors.push(new FleetError("ARTIFACT-CYCLE", `artifact cycle among hosts: ${p.path.map(name).join(" → ")}`));
    }
  }
  if (diagnostics.length > 0 || errors.length > 0) {
    throw new FleetRefusal(diagnostics, [fleet.fleetSource, ...fleet.hosts.flatMap((h) => h.sources)], errors);
  }
}

/** Everything that can refuse the run, in the order a user would want to hear it. */
export function prepareApply(options: ApplyOptions): { fleet: LoadedFleet; roots: Roots; vault: ReadonlyMap<string, string> | undefined } {
  if (options.dryRun && options.transportRoot === undefined) {
    throw new UsageError("--dry-run needs --transport-root; to preview real hosts without writing anything, use 'fleet plan'");
  }
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const fleet = loadFleet(options.fleetFile, options.scenarios);
  checkTargets(fleet.model.hosts, options);
  selectHosts(fleet.model.hosts, options.only);
  const vault = loadVault(options.vaultSecrets);
  refuseOnGraphProblems(fleet);
  return { fleet, roots, vault };
}


/** `app/endpoint` → [`app`, `endpoint`]. */
export function splitArtifact(id: string): [string, string] {
  const slash = id.indexOf("/");
  return [id.slice(0, slash), id.slice(slash + 1)];
}
