/**
 * Where evaluated records and lists came from. Values are plain data (the contract of value.ts),
 * so spans live in a side table keyed by object identity; the checker uses them to locate schema
 * errors and misplaced references at the use that breaks a rule.
 *
 * Origins are cheap to make because most are never read (ADR 016): a record's origin points at
 * the fields it was evaluated from instead of copying their spans into maps, and a list works
 * out whether its elements share one type only when asked.
 */
import type { Span } from "./source.js";
import { firstMismatch } from "./types.js";
import type { Value } from "./value.js";

/** Where one field was written: an AST `Field` is one. */
export interface FieldSite {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: { readonly span: Span };
}

/** Records with more fields than this get an index by name on first lookup. */
const LINEAR_LOOKUP_MAX = 8;

export class RecordOrigin {
  private index: Map<string, FieldSite> | undefined;

  /**
   * @param fields where each field was written (unique names)
   * @param valueSpans fields whose value came from elsewhere (a scenario override that won)
   */
  constructor(
    readonly span: Span,
    readonly fields: readonly FieldSite[],
    readonly valueSpans?: ReadonlyMap<string, Span>,
  ) {}

  /** The span of field `key`'s name, if the record has that field. */
  fieldNameSpan(key: string): Span | undefined {
    return this.site(key)?.nameSpan;
  }

  /** The span of the expression that gave field `key` its value, if the record has that field. */
  fieldValueSpan(key: string): Span | undefined {
    return this.valueSpans?.get(key) ?? this.site(key)?.value.span;
  }

  private site(key: string): FieldSite | undefined {
    const fields = this.fields;
    if (fields.length <= LINEAR_LOOKUP_MAX) {
      for (const f of fields) if (f.name === key) return f;
      return undefined;
    }
    if (!this.index) {
      this.index = new Map();
      for (const f of fields) this.index.set(f.name, f);
    }
    return this.index.get(key);
  }
}

export class ListOrigin {
  private mixed: number | undefined | null = null;

  /** @param elems the span of each element's expression */
  constructor(
    readonly span: Span,
    readonly elems: readonly Span[],
    private readonly list: readonly Value[],
  ) {}

  /** The first element whose type differs from the ones before it, if the list mixes types. */
  get mixedAt(): number | undefined {
    if (this.mixed === null) this.mixed = firstMismatch(this.list);
    return this.mixed;
  }
}

export type Origin = RecordOrigin | ListOrigin;

const table = new WeakMap<object, Origin>();

export function setOrigin(v: object, o: Origin): void {
  table.set(v, o);
}

export function originOf(v: Value): Origin | undefined {
  return typeof v === "object" && v !== null ? table.get(v) : undefined;
}

/** The origin of a record, if it has one. */
export function recordOriginOf(v: Value): RecordOrigin | undefined {
  const o = originOf(v);
  return o instanceof RecordOrigin ? o : undefined;
}

/** The origin of a list, if it has one. */
export function listOriginOf(v: Value): ListOrigin | undefined {
  const o = originOf(v);
  return o instanceof ListOrigin ? o : undefined;
}

/** Span of field `key` of a record (its value expression), else of the record, else `fallback`. */
export function fieldValueSpan(rec: Value, key: string, fallback: Span): Span {
  const o = originOf(rec);
  return (o instanceof RecordOrigin ? o.fieldValueSpan(key) : undefined) ?? o?.span ?? fallback;
}

export function fieldNameSpan(rec: Value, key: string, fallback: Span): Span {
  const o = originOf(rec);
  return (o instanceof RecordOrigin ? o.fieldNameSpan(key) : undefined) ?? o?.span ?? fallback;
}

export function elemSpan(list: Value, index: number, fallback: Span): Span {
  const o = originOf(list);
  return (o instanceof ListOrigin ? o.elems[index] : undefined) ?? o?.span ?? fallback;
}
