/**
 * Everything that can refuse an apply before any host is touched (SPEC §6, §7): usage errors,
 * roots, the fleet file and every host file, the targets, the vault file and the artifact graph.
 */
import { selectHosts } from "../plan/selection.js";
import { chooseRoot, expandRoot, type ChosenRoot } from "../store/roots.js";
import type { LoadOptions } from "./run-options.js";
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

/** What a run works on once nothing refused it: the loaded fleet, the roots and the vault. */
export interface PreparedRun {
  readonly fleet: LoadedFleet;
  readonly roots: Roots;
  readonly vault: ReadonlyMap<string, string> | undefined;
}

/**
 * Everything that can refuse a plan or an apply, in the order a user would want to hear it
 * (apply checks its own usage errors first).
 */
export function prepareRun(options: LoadOptions): PreparedRun {
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const fleet = loadFleet(options.fleetFile, options.scenarios);
  checkTargets(fleet.model.hosts, options);
  selectHosts(fleet.model.hosts, options.only);
  const vault = loadVault(options.vaultSecrets);
  refuseOnGraphProblems(fleet);
  return { fleet, roots, vault };
}

