/**
 * Opening one ssh2 connection: key or agent auth, host-key verification against known_hosts,
 * connect timeout, keepalive. Every failure becomes a one-sentence FleetError naming the target.
 */
import { readFileSync } from "node:fs";
import ssh2, { type Client, type ConnectConfig } from "ssh2";
import { FleetError } from "../fleet-error.js";
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostLookupName,
  keyTypeOf,
  readKnownHosts,
} from "./known-hosts.js";
import { parseTarget, type SshTarget } from "./target.js";

export interface SshConnectOptions {
  /** `ssh://user@host[:port]` as written in the host record. */
  readonly target: string;
  /** Private key file (ed25519 or RSA, unencrypted). Without it, the ssh-agent is used. */
  readonly key?: string;
  /** known_hosts file the host key is checked against (and appended to on first contact). */
  readonly knownHosts: string;
  /** Trust and record a host key on first contact; never for a changed or revoked key. */
  readonly acceptNewHostKeys?: boolean;
  /** TCP connect + handshake + auth budget; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Agent socket; default `SSH_AUTH_SOCK`. Ignored when `key` is given. */
  readonly agent?: string;
  /** Keepalive period; a peer that misses 3 in a row counts as dropped. Default 10 000 ms. */
  readonly keepaliveIntervalMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Read and check a private key; an encrypted key gets its own message (no prompt in fleet). */
export function loadPrivateKey(path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetError(undefined, `cannot read key ${path} (${code ?? String(e)}); pass --key with a readable private key file`);
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    if (/passphrase|encrypted/i.test(parsed.message)) {
      throw new FleetError(undefined, `key ${path} is passphrase-protected; use ssh-agent`);
    }
    throw new FleetError(undefined, `key ${path} is not a usable private key (${parsed.message}); pass an unencrypted ed25519 or RSA key`);
  }
  return data;
}

export interface OpenedConnection {
  readonly client: Client;
  readonly ssh: SshTarget;
}

export function connectClient(opts: SshConnectOptions): Promise<OpenedConnection> {
  const ssh = parseTarget(opts.target);
  const timeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const config: ConnectConfig = {
    host: ssh.host,
    port: ssh.port,
    username: ssh.user,
    readyTimeout: timeout,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: 3,
    // AES-GCM runs in OpenSSL with AES-NI; ssh2's chacha20-poly1305 may fall back to slower code.
    algorithms: { cipher: { prepend: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] } } as ConnectConfig["algorithms"],
  };
  let authWith: string;
  if (opts.key !== undefined) {
    config.privateKey = loadPrivateKey(opts.key);
    authWith = `key ${opts.key}`;
  } else {
    const agent = opts.agent ?? process.env.SSH_AUTH_SOCK;
    if (!agent) {
      throw new FleetError(undefined, `no SSH key for ${opts.target}: pass --key or start ssh-agent (SSH_AUTH_SOCK)`, {
        host: opts.target,
      });
    }
    config.agent = agent;
    authWith = "the keys of ssh-agent";
  }

  // ssh2 reports a refused host key only as "verification failed"; keep our reason to rethrow.
  let hostKeyRefusal: string | undefined;
  config.hostVerifier = (key: Buffer): boolean => {
    const entries = readKnownHosts(opts.knownHosts);
    const verdict = checkHostKey(entries, ssh.host, ssh.port, key);
    const who = hostLookupName(ssh.host, ssh.port);
    const offered = `offered ${keyTypeOf(key)} ${fingerprint(key)}`;
    switch (verdict.kind) {
      case "match":
        return true;
      case "revoked":
        hostKeyRefusal = `host key for ${who} is revoked: ${offered} (line ${verdict.line} of ${opts.knownHosts}); refusing to connect`;
        return false;
      case "mismatch":
        hostKeyRefusal = `host key for ${who} does not match: ${offered}; if the host was legitimately re-keyed, replace line ${verdict.line} of ${opts.knownHosts}`;
        return false;
      case "unknown":
        if (opts.acceptNewHostKeys) {
          appendKnownHost(opts.knownHosts, ssh.host, ssh.port, key);
          return true;
        }
        hostKeyRefusal = `host key for ${who} is unknown: ${offered}; pass --accept-new-host-keys to trust it on first contact`;
        return false;
    }
  };

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    client.once("ready", () => {
      settled = true;
      client.setNoDelay(true);
      resolve({ client, ssh });
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (settled) return; // the transport's own listeners report later failures
      settled = true;
      client.end();
      reject(connectError(opts.target, authWith, timeout, hostKeyRefusal, err));
    });
    client.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new FleetError(undefined, `connection to ${opts.target} closed during the SSH handshake; check that sshd is running there`, {
        host: opts.target,
      }));
    });
    client.connect(config);
  });
}

function connectError(
  target: string,
  authWith: string,
  timeout: number,
  hostKeyRefusal: string | undefined,
  err: Error & { level?: string; code?: string },
): FleetError {
  const o = { host: target, cause: err };
  if (hostKeyRefusal) return new FleetError(undefined, hostKeyRefusal, o);
  if (err.level === "client-authentication") {
    return new FleetError(undefined, `${target} refused ${authWith} (publickey authentication failed); authorise its public key for that user or pass another --key`, o);
  }
  if (err.level === "client-timeout") {
    return new FleetError(undefined, `cannot reach ${target}: no SSH session within ${timeout} ms; check the host and port or raise --connect-timeout`, o);
  }
  if (err.code === "ECONNREFUSED") {
    return new FleetError(undefined, `cannot connect to ${target}: connection refused; check that sshd listens on that port`, o);
  }
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
    return new FleetError(undefined, `cannot resolve the host of ${target}; check the target's host name`, o);
  }
  return new FleetError(undefined, `cannot connect to ${target}: ${err.message}`, o);
}
