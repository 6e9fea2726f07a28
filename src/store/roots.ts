/**
 * Store and deployments roots (SPEC §2): one setting, chosen flag > environment variable >
 * default, `~` expanded with the home of the side that holds it, relative roots refused.
 * The choice and the expansion are separate because the same chosen string is expanded once with
 * the local home (builds) and once per target with that target's home (pushed paths).
 */
import path from "node:path";
import { UsageError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";

/** Where a root setting came from, for the usage error that names it. */
export interface RootNames {
  /** e.g. "--store-root". */
  readonly flag: string;
  /** e.g. "FLEET_STORE_DIR". */
  readonly env: string;
}

export interface ChosenRoot {
  /** The setting as given, `~` not yet expanded. */
  readonly raw: string;
  /** "--store-root", "FLEET_STORE_DIR" or "default", for messages. */
  readonly origin: string;
}

/** Flag over environment variable over default; an empty flag or variable counts as unset. */
export function chooseRoot(flag: string | undefined, envVar: string | undefined, dflt: string, names?: RootNames): ChosenRoot {
  if (flag !== undefined && flag !== "") return { raw: flag, origin: names?.flag ?? "flag" };
  if (envVar !== undefined && envVar !== "") return { raw: envVar, origin: names?.env ?? "environment" };
  return { raw: dflt, origin: "default" };
}

/**
 * Expand a leading `~` (alone or followed by `/`) with `home`, then require an absolute path.
 * `~user` is not expanded (it names another user's home, which fleet cannot know on a target).
 */
export function expandRoot(raw: string, home: string, origin = "root"): string {
  let p = raw;
  if (p === "~") p = home;
  else if (p.startsWith("~/")) p = path.posix.join(home, p.slice(2));
  if (!path.posix.isAbsolute(p)) {
    throw new UsageError(fleetMessages.rootNotAbsolute(origin, raw));
  }
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/**
 * The root to use on the machine running fleet: `resolveRoot(opts.storeRoot,
 * process.env.FLEET_STORE_DIR, "~/.fleet/store", os.homedir())`. Throws UsageError (exit 2) for a
 * relative root.
 */
export function resolveRoot(
  flag: string | undefined,
  envVar: string | undefined,
  dflt: string,
  home: string,
  names?: RootNames,
): string {
  const chosen = chooseRoot(flag, envVar, dflt, names);
  return expandRoot(chosen.raw, home, chosen.origin === "default" ? "default root" : chosen.origin);
}
