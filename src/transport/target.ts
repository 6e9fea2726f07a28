/** Host record targets: `ssh://user@host[:port]` (SPEC §6, §7). */
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";

export interface SshTarget {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  /** The target wrote a port (it then wins over an ssh_config Port, ADR 115). */
  readonly explicitPort: boolean;
}

const TARGET_RE = /^ssh:\/\/([A-Za-z0-9._][A-Za-z0-9._-]*)@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/;

/**
 * A target as messages show it: quoted, and JSON-escaped when it holds anything beyond printable
 * ASCII, so a target with a newline or an escape sequence can never forge an output line.
 */
export function shownTarget(target: string): string {
  return /^[\x20-\x7e]*$/.test(target) && !target.includes("'") ? `'${target}'` : JSON.stringify(target);
}

/**
 * Why a target is malformed, or undefined when it is a well-formed `ssh://user@host[:port]`.
 * Used the same way over SSH, under --transport-root and by `fleet check` (ADR 133).
 */
export function targetProblem(target: string): string | undefined {
  const m = TARGET_RE.exec(target);
  if (!m) return `malformed target ${shownTarget(target)}: expected ssh://user@host[:port]`;
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (port < 1 || port > 65535) return `malformed target ${shownTarget(target)}: port ${m[3]} is out of range`;
  return undefined;
}

/** Parse a target; a malformed one is a usage error (exit 2) before anything runs. */
export function parseTarget(target: string): SshTarget {
  const problem = targetProblem(target);
  if (problem !== undefined) throw new UsageError(fleetMessages.badTarget(problem));
  const m = TARGET_RE.exec(target)!;
  const port = m[3] === undefined ? 22 : Number(m[3]);
  const host = m[2]!.startsWith("[") ? m[2]!.slice(1, -1) : m[2]!;
  return { user: m[1]!, host, port, explicitPort: m[3] !== undefined };
}

/**
 * The directory name a target maps to under `--transport-root`: scheme stripped, every character
 * outside [A-Za-z0-9._@-] replaced by `_`. An empty, `.` or `..` result is a usage error.
 */
export function sanitiseTarget(target: string): string {
  const stripped = target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, "");
  const name = stripped.replace(/[^A-Za-z0-9._@-]/g, "_");
  if (name === "" || name === "." || name === "..") {
    throw new UsageError(fleetMessages.targetDirNameUnusable(shownTarget(target), name));
  }
  // NAME_MAX: a longer directory name fails every call with ENAMETOOLONG.
  if (Buffer.byteLength(name) > 255) {
    throw new UsageError(fleetMessages.targetDirNameTooLong(shownTarget(target), Buffer.byteLength(name)));
  }
  return name;
}

/** The target user's home as seen under --transport-root (SPEC §2). */
export function hermeticHome(user: string): string {
  return user === "root" ? "/root" : `/home/${user}`;
}

/** The user part of a target, without validating the rest (hermetic runs accept any target). */
export function targetUser(target: string): string {
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^@/]+)@/.exec(target);
  return m ? m[1]! : "root";
}

/** The host part of a target (for FLEET_HOST in hooks). */
export function targetHost(target: string): string {
  const rest = target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, "").replace(/^[^@/]*@/, "");
  const m = /^(\[[^\]]*\]|[^:/]*)/.exec(rest);
  const h = m ? m[1]! : rest;
  return h.startsWith("[") ? h.slice(1, -1) : h;
}
