/**
 * OpenSSH client configuration (`~/.ssh/config`, `-F FILE`): the file is tokenised by the
 * `ssh-config` npm package (quotes, `key=value`, multi-value keywords); fleet keeps the line of
 * every directive and does the matching itself, as ssh_config(5) says: the blocks whose Host
 * patterns match the name as written apply, and for each keyword the first value obtained wins
 * (IdentityFile accumulates). Match blocks are refused (ADR 115). Reading files is the only side
 * effect; resolution is pure.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import SSHConfig, { LineType, type Line } from "ssh-config";
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { globMatch } from "./known-hosts.js";

/** One keyword line: lower-cased keyword, its arguments, and where it was written. */
export interface ConfigDirective {
  readonly keyword: string;
  readonly args: readonly string[];
  /** `file:line`, for messages. */
  readonly where: string;
}

/** Directives before the first Host line (patterns null) or under one Host line. */
export interface ConfigBlock {
  readonly patterns: readonly string[] | null;
  readonly directives: readonly ConfigDirective[];
}

export interface SshConfig {
  /** The file read first, or null when no configuration is used (`-F none`, or no ~/.ssh/config). */
  readonly path: string | null;
  readonly blocks: readonly ConfigBlock[];
}

export const NO_SSH_CONFIG: SshConfig = { path: null, blocks: [] };

/** A value and the `file:line` it came from. */
export interface Sourced<T> {
  readonly value: T;
  readonly where: string;
}

/** What the configuration says about one host name (the alias as written). */
export interface HostConfig {
  readonly hostName?: Sourced<string>;
  readonly user?: Sourced<string>;
  readonly port?: Sourced<number>;
  readonly identityFiles: readonly Sourced<string>[];
  readonly identitiesOnly?: Sourced<boolean>;
  readonly proxyJump?: Sourced<string>;
  readonly proxyCommand?: Sourced<string>;
  readonly userKnownHostsFiles?: Sourced<readonly string[]>;
  readonly strictHostKeyChecking?: Sourced<StrictHostKeyChecking>;
  readonly connectTimeoutSeconds?: Sourced<number>;
  readonly hostKeyAlias?: Sourced<string>;
}

export type StrictHostKeyChecking = "yes" | "accept-new" | "no" | "ask";

/** The user's home for `~` (HOME first, so tests and `sudo -E` behave like OpenSSH). */
export function homeDir(): string {
  return process.env["HOME"] || homedir();
}

/** `~/.ssh/config`: the file OpenSSH reads when no `-F` is given. */
export function defaultSshConfigPath(): string {
  return join(homeDir(), ".ssh", "config");
}

const cache = new Map<string, SshConfig>();

/**
 * The configuration to use: `explicit` (`-F FILE`; `none` for none) must exist; without it,
 * `~/.ssh/config` is read when present. Any malformed line is a usage error located `file:line`.
 * Memoised per path, so checking targets up front and connecting later read the file once.
 */
export function loadSshConfig(explicit?: string): SshConfig {
  if (explicit === "none") return NO_SSH_CONFIG;
  const path = explicit ?? defaultSshConfigPath();
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    if (explicit !== undefined) throw new UsageError(fleetMessages.sshConfigSuchFile(explicit));
    cache.set(path, NO_SSH_CONFIG);
    return NO_SSH_CONFIG;
  }
  const config: SshConfig = { path, blocks: readConfigFile(path, 0) };
  cache.set(path, config);
  return config;
}

function readText(path: string, where: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UsageError(fleetMessages.errorCannotReadSsh(where, path, code));
  }
}

function readConfigFile(path: string, depth: number, includedFrom?: string): ConfigBlock[] {
  return parseSshConfig(readText(path, includedFrom ?? path), path, (pattern, where) => {
    if (depth >= 16) throw new UsageError(fleetMessages.errorIncludeNestedToo(where));
    return includeFiles(pattern, path, where).flatMap((p) => {
      if (statSync(p).isDirectory()) return [];
      return readConfigFile(p, depth + 1, where);
    });
  });
}

/** The files an Include argument names: `~` expanded, relative to ~/.ssh, `*`/`?` in the last part. */
function includeFiles(pattern: string, from: string, where: string): string[] {
  let p = expandTilde(pattern);
  if (!isAbsolute(p)) p = join(from === "/etc/ssh/ssh_config" ? "/etc/ssh" : join(homeDir(), ".ssh"), p);
  const dir = dirname(p);
  const base = p.slice(dir.length + 1);
  if (/[*?[]/.test(dir)) throw new UsageError(fleetMessages.errorIncludeWildcardDirectory(where));
  if (!/[*?]/.test(base)) return existsSync(p) ? [p] : [];
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => globMatch(base, n))
    .sort()
    .map((n) => join(dir, n));
}

export function expandTilde(p: string): string {
  if (p === "~") return homeDir();
  if (p.startsWith("~/")) return join(homeDir(), p.slice(2));
  return p;
}

/** Keywords whose value fleet checks when the file is read (the rest are OpenSSH's business). */
const CHECKED: Record<string, (args: readonly string[]) => string | null> = {
  port: (a) => (/^\d{1,5}$/.test(a[0]!) && Number(a[0]) >= 1 && Number(a[0]) <= 65535 ? null : `Port must be a number from 1 to 65535, not '${a[0]}'`),
  connecttimeout: (a) => (/^\d+$/.test(a[0]!) ? null : `ConnectTimeout must be a whole number of seconds, not '${a[0]}'`),
  stricthostkeychecking: (a) =>
    ["yes", "no", "off", "ask", "accept-new"].includes(a[0]!.toLowerCase()) ? null : `StrictHostKeyChecking must be yes, accept-new, no or ask, not '${a[0]}'`,
  identitiesonly: (a) => (["yes", "no"].includes(a[0]!.toLowerCase()) ? null : `IdentitiesOnly must be yes or no, not '${a[0]}'`),
};

/**
 * Parse one file's text into blocks. `include` expands an Include line into the blocks it reads;
 * an included file's lines before its own first Host line belong to the including block.
 */
export function parseSshConfig(
  text: string,
  file: string,
  include: (pattern: string, where: string) => ConfigBlock[] = (_p, where) => {
    throw new UsageError(fleetMessages.errorIncludeAvailableHere(where));
  },
): ConfigBlock[] {
  let lines: Line[];
  try {
    lines = SSHConfig.parse(text);
  } catch (e) {
    const line = firstBadLine(text);
    const why = e instanceof Error && /line break/.test(e.message) ? "unbalanced quote" : "malformed line";
    throw new UsageError(fleetMessages.errorSshConfiguration(file, line, why));
  }
  const blocks: { patterns: readonly string[] | null; directives: ConfigDirective[] }[] = [{ patterns: null, directives: [] }];
  let lineNo = 1;
  const visit = (node: Line): void => {
    lineNo += countNewlines(node.before);
    if (node.type === LineType.DIRECTIVE) {
      const where = `${file}:${lineNo}`;
      // The tokenizer runs a keyword with no value on into the next line.
      const bare = /[\r\n]/.exec(node.param);
      if (bare) throw new UsageError(fleetMessages.errorNeedsValue(where, node.param.slice(0, bare.index)));
      const keyword = node.param.toLowerCase();
      const args = Array.isArray(node.value) ? node.value.map((v) => v.val) : node.value === "" ? [] : [node.value];
      if (keyword === "match") {
        throw new UsageError(fleetMessages.errorMatchBlocksAre(where));
      }
      if (args.length === 0) throw new UsageError(fleetMessages.errorNeedsValue(where, node.param));
      if (keyword === "host") {
        blocks.push({ patterns: args, directives: [] });
      } else if (keyword === "include") {
        const current = blocks[blocks.length - 1]!;
        for (const arg of args) {
          const [head, ...rest] = include(arg, where);
          if (head) current.directives.push(...head.directives);
          // Host blocks of the included file; lines after the Include belong to the outer block again.
          if (rest.length > 0) blocks.push(...rest.map((b) => ({ patterns: b.patterns, directives: [...b.directives] })), { patterns: current.patterns, directives: [] });
        }
      } else {
        const bad = CHECKED[keyword]?.(args);
        if (bad) throw new UsageError(fleetMessages.sshConfigError(where, bad));
        blocks[blocks.length - 1]!.directives.push({ keyword, args, where });
      }
    }
    lineNo += countNewlines(node.after);
    if ("config" in node) for (const sub of node.config) visit(sub);
  };
  for (const node of lines) visit(node);
  return blocks;
}

function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) if (c === "\n") n++;
  return n;
}

/** The first line the tokenizer rejects: the shortest prefix of lines that fails to parse. */
function firstBadLine(text: string): number {
  const lines = text.split("\n");
  for (let i = 1; i <= lines.length; i++) {
    try {
      SSHConfig.parse(lines.slice(0, i).join("\n"));
    } catch {
      return i;
    }
  }
  return lines.length;
}

/** ssh_config(5) pattern list: some pattern matches and no negated one does; case-insensitive. */
export function hostPatternsMatch(patterns: readonly string[], name: string): boolean {
  let positive = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) positive = true;
  }
  return positive;
}

/** Every directive that applies to `name`, in file order (the first of each keyword wins). */
function applicable(config: SshConfig, name: string): ConfigDirective[] {
  return config.blocks.filter((b) => b.patterns === null || hostPatternsMatch(b.patterns, name)).flatMap((b) => b.directives);
}

/** What the configuration says about the host written as `name` (a Host alias or a real name). */
export function resolveHostConfig(config: SshConfig, name: string): HostConfig {
  const first = new Map<string, ConfigDirective>();
  const identityFiles: Sourced<string>[] = [];
  for (const d of applicable(config, name)) {
    if (d.keyword === "identityfile") identityFiles.push({ value: d.args[0]!, where: d.where });
    else if (!first.has(d.keyword)) first.set(d.keyword, d);
  }
  const one = (k: string): Sourced<string> | undefined => {
    const d = first.get(k);
    return d ? { value: d.args[0]!, where: d.where } : undefined;
  };
  const map = <T>(k: string, f: (v: string) => T): Sourced<T> | undefined => {
    const s = one(k);
    return s ? { value: f(s.value), where: s.where } : undefined;
  };
  const known = first.get("userknownhostsfile");
  const proxyCommand = first.get("proxycommand");
  const out: { -readonly [K in keyof HostConfig]: HostConfig[K] } = { identityFiles };
  const hostName = one("hostname");
  if (hostName) out.hostName = hostName;
  const user = one("user");
  if (user) out.user = user;
  const port = map("port", Number);
  if (port) out.port = port;
  const only = map("identitiesonly", (v) => v.toLowerCase() === "yes");
  if (only) out.identitiesOnly = only;
  const jump = one("proxyjump");
  if (jump) out.proxyJump = jump;
  if (proxyCommand) out.proxyCommand = { value: proxyCommand.args.join(" "), where: proxyCommand.where };
  if (known) out.userKnownHostsFiles = { value: known.args, where: known.where };
  const strict = map("stricthostkeychecking", (v): StrictHostKeyChecking => {
    const l = v.toLowerCase();
    return l === "off" ? "no" : (l as StrictHostKeyChecking);
  });
  if (strict) out.strictHostKeyChecking = strict;
  const timeout = map("connecttimeout", Number);
  if (timeout) out.connectTimeoutSeconds = timeout;
  const alias = one("hostkeyalias");
  if (alias) out.hostKeyAlias = alias;
  return out;
}
