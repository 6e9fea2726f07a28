/**
 * Everything that can refuse an apply before any host is touched (SPEC §6, §7): usage errors,
 * roots, the fleet file and every host file, the targets, the vault file and the artifact graph.
 */
import { UsageError } from "../fleet-error.js";
import { selectHosts } from "../plan/selection.js";
import { chooseRoot, expandRoot, type ChosenRoot } from "../store/roots.js";
import type { ApplyOptions } from "./fleet-apply.js";
import { refuseOnGraphProblems } from "../load/fleet-check.js";
import { loadFleet, type LoadedFleet } from "../load/fleet-load.js";
import { loadVault } from "./secret-sources.js";
import { checkTargets } from "../transport/open-transport.js";

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
