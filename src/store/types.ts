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
  /**
   * Base name → how to build it (added by the store stage). Optional so that a closure read back
   * from a manifest (nothing to build) is still a Closure; `realise` refuses a missing path that
   * has no build plan.
   */
  readonly builds?: ReadonlyMap<string, BuildPlan>;
}

/** A file of a `std.files` package, validated. */
export interface FileEntry {
  /** Relative, normalised path inside the output (no `..`, no leading `/`). */
  readonly path: string;
  readonly content: string;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
}

export type Recipe =
  | { readonly kind: "std.files"; readonly files: readonly FileEntry[] }
  | { readonly kind: "std.shell"; readonly command: string };

/** Where a package's `$src` comes from, resolved to something realise can act on. */
export type ResolvedSource =
  | {
      readonly type: "local";
      /** Absolute path on the machine running fleet (never hashed: only `sha256` is). */
      readonly absPath: string;
      /** As written in PCL, for messages. */
      readonly declared: string;
      /** Content hash of the canonical walk (see source-hash.ts). */
      readonly sha256: string;
    }
  | { readonly type: "url"; readonly url: string; readonly sha256: string };

export interface BuildPlan {
  readonly module: string;
  readonly base: string;
  readonly pname: string;
  readonly version: string;
  readonly recipe: Recipe;
  readonly source?: ResolvedSource;
  /** The canonical JSON whose sha256 names the path; written into the built marker. */
  readonly derivationJson: string;
}
