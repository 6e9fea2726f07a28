/**
 * Evaluated PCL values: the contract between the front end and every later stage.
 *
 * Scalars are JS primitives (Str and Path are both `string`, Int is a safe integer `number`),
 * lists are arrays, records are plain objects (`Object.prototype`, keys in insertion order; emit
 * canonical JSON when order matters). References and templates are class instances so that they
 * can never be mistaken for a record.
 */
import type { Span } from "./source.js";

export type SecretKind = "from_env" | "from_file" | "from_vault";

/** `{ from_env = "X" }` and friends: resolved only at deploy time, never stored. */
export class SecretRef {
  constructor(
    readonly ref: SecretKind,
    readonly name: string,
    readonly span: Span,
  ) {}
  /** `from_env:NAME`, as `[E11]` lists it. */
  toString(): string {
    return `${this.ref}:${this.name}`;
  }
  toJSON(): Record<string, string> {
    return { [this.ref]: this.name };
  }
}

/** `{ from_artifact = "machine/name" }`: completed after the producer deployed. */
export class ArtifactRef {
  constructor(
    readonly machine: string,
    readonly artifact: string,
    readonly span: Span,
  ) {}
  get id(): string {
    return `${this.machine}/${this.artifact}`;
  }
  toJSON(): Record<string, string> {
    return { from_artifact: this.id };
  }
}

/** A string that interpolates one or more artifact references; adjacent literals merged. */
export class Template {
  constructor(readonly parts: readonly (string | ArtifactRef)[]) {}
  toJSON(): { template: unknown[] } {
    return { template: this.parts.map((p) => (typeof p === "string" ? p : p.toJSON())) };
  }
}

export type Scalar = string | number | boolean;
export interface RecordValue {
  readonly [field: string]: Value;
}
export type Value = Scalar | readonly Value[] | RecordValue | SecretRef | ArtifactRef | Template;

export function isRecordValue(v: Value | undefined): v is RecordValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** The evaluated modules of one program, by module name. */
export type ModuleValues = ReadonlyMap<string, RecordValue>;
