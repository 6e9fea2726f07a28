/**
 * Where evaluated records and lists came from. Values are plain data (the contract of value.ts),
 * so spans live in a side table keyed by object identity; the checker uses them to locate schema
 * errors and misplaced references at the use that breaks a rule.
 */
import type { Span } from "./source.js";
import type { Value } from "./value.js";

export interface Origin {
  readonly span: Span;
  /** Records: span of each field's name and of the expression that gave its value. */
  readonly fieldNames?: ReadonlyMap<string, Span>;
  readonly fieldValues?: ReadonlyMap<string, Span>;
  /** Lists: span of each element's expression. */
  readonly elems?: readonly Span[];
  /** Lists whose elements do not share one type: the first element that differs. */
  readonly mixedAt?: number;
}

const table = new WeakMap<object, Origin>();

export function setOrigin(v: object, o: Origin): void {
  table.set(v, o);
}

export function originOf(v: Value): Origin | undefined {
  return typeof v === "object" && v !== null ? table.get(v) : undefined;
}

/** Span of field `key` of a record (its value expression), else of the record, else `fallback`. */
export function fieldValueSpan(rec: Value, key: string, fallback: Span): Span {
  const o = originOf(rec);
  return o?.fieldValues?.get(key) ?? o?.span ?? fallback;
}

export function fieldNameSpan(rec: Value, key: string, fallback: Span): Span {
  const o = originOf(rec);
  return o?.fieldNames?.get(key) ?? o?.span ?? fallback;
}

export function elemSpan(list: Value, index: number, fallback: Span): Span {
  const o = originOf(list);
  return o?.elems?.[index] ?? o?.span ?? fallback;
}
