/**
 * The command-line flags a test passes to reach a host over SSH, in one place: the client key,
 * the known_hosts file and, when given, the connect timeout, keepalive and the roots on the host.
 */
export interface SshFlagOptions {
  readonly key: string;
  readonly knownHosts: string;
  readonly connectTimeout?: number;
  readonly keepalive?: number;
  readonly storeRoot?: string;
  readonly deploymentsRoot?: string;
}

export function sshFlags(o: SshFlagOptions): string[] {
  return [
    "--key",
    o.key,
    "--known-hosts",
    o.knownHosts,
    ...(o.connectTimeout !== undefined ? ["--connect-timeout", String(o.connectTimeout)] : []),
    ...(o.keepalive !== undefined ? ["--keepalive", String(o.keepalive)] : []),
    ...(o.storeRoot !== undefined ? ["--store-root", o.storeRoot] : []),
    ...(o.deploymentsRoot !== undefined ? ["--deployments-root", o.deploymentsRoot] : []),
  ];
}
