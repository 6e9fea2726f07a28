/**
 * `fleet info` and `fleet machines` (issue 14, ADR 181): the registry of the Fleet module, and
 * each machine's current generation read from its current manifest. Read-only, like `status`:
 * no host file is evaluated, nothing is written, decommissioned hosts are never contacted.
 * Emits rows; never prints.
 */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { readCurrent } from "../manifest/generations.js";
import { stackDir } from "../manifest/layout.js";
import { lifecycleOf, type FleetModel, type HostRecord, type Lifecycle } from "../plan/fleet-model.js";
import { selectHosts } from "../plan/selection.js";
import { LIFECYCLES } from "../lang/index.js";
import { expandRoot } from "../store/roots.js";
import type { Transport } from "../transport/transport.js";
import { chooseRoots } from "./fleet-prepare.js";
import { loadFleetFile } from "../load/fleet-load.js";
import { mapLimit } from "./map-limit.js";
import { checkTargets, openTransport, type TransportOptions } from "../transport/open-transport.js";
import { hostError } from "./fleet-status.js";

export interface RegistryOptions {
  readonly fleetFile: string;
  readonly scenarios: readonly string[];
  readonly only?: readonly string[];
  /** `--tags a,b`: hosts carrying every one of these tags. */
  readonly tags?: readonly string[];
  readonly lifecycle?: string;
}

/** The fleet's registry: the selected host records and the machines/globals data model. */
export function fleetRegistry(options: RegistryOptions): { model: FleetModel; hosts: HostRecord[] } {
  const { model } = loadFleetFile(options.fleetFile, options.scenarios);
  return { model, hosts: filterHosts(model.hosts, options) };
}

function filterHosts(hosts: readonly HostRecord[], options: RegistryOptions): HostRecord[] {
  if (options.lifecycle !== undefined && !(LIFECYCLES as readonly string[]).includes(options.lifecycle)) {
    throw new UsageError(fleetMessages.badLifecycleFlag(LIFECYCLES.join(", "), options.lifecycle));
  }
  const selected = selectHosts(hosts, options.only);
  const tags = (options.tags ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter((t) => t !== "");
  return hosts.filter(
    (h) =>
      selected.has(h.index) &&
      tags.every((t) => h.tags.includes(t)) &&
      (options.lifecycle === undefined || lifecycleOf(h) === (options.lifecycle as Lifecycle)),
  );
}

export interface MachinesOptions extends RegistryOptions, TransportOptions {
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
  readonly jobs: number;
}

export interface MachineRow {
  readonly host: HostRecord;
  /** `not-contacted` for decommissioned hosts. */
  readonly state: "deployed" | "never-deployed" | "not-contacted" | "failed";
  readonly generation?: number;
  readonly deployedAt?: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

/** One row per selected host, in fleet-file order; hosts read up to `jobs` at once. */
export async function fleetMachines(options: MachinesOptions): Promise<MachineRow[]> {
  const roots = chooseRoots(options.storeRoot, options.deploymentsRoot);
  const { model, hosts } = fleetRegistry(options);
  checkTargets(model.hosts, options);
  const transports = new Map<string, Promise<Transport>>();
  const transportFor = (target: string): Promise<Transport> => {
    let t = transports.get(target);
    if (!t) {
      t = openTransport(target, options);
      transports.set(target, t);
    }
    return t;
  };
  try {
    return await mapLimit(hosts, options.jobs, async (host): Promise<MachineRow> => {
      if (lifecycleOf(host) === "decommissioned") return { host, state: "not-contacted" };
      try {
        const transport = await transportFor(host.target);
        const deployments = expandRoot(roots.deployments.raw, await transport.home(), roots.deployments.origin);
        const manifest = await readCurrent(transport, stackDir(deployments, host.stack));
        if (manifest === null) return { host, state: "never-deployed" };
        return { host, state: "deployed", generation: manifest.generation, deployedAt: manifest.deployed_at };
      } catch (e) {
        return { host, state: "failed", error: hostError(e) };
      }
    });
  } finally {
    for (const t of transports.values()) {
      try {
        await (await t).close();
      } catch {
        // A transport that failed to open has nothing to close.
      }
    }
  }
}
