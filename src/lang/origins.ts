/**
 * Where evaluated records and lists came from. Values are plain data (the contract of value.ts),
 * so origins live in a side table keyed by object identity; the checker uses them to locate
 * schema errors and misplaced references at the use that breaks a rule.
 *
 * Origins cost next to nothing because most are never read (ADR 016, ADR 017): the origin of a
 * record literal's value is the record literal node itself (it has the fields, and it is its own
 * span), and so is the origin of a list literal's value when every element came from one item.
 * Only module records, records rebuilt by a nested override and lists filled by a comprehension
 * get an origin object of their own. Whether a list mixes element types is worked out on request.
 */
import { fieldNameSpan as nameSpanOf, type Field } from "./ast.js";
import type { Span } from "./source.js";
import { firstMismatch } from "./types.js";
import type { Value } from "./value.js";

/** Where a record was written: a record literal node, or a module's fields. */
export interface RecordOrigin extends Span {
  readonly kind: "record";
  /** Where each field was written (unique names). */
  readonly fields: readonly Field[];
  /** Fields whose value came from elsewhere (a scenario override that won). */
  readonly valueSpans?: ReadonlyMap<string, Span>;
}

/** Where a list was written: a list literal node whose items are its elements, or a made-up one. */
export interface ListOrigin extends Span {
  readonly kind: "list";
  /** Where each element came from, index for index. */
  readonly items: readonly Span[];
}

export type Origin = RecordOrigin | ListOrigin;

/** Records with more fields than this get an index by name on first lookup. */
const LINEAR_LOOKUP_MAX = 8;
const indexes = new WeakMap<RecordOrigin, Map<string, Field>>();

function site(o: RecordOrigin, key: string): Field | undefined {
  const fields = o.fields;
  if (fields.length <= LINEAR_LOOKUP_MAX) {
    for (const f of fields) if (f.name === key) return f;
    return undefined;
  }
  let index = indexes.get(o);
  if (!index) {
    index = new Map();
    for (const f of fields) index.set(f.name, f);
    indexes.set(o, index);
  }
  return index.get(key);
}

/** The span of the expression that gave field `key` its value, if the record has that field. */
export function originFieldValueSpan(o: RecordOrigin, key: string): Span | undefined {
  return o.valueSpans?.get(key) ?? site(o, key)?.value;
}

/** The span of field `key`'s name, if the record has that field. */
export function originFieldNameSpan(o: RecordOrigin, key: string): Span | undefined {
  const f = site(o, key);
  return f && nameSpanOf(f);
}

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
  return o?.kind === "record" ? o : undefined;
}

/** The origin of a list, if it has one. */
export function listOriginOf(v: Value): ListOrigin | undefined {
  const o = originOf(v);
  return o?.kind === "list" ? o : undefined;
}

const mixed = new WeakMap<readonly Value[], number | undefined>();

/**
 * For a list with an origin (an evaluated list): the first element whose type differs from the
 * ones before it, if the list mixes types. Worked out on first request, then remembered.
 */
export function mixedAt(list: readonly Value[]): number | undefined {
  if (mixed.has(list)) return mixed.get(list);
  const at = firstMismatch(list);
  mixed.set(list, at);
  return at;
}

/** Span of field `key` of a record (its value expression), else of the record, else `fallback`. */
export function fieldValueSpan(rec: Value, key: string, fallback: Span): Span {
  return valueSpanIn(originOf(rec), key, fallback);
}

/** `fieldValueSpan` for a record whose origin `o` was already looked up. */
export function valueSpanIn(o: Origin | undefined, key: string, fallback: Span): Span {
  return (o?.kind === "record" ? originFieldValueSpan(o, key) : undefined) ?? o ?? fallback;
}

export function fieldNameSpan(rec: Value, key: string, fallback: Span): Span {
  const o = originOf(rec);
  return (o?.kind === "record" ? originFieldNameSpan(o, key) : undefined) ?? o ?? fallback;
}

export function elemSpan(list: Value, index: number, fallback: Span): Span {
  return elemSpanIn(originOf(list), index, fallback);
}

/** `elemSpan` for a list whose origin `o` was already looked up. */
export function elemSpanIn(o: Origin | undefined, index: number, fallback: Span): Span {
  return (o?.kind === "list" ? o.items[index] : undefined) ?? o ?? fallback;
}
