/**
 * From a target and the command's SSH flags to the hops fleet connects through: every ProxyJump
 * host, then the target, each with its own address, user, keys, known_hosts and host-key policy.
 * Precedence (ADR 115): command-line flags > the target URL > ssh_config > defaults. Pure apart
 * from reading the local user name; files are read when connecting.
 */
import { userInfo } from "node:os";
import { join } from "node:path";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { expandTilde, homeDir, resolveHostConfig, type HostConfig, type Sourced, type SshConfig } from "./ssh-config.js";
import { parseTarget } from "./target.js";

/** The SSH flags of a command, applied to every hop. */
export interface RouteFlags {
  readonly key?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly connectTimeoutMs?: number;
  /** Agent socket; default `SSH_AUTH_SOCK`. */
  readonly agent?: string;
}

export interface KeyFile {
  readonly path: string;
  /** Named by --key or IdentityFile (an unusable one is reported); else a default one (skipped quietly). */
  readonly named: boolean;
  /** --key: an unusable file fails the host at once (the user asked for exactly this key). */
  readonly required: boolean;
}

export interface SshHop {
  /** How messages name the hop: the target as written, or `jump host NAME`. */
  readonly label: string;
  /** True for the jump hosts, false for the target (the last hop). */
  readonly isJump: boolean;
  readonly user: string;
  /** Address to connect to (HostName, or the name as written). */
  readonly host: string;
  readonly port: number;
  /** The name looked up in known_hosts (HostKeyAlias, else `host`), with `port`. */
  readonly hostKeyName: string;
  readonly keyFiles: readonly KeyFile[];
  /** Agent socket whose keys are offered first; absent with --key or when none is running. */
  readonly agent?: string;
  /** IdentitiesOnly: only agent keys that match `keyFiles` are offered. */
  readonly identitiesOnly: boolean;
  /** known_hosts files: checked together, a new key is appended to the first. */
  readonly knownHosts: readonly string[];
  readonly acceptNewHostKeys: boolean;
  readonly connectTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** More hops than this is taken for a ProxyJump loop. */
export const MAX_HOPS = 8;
const DEFAULT_IDENTITIES = ["id_ed25519", "id_ecdsa", "id_rsa"];

interface HopSpec {
  readonly name: string;
  readonly user?: string;
  readonly port?: number;
  /** Where this spec was written (for messages): a ProxyJump line, or absent for the target. */
  readonly where?: string;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? "root";
  }
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, one element of a ProxyJump list. */
export function parseJump(spec: string, where: string): HopSpec {
  const m = /^(?:ssh:\/\/)?(?:([^@\s/]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(spec);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) {
    throw new FleetError(fleetMessages.proxyjumpUserHostPort(where, spec));
  }
  const name = m[2]!.startsWith("[") ? m[2]!.slice(1, -1) : m[2]!;
  return { name, where, ...(m[1] !== undefined ? { user: m[1] } : {}), ...(port !== undefined ? { port } : {}) };
}

/** A ProxyJump value: `none` is no jump; otherwise hops in the order they are passed through. */
export function parseJumpList(jump: Sourced<string> | undefined): HopSpec[] {
  if (!jump || jump.value.toLowerCase() === "none") return [];
  return jump.value.split(",").map((s) => parseJump(s.trim(), jump.where));
}

/** ssh_config tokens of file paths: %d %u %h %r %p %n %%, and a leading `~`. */
function expandPath(p: string, t: { host: string; user: string; port: number; name: string }): string {
  const tokens: Record<string, string> = { "%": "%", d: homeDir(), u: localUser(), h: t.host, r: t.user, p: String(t.port), n: t.name };
  return expandTilde(p.replace(/%([%duhrpn])/g, (_m, c: string) => tokens[c]!));
}

/** The hops to `target`, jump hosts first, the target last. */
export function resolveRoute(target: string, flags: RouteFlags, config: SshConfig): SshHop[] {
  const t = parseTarget(target);
  const spec: HopSpec = { name: t.host, user: t.user, ...(t.explicitPort ? { port: t.port } : {}) };
  return route(spec, undefined, flags, config, target, 1);
}

/**
 * Hops to `spec`: through `via` when a ProxyJump list put it there (OpenSSH: `-J a,b` reaches b
 * through a), else through its own ProxyJump.
 */
function route(spec: HopSpec, via: readonly HopSpec[] | undefined, flags: RouteFlags, config: SshConfig, target: string, depth: number): SshHop[] {
  if (depth > MAX_HOPS) {
    throw new FleetError(fleetMessages.tooManyHops(MAX_HOPS, target, spec.where ?? ""), { host: target });
  }
  const hc = resolveHostConfig(config, spec.name);
  const hop = makeHop(spec, hc, flags, target, depth === 1);
  const jumps = via ?? parseJumpList(hc.proxyJump);
  if (jumps.length === 0) {
    if (hc.proxyCommand && hc.proxyCommand.value.toLowerCase() !== "none") {
      throw new FleetError(fleetMessages.proxycommandSupportedFleetUse(hc.proxyCommand.where, hop.label), { host: target });
    }
    return [hop];
  }
  const last = jumps[jumps.length - 1]!;
  return [...route(last, jumps.length > 1 ? jumps.slice(0, -1) : undefined, flags, config, target, depth + 1), hop];
}

function makeHop(spec: HopSpec, hc: HostConfig, flags: RouteFlags, target: string, isTarget: boolean): SshHop {
  const user = spec.user ?? hc.user?.value ?? localUser();
  const host = hc.hostName ? hc.hostName.value.replace(/%([%h])/g, (_m, c: string) => (c === "h" ? spec.name : "%")) : spec.name;
  const port = spec.port ?? hc.port?.value ?? 22;
  const label = isTarget ? target : `jump host ${spec.name}`;
  const tokens = { host, user, port, name: spec.name };

  let acceptNewHostKeys = flags.acceptNewHostKeys === true;
  if (!acceptNewHostKeys && hc.strictHostKeyChecking) {
    const s = hc.strictHostKeyChecking;
    if (s.value === "no") {
      throw new FleetError(fleetMessages.stricthostkeycheckingRefusedFleetNever(s.where, label), { host: target });
    }
    acceptNewHostKeys = s.value === "accept-new";
  }

  const knownHosts = flags.knownHosts !== undefined
    ? [flags.knownHosts]
    : hc.userKnownHostsFiles
      ? hc.userKnownHostsFiles.value.filter((f) => f.toLowerCase() !== "none").map((f) => expandPath(f, tokens))
      : [join(homeDir(), ".ssh", "known_hosts")];

  const keyFiles: KeyFile[] = [];
  if (flags.key !== undefined) keyFiles.push({ path: flags.key, named: true, required: true });
  for (const f of hc.identityFiles) keyFiles.push({ path: expandPath(f.value, tokens), named: true, required: false });
  if (keyFiles.length === 0) {
    for (const n of DEFAULT_IDENTITIES) keyFiles.push({ path: join(homeDir(), ".ssh", n), named: false, required: false });
  }
  const agent = flags.key === undefined ? flags.agent ?? process.env["SSH_AUTH_SOCK"] : undefined;

  const timeout = flags.connectTimeoutMs ?? (hc.connectTimeoutSeconds ? hc.connectTimeoutSeconds.value * 1000 : DEFAULT_CONNECT_TIMEOUT_MS);
  return {
    label,
    isJump: !isTarget,
    user,
    host,
    port,
    hostKeyName: hc.hostKeyAlias?.value ?? host,
    keyFiles,
    ...(agent ? { agent } : {}),
    identitiesOnly: hc.identitiesOnly?.value === true,
    knownHosts,
    acceptNewHostKeys,
    connectTimeoutMs: timeout,
  };
}
