/** The types of a program's evaluation: options in, result out (published through ./index.ts). */
import type { Diagnostic, DiagnosticCode } from "./diagnostics/diagnostic.js";
import type { Span } from "./source.js";
import type { ModuleValues, RecordValue, Value } from "./value.js";

/** Which schema of SPEC §1.6 a module was recognised as. */
export type ModuleShape = "package" | "stack" | "fleet" | "data";

/** A read-only module supplied by the caller, e.g. the `Fleet` module injected into a host file. */
export interface InjectedModule {
  readonly name: string;
  readonly value: RecordValue;
  /**
   * Fields that exist in the schema but are unavailable for this evaluation; reading one is the
   * given diagnostic at the use site (e.g. `Fleet.self` for a host whose machine is not in
   * `machines` → E14 naming the host record).
   */
  readonly unavailable?: Readonly<Record<string, { code: DiagnosticCode; message: string }>>;
}

export interface EvaluateOptions {
  /** `--scenario` names; order is irrelevant. Unknown names are the caller's business. */
  readonly scenarios?: readonly string[];
  readonly injected?: readonly InjectedModule[];
}

export interface ProgramResult {
  /** Evaluated modules (present even when diagnostics exist, for modules that evaluated). */
  readonly modules: ModuleValues;
  readonly shapes: ReadonlyMap<string, ModuleShape>;
  /** Where each module is defined. */
  readonly moduleSpans: ReadonlyMap<string, Span>;
  /** Every diagnostic, sorted by file (in the order given) and position. Empty means ok. */
  readonly diagnostics: readonly Diagnostic[];
  /** Names of all scenarios the program defines. */
  readonly scenarios: ReadonlySet<string>;
}

/** One contribution to a field, for `fleet why`. */
export interface Contribution {
  readonly span: Span;
  readonly priority: number;
  /** "base", "scenario NAME" or "Setting". */
  readonly origin: string;
  readonly value: Value;
}

export interface WhyResult {
  readonly value: Value | undefined;
  /** Winner last. */
  readonly chain: readonly Contribution[];
  readonly diagnostics: readonly Diagnostic[];
}
