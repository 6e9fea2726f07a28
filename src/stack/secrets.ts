/**
 * Secret resolution (SPEC §5). Pure: the deploy layer injects the environment, the file reader
 * and the parsed vault, so this module never touches process state and is testable on values.
 */
import { FleetError } from "../fleet-error.js";
import type { SecretRef } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";

export interface SecretSources {
  /** Reads an environment variable of the machine running fleet. */
  readonly env: (name: string) => string | undefined;
  /** Reads a local file by absolute path; undefined when it does not exist or cannot be read. */
  readonly readFile: (absPath: string) => string | undefined;
  /** The `--vault-secrets` object; absent means every vault reference is unresolved. */
  readonly vault?: ReadonlyMap<string, string>;
}

export interface ResolvedSecrets {
  /** Keyed by `SecretRef.toString()` (`from_env:NAME`). */
  readonly values: Map<string, string>;
  /** Unresolved references, first occurrence of each key, in the order given. */
  readonly missing: SecretRef[];
}

/**
 * Resolves every reference once per key. `refs` should be in source order (ComposedStack
 * .secretRefs is) so that `missing` — and therefore the [E11] line — is in source order too.
 */
export function resolveSecrets(refs: readonly SecretRef[], src: SecretSources): ResolvedSecrets {
  const values = new Map<string, string>();
  const missing: SecretRef[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const key = ref.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const value = lookup(ref, src);
    if (value === undefined) missing.push(ref);
    else values.set(key, value);
  }
  return { values, missing };
}

function lookup(ref: SecretRef, src: SecretSources): string | undefined {
  switch (ref.ref) {
    case "from_env":
      return src.env(ref.name);
    case "from_file": {
      const text = src.readFile(ref.name);
      // Files written by editors and `echo` end in a newline nobody means as part of the secret.
      if (text === undefined) return undefined;
      return text.endsWith("\n") ? text.slice(0, -1) : text;
    }
    case "from_vault":
      return src.vault?.get(ref.name);
    default:
      return undefined;
  }
}

/**
 * `secret(s) not set: from_vault:db_pw, from_env:API_TOKEN` — the caller prefixes `[E11] `.
 * Duplicate keys are listed once, at their first position.
 */
export function missingSecretsMessage(missing: readonly SecretRef[]): string {
  return fleetMessages.secretsNotSet(secretKeys(missing)).message;
}

function secretKeys(missing: readonly SecretRef[]): string {
  const keys: string[] = [];
  for (const ref of missing) {
    const key = ref.toString();
    if (!keys.includes(key)) keys.push(key);
  }
  return keys.join(", ");
}

/** The [E11] error of one host, ready for its `✗` line. */
export function missingSecretsError(missing: readonly SecretRef[]): FleetError {
  return new FleetError(fleetMessages.secretsNotSet(secretKeys(missing)));
}

/**
 * Parses a `--vault-secrets` file. The error never quotes the file's text or the JSON parser's
 * message, because either could contain a secret value.
 */
export function parseVaultFile(text: string, displayName = "--vault-secrets file"): Map<string, string> | FleetError {
  const refuse = (why: string): FleetError =>
    new FleetError(fleetMessages.vaultNotFlatObject(displayName, why));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse("it is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return refuse(`its top level is ${parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`}`);
  }
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== "string") return refuse(`entry '${key}' is not a string`);
    out.set(key, value);
  }
  return out;
}
