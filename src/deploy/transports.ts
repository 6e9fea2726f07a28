/** Chooses and opens the transport of each host record: a folder under --transport-root, or SSH. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../fleet-error.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { LocalTransport } from "../transport/local.js";
import { loadSshConfig } from "../transport/ssh-config.js";
import { parseTarget, sanitiseTarget, targetUser } from "../transport/target.js";
import type { Transport } from "../transport/transport.js";

export interface TransportOptions {
  readonly transportRoot?: string;
  readonly key?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly connectTimeoutMs?: number;
  /** `-F FILE` (or `none`); default ~/.ssh/config when present. */
  readonly sshConfig?: string;
}

/** Usage errors about targets, raised before any host is contacted (exit 2). */
export function checkTargets(hosts: readonly HostRecord[], options: TransportOptions): void {
  if (options.transportRoot !== undefined) {
    const byDir = new Map<string, string>();
    for (const h of hosts) {
      const dir = sanitiseTarget(h.target);
      const other = byDir.get(dir);
      if (other !== undefined && other !== h.target) {
        throw new UsageError(`targets '${other}' and '${h.target}' both map to '${dir}' under --transport-root; make them differ`);
      }
      byDir.set(dir, h.target);
    }
    return;
  }
  for (const h of hosts) parseTarget(h.target);
  // A malformed configuration file is a usage error located file:line, before any host (ADR 115).
  loadSshConfig(options.sshConfig);
  if (options.key !== undefined && !existsSync(options.key)) {
    throw new UsageError(`--key ${options.key}: no such file; give the path of an SSH private key`);
  }
}

/** Directory a target maps to under --transport-root (a relative root is taken from the cwd). */
export function hermeticDir(transportRoot: string, target: string): string {
  return resolve(transportRoot, sanitiseTarget(target));
}

export async function openTransport(target: string, options: TransportOptions): Promise<Transport> {
  if (options.transportRoot !== undefined) {
    return new LocalTransport({ root: hermeticDir(options.transportRoot, target), target, user: targetUser(target) });
  }
  const { openSshTransport } = await import("../transport/ssh-transport.js");
  return openSshTransport({
    target,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.sshConfig !== undefined ? { sshConfig: options.sshConfig } : {}),
  });
}
