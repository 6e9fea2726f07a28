/** What the store stage hands to the deploy pipeline. */

export interface StorePathInfo {
  /** Package module name. */
  readonly module: string;
  /** `<hash>-<pname>-<version>`: the same on every machine and for every store root. */
  readonly base: string;
  /** Base names of direct dependencies. */
  readonly deps: readonly string[];
}

export interface Closure {
  /** Every path of the closure, dependencies before dependants, ties by base name. */
  readonly paths: readonly StorePathInfo[];
  /** Module name → base name, for the roots and everything they reach. */
  readonly byModule: ReadonlyMap<string, string>;
}
