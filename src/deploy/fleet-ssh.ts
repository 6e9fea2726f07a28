/** `fleet ssh FLEET HOST` (issue 14, ADR 184): pick one host record, open a shell there. */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { hostNode, lifecycleOf } from "../plan/fleet-model.js";
import type { SessionIo } from "../transport/ssh-session.js";
import { loadFleetFile } from "../load/fleet-load.js";
import { checkTargets, type TransportOptions } from "../transport/open-transport.js";

export async function fleetSsh(options: TransportOptions & { readonly fleetFile: string; readonly host: string }, io: SessionIo): Promise<number> {
  if (options.transportRoot !== undefined) throw new UsageError(fleetMessages.sshNeedsSsh());
  const { model } = loadFleetFile(options.fleetFile, []);
  const matches = model.hosts.filter((h) => h.machine === options.host || h.stack === options.host);
  const targets = [...new Set(matches.map((h) => h.target))];
  if (targets.length === 0) {
    const names = [...new Set(model.hosts.map(hostNode))].sort();
    throw new UsageError(fleetMessages.sshUnknownHost(options.host, names.join(", ") || "(none)"));
  }
  if (targets.length > 1) throw new UsageError(fleetMessages.sshAmbiguousHost(options.host, targets.length, targets.join(", ")));
  if (matches.every((h) => lifecycleOf(h) === "decommissioned")) {
    throw new UsageError(fleetMessages.sshHostDecommissioned(options.host));
  }
  checkTargets(matches, options);
  const { interactiveSession } = await import("../transport/ssh-session.js");
  return interactiveSession(
    {
      target: targets[0]!,
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.sshConfig !== undefined ? { sshConfig: options.sshConfig } : {}),
    },
    io,
  );
}
