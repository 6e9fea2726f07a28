/** Flags shared by several commands, declared once. */
import { InvalidArgumentError, Option, type Command } from "commander";

export function positiveInt(what: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${what} must be a whole number ≥ 1`);
    return Number(v);
  };
}

/**
 * Hosts worked on at once when `--jobs` is not given (ADR 170: colmena's 10). Order rules and the
 * report do not depend on it: output off a TTY is byte-identical for every value.
 */
export const DEFAULT_JOBS = 10;

export function addJobsFlag(cmd: Command, what: string): Command {
  return cmd.option("--jobs <n>", `${what} up to N hosts at once (default ${DEFAULT_JOBS})`, positiveInt("--jobs"), DEFAULT_JOBS);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** The target flags of apply, also taken by rollback, plan, status and verify (SPEC §7). */
export function addTargetFlags(cmd: Command): Command {
  return cmd
    .option("--store-root <path>", "store location (default ~/.fleet/store, or FLEET_STORE_DIR)")
    .option("--deployments-root <path>", "where each host's gen-NNN.json lives (default ~/.fleet/deployments, or FLEET_DEPLOYMENTS_DIR)")
    .option("--transport-root <path>", "hermetic: deploy each host to <path>/<sanitised-target>/ instead of SSH")
    .option("-F, --ssh-config <file>", "OpenSSH client configuration for ssh:// targets, or none (default ~/.ssh/config)")
    .option("--key <path>", "SSH private key for ssh:// targets (default: ssh-agent)")
    .option("--known-hosts <path>", "host-key pin file for ssh:// targets (default ~/.ssh/known_hosts)")
    .option("--accept-new-host-keys", "trust and record the host key of a host seen for the first time")
    .option("--connect-timeout <seconds>", "SSH connect timeout in seconds (default: ConnectTimeout of ssh_config, else 10)", positiveInt("--connect-timeout"))
    .option("--keepalive <seconds>", "SSH keepalive interval (default 10); a host missing 3 in a row counts as dropped", positiveInt("--keepalive"))
    .option("--sudo", "on ssh:// targets, do every privileged step through 'sudo -n' (a record's sudo field overrides)");
}

export function addScenarioFlag(cmd: Command): Command {
  return cmd.option("--scenario <name>", "evaluate under the named scenario (repeatable)", collect, [] as string[]);
}

export function addJsonFlag(cmd: Command): Command {
  return cmd.addOption(new Option("--json", "print one JSON document instead of lines"));
}

export interface TargetFlagValues {
  storeRoot?: string;
  deploymentsRoot?: string;
  transportRoot?: string;
  key?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  connectTimeout?: number;
  sshConfig?: string;
  keepalive?: number;
  sudo?: boolean;
}

export function transportOptions(o: TargetFlagValues) {
  return {
    ...(o.transportRoot !== undefined ? { transportRoot: o.transportRoot } : {}),
    ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.knownHosts !== undefined ? { knownHosts: o.knownHosts } : {}),
    acceptNewHostKeys: Boolean(o.acceptNewHostKeys),
    ...(o.connectTimeout !== undefined ? { connectTimeoutMs: o.connectTimeout * 1000 } : {}),
    ...(o.sshConfig !== undefined ? { sshConfig: o.sshConfig } : {}),
    ...(o.keepalive !== undefined ? { keepaliveMs: o.keepalive * 1000 } : {}),
    sudo: Boolean(o.sudo),
  };
}

/** `--only NAME,@tag` (repeatable): machine names, stack names or tags. */
export function addOnlyFlag(cmd: Command): Command {
  return cmd.option("--only <selectors>", "only these hosts: machine or stack names and @tags, comma-separated", collect, [] as string[]);
}
