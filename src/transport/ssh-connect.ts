/**
 * Opening the ssh2 connection to a target: the hops of its route (ProxyJump hosts first, each
 * reached through a channel of the one before), key and agent auth, host-key verification of every
 * hop against known_hosts, connect timeout, keepalive. Every failure becomes a one-sentence
 * FleetError naming the target and, for a jump host, the hop.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import ssh2, { type AnyAuthMethod, type Client, type ConnectConfig, type IdentityCallback, type ParsedKey } from "ssh2";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostLookupName,
  keyTypeOf,
  readKnownHosts,
  type HostKeyVerdict,
} from "./known-hosts.js";
import { loadSshConfig, type SshConfig } from "./ssh-config.js";
import { resolveRoute, type SshHop } from "./ssh-route.js";
import type { SshTarget } from "./target.js";

export { DEFAULT_CONNECT_TIMEOUT_MS } from "./ssh-route.js";

export interface SshConnectOptions {
  /** `ssh://user@host[:port]` as written in the host record; `host` may be a Host alias. */
  readonly target: string;
  /** Private key file (ed25519 or RSA, unencrypted), tried first on every hop; the agent is then not used. */
  readonly key?: string;
  /** known_hosts file every hop's key is checked against; default: ssh_config, else ~/.ssh/known_hosts. */
  readonly knownHosts?: string;
  /** Trust and record a host key on first contact; never for a changed or revoked key. */
  readonly acceptNewHostKeys?: boolean;
  /** TCP connect + handshake + auth budget per hop; default ssh_config ConnectTimeout, else 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Agent socket; default `SSH_AUTH_SOCK`. Ignored when `key` is given. */
  readonly agent?: string;
  /** Keepalive period; a peer that misses 3 in a row counts as dropped. Default 10 000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** OpenSSH client configuration file (`-F`); `none` for none; default ~/.ssh/config when present. */
  readonly sshConfig?: string;
}

/** Read and check a private key; an encrypted key gets its own message (no prompt in fleet). */
export function loadPrivateKey(path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetError(fleetMessages.cannotReadKeyPass(path, code ?? String(e)));
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    if (/passphrase|encrypted/i.test(parsed.message)) {
      throw new FleetError(fleetMessages.keyPassphraseProtectedUse(path));
    }
    throw new FleetError(fleetMessages.keyUsablePrivateKey(path, parsed.message));
  }
  return data;
}


export interface OpenedConnection {
  /** The authenticated connection to the target (through the jump hosts, which close with it). */
  readonly client: Client;
  /** The target's resolved user, address and port. */
  readonly ssh: SshTarget;
}

export async function connectClient(opts: SshConnectOptions): Promise<OpenedConnection> {
  const hops = routeOf(opts, loadSshConfig(opts.sshConfig));
  const clients: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (const [i, hop] of hops.entries()) {
      if (i > 0) sock = await forward(clients[i - 1]!, hops[i - 1]!, hop, opts.target);
      clients.push(await connectHop(hop, sock, opts));
    }
  } catch (e) {
    for (const c of clients.reverse()) c.end();
    throw e;
  }
  const client = clients[clients.length - 1]!;
  const jumps = clients.slice(0, -1).reverse();
  if (jumps.length > 0) client.once("close", () => jumps.forEach((c) => c.end()));
  const last = hops[hops.length - 1]!;
  return { client, ssh: { user: last.user, host: last.host, port: last.port, explicitPort: true } };
}

/** The hops to the target; a configuration problem for this target fails this host only. */
function routeOf(opts: SshConnectOptions, config: SshConfig): SshHop[] {
  return resolveRoute(opts.target, {
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.knownHosts !== undefined ? { knownHosts: opts.knownHosts } : {}),
    ...(opts.acceptNewHostKeys !== undefined ? { acceptNewHostKeys: opts.acceptNewHostKeys } : {}),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
  }, config);
}

/** How messages name a hop: the target as written, or the jump host with where it really is. */
function hopName(hop: SshHop): string {
  return hop.isJump ? `${hop.label} (${hop.user}@${hop.host}:${hop.port})` : hop.label;
}

/** A direct-tcpip channel from `via` to the next hop, the socket of the next connection. */
function forward(via: Client, viaHop: SshHop, hop: SshHop, target: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new FleetError(fleetMessages.cannotReachThroughConnection(hopName(hop), hopName(viaHop), hop.connectTimeoutMs), { host: target }));
    }, hop.connectTimeoutMs);
    via.forwardOut("127.0.0.1", 0, hop.host, hop.port, (err, channel) => {
      clearTimeout(timer);
      if (err) {
        const why = err.message.replace(/^\(SSH\) /, "");
        reject(new FleetError(fleetMessages.cannotReachThroughCheck(hopName(hop), hopName(viaHop), why), { host: target, cause: err }));
      } else resolve(channel);
    });
  });
}

/** Public key blobs a key file stands for: its `.pub` beside it, else the unencrypted private key. */
function publicBlob(path: string): Buffer | undefined {
  for (const file of [`${path}.pub`, path]) {
    if (!existsSync(file)) continue;
    try {
      const k = ssh2.utils.parseKey(readFileSync(file));
      if (!(k instanceof Error)) return (Array.isArray(k) ? (k[0] as ParsedKey) : k).getPublicSSH();
    } catch {
      /* unreadable: try the other form */
    }
  }
  return undefined;
}

/** An agent that offers only the keys IdentitiesOnly allows. */
class FilteredAgent extends ssh2.OpenSSHAgent {
  constructor(socket: string, private readonly allowed: readonly Buffer[]) {
    super(socket);
  }
  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      if (err) return cb(err);
      cb(undefined, (keys ?? []).filter((k) => "getPublicSSH" in k && this.allowed.some((b) => b.equals(k.getPublicSSH()))));
    });
  }
}

interface AuthPlan {
  readonly methods: AnyAuthMethod[];
  /** `key X`, `the keys of ssh-agent and key Y`: what the server refused, for the message. */
  readonly authWith: string;
}

/** Agent keys first (as OpenSSH), then the key files; unusable optional files are skipped. */
function authPlan(hop: SshHop, target: string): AuthPlan {
  const methods: AnyAuthMethod[] = [];
  const used: string[] = [];
  const skipped: string[] = [];
  if (hop.agent) {
    const agent = hop.identitiesOnly
      ? new FilteredAgent(hop.agent, hop.keyFiles.map((k) => publicBlob(k.path)).filter((b): b is Buffer => b !== undefined))
      : hop.agent;
    methods.push({ type: "agent", username: hop.user, agent });
    used.push("the keys of ssh-agent");
  }
  for (const kf of hop.keyFiles) {
    if (kf.required) {
      try {
        methods.push({ type: "publickey", username: hop.user, key: loadPrivateKey(kf.path) });
      } catch (e) {
        if (e instanceof FleetError) throw e.onHost(target);
        throw e;
      }
      used.push(`key ${kf.path}`);
      continue;
    }
    if (!existsSync(kf.path)) {
      if (kf.named) skipped.push(`IdentityFile ${kf.path} does not exist`);
      continue;
    }
    try {
      methods.push({ type: "publickey", username: hop.user, key: loadPrivateKey(kf.path) });
      used.push(`key ${kf.path}`);
    } catch (e) {
      // A passphrase-protected file is fine when its key is in the agent.
      if (kf.named && !(hop.agent && /passphrase/.test(String((e as Error).message)))) skipped.push((e as Error).message);
    }
  }
  if (methods.length === 0) {
    const why = skipped.length > 0 ? ` (${skipped.join("; ")})` : "";
    throw new FleetError(fleetMessages.noSshKey(hopName(hop), why), { host: target });
  }
  return { methods, authWith: used.join(" and ") };
}

/** Judge an offered key against every known_hosts file of the hop: revoked > match > mismatch > unknown. */
function judgeHostKey(files: readonly string[], name: string, port: number, key: Buffer): { verdict: HostKeyVerdict; file: string | undefined } {
  const verdicts = files.map((file) => ({ file, verdict: checkHostKey(readKnownHosts(file), name, port, key) }));
  for (const kind of ["revoked", "match", "mismatch"] as const) {
    const hit = verdicts.find((v) => v.verdict.kind === kind);
    if (hit) return hit;
  }
  return { verdict: { kind: "unknown" }, file: files[0] };
}

function connectHop(hop: SshHop, sock: Duplex | undefined, opts: SshConnectOptions): Promise<Client> {
  const target = opts.target;
  const { methods, authWith } = authPlan(hop, target);
  const timeout = hop.connectTimeoutMs;
  const config: ConnectConfig = {
    host: hop.host,
    port: hop.port,
    username: hop.user,
    readyTimeout: timeout,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: 3,
    authHandler: methods,
    // AES-GCM runs in OpenSSL with AES-NI; ssh2's chacha20-poly1305 may fall back to slower code.
    algorithms: { cipher: { prepend: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] } } as ConnectConfig["algorithms"],
    ...(sock ? { sock } : {}),
  };
  const prefix = hop.isJump ? `${hopName(hop)}: ` : "";

  // ssh2 reports a refused host key only as "verification failed"; keep our reason to rethrow.
  let hostKeyRefusal: string | undefined;
  config.hostVerifier = (key: Buffer): boolean => {
    const { verdict, file } = judgeHostKey(hop.knownHosts, hop.hostKeyName, hop.port, key);
    const who = hostLookupName(hop.hostKeyName, hop.port);
    const offered = `offered ${keyTypeOf(key)} ${fingerprint(key)}`;
    switch (verdict.kind) {
      case "match":
        return true;
      case "revoked":
        hostKeyRefusal = `${prefix}host key for ${who} is revoked: ${offered} (line ${verdict.line} of ${file}); refusing to connect`;
        return false;
      case "mismatch":
        hostKeyRefusal = `${prefix}host key for ${who} does not match: ${offered}; if the host was legitimately re-keyed, replace line ${verdict.line} of ${file}`;
        return false;
      case "unknown":
        if (hop.acceptNewHostKeys && file !== undefined) {
          appendKnownHost(file, hop.hostKeyName, hop.port, key);
          return true;
        }
        hostKeyRefusal = file === undefined
          ? `${prefix}host key for ${who} cannot be checked: UserKnownHostsFile is none; name a known_hosts file`
          : `${prefix}host key for ${who} is unknown: ${offered}; pass --accept-new-host-keys to trust it on first contact`;
        return false;
    }
  };

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    client.once("ready", () => {
      settled = true;
      client.setNoDelay(true);
      resolve(client);
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (settled) return; // the transport's own listeners report later failures
      settled = true;
      client.end();
      reject(connectError(hop, target, authWith, hostKeyRefusal, err));
    });
    client.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new FleetError(fleetMessages.connectionClosedDuringSsh(hopName(hop)), { host: target }));
    });
    client.connect(config);
  });
}

function connectError(
  hop: SshHop,
  target: string,
  authWith: string,
  hostKeyRefusal: string | undefined,
  err: Error & { level?: string; code?: string },
): FleetError {
  const o = { host: target, cause: err };
  const name = hopName(hop);
  if (hostKeyRefusal) return new FleetError(fleetMessages.hostKeyRefused(hostKeyRefusal), o);
  if (err.level === "client-authentication") {
    return new FleetError(fleetMessages.refusedPublickeyAuthenticationFailed(name, authWith), o);
  }
  if (err.level === "client-timeout") {
    return new FleetError(fleetMessages.cannotReachSshSession(name, hop.connectTimeoutMs), o);
  }
  if (err.code === "ECONNREFUSED") {
    return new FleetError(fleetMessages.cannotConnectConnectionRefused(name), o);
  }
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
    return new FleetError(hop.isJump ? fleetMessages.cannotResolveJumpHost(name) : fleetMessages.cannotResolveTarget(target), o);
  }
  return new FleetError(fleetMessages.cannotConnect(name, err.message), o);
}
