/**
 * PCL types (SPEC §1.3) as derived from evaluated values. The language has no functions, so the
 * type of every expression is the type of its value; `[]` has an open element type that fits any
 * list. References and templates are strings completed later, so they count as Str.
 */
import type { TypeExpr } from "./ast.js";
import { ArtifactRef, SecretRef, Template, type Value } from "./value.js";

export type Ty =
  | { readonly k: "Bool" | "Int" | "Str" | "Path" }
  | { readonly k: "List"; readonly elem: Ty | undefined }
  /** Field names in UTF-16 order, and the type of each, index for index. */
  | { readonly k: "Rec"; readonly keys: readonly string[]; readonly types: readonly Ty[] };

const BOOL: Ty = { k: "Bool" };
const INT: Ty = { k: "Int" };
const STR: Ty = { k: "Str" };
const cache = new WeakMap<object, Ty | null>();

/** The type of a value, or null when a list inside it mixes element types. */
export function typeOf(v: Value): Ty | null {
  if (typeof v === "string") return STR;
  if (typeof v === "number") return INT;
  if (typeof v === "boolean") return BOOL;
  if (v instanceof SecretRef || v instanceof ArtifactRef || v instanceof Template) return STR;
  const hit = cache.get(v);
  if (hit !== undefined) return hit;
  let t: Ty | null;
  if (Array.isArray(v)) {
    let elem: Ty | undefined;
    t = null;
    let ok = true;
    for (const x of v as readonly Value[]) {
      const xt = typeOf(x);
      const u = xt && (elem === undefined ? xt : unify(elem, xt));
      if (!u) {
        ok = false;
        break;
      }
      elem = u;
    }
    if (ok) t = { k: "List", elem };
  } else {
    // Evaluated records are built in name order already: sort only what is not.
    const keys = Object.keys(v);
    if (!isSorted(keys)) keys.sort();
    const types: Ty[] = new Array(keys.length);
    t = { k: "Rec", keys, types };
    for (let i = 0; i < keys.length; i++) {
      const ft = typeOf((v as Record<string, Value>)[keys[i] as string] as Value);
      if (!ft) {
        t = null;
        break;
      }
      types[i] = ft;
    }
  }
  cache.set(v, t);
  return t;
}

/**
 * The common type of two types, or null if they differ. Open lists take the other's element.
 * Returns `a` itself when it already is the common type, so that unifying the elements of a long
 * uniform list allocates nothing.
 */
export function unify(a: Ty, b: Ty): Ty | null {
  if (a === b) return a;
  if (a.k !== b.k || (a.k !== "List" && a.k !== "Rec")) return unifyOnce(a, b);
  // Types of shared values are shared too: each pair of list or record types is unified once.
  let known = unified.get(a);
  const hit = known?.get(b);
  if (hit !== undefined) return hit;
  const u = unifyOnce(a, b);
  if (!known) unified.set(a, (known = new WeakMap()));
  known.set(b, u);
  return u;
}

const unified = new WeakMap<Ty, WeakMap<Ty, Ty | null>>();

function unifyOnce(a: Ty, b: Ty): Ty | null {
  if (a.k !== b.k) {
    // A Path value is a string; a Str is accepted where Path is expected (checked elsewhere).
    if ((a.k === "Str" && b.k === "Path") || (a.k === "Path" && b.k === "Str")) return STR;
    return null;
  }
  if (a.k === "List" && b.k === "List") {
    if (a.elem === undefined) return b;
    if (b.elem === undefined) return a;
    const e = unify(a.elem, b.elem);
    if (!e) return null;
    return e === a.elem ? a : { k: "List", elem: e };
  }
  if (a.k === "Rec" && b.k === "Rec") {
    // Both key lists are sorted: equal names means equal position by position.
    const n = a.keys.length;
    if (b.keys.length !== n) return null;
    let types: Ty[] | undefined;
    for (let i = 0; i < n; i++) {
      if (a.keys[i] !== b.keys[i]) return null;
      const at = a.types[i] as Ty;
      const u = unify(at, b.types[i] as Ty);
      if (!u) return null;
      // First field that changes: copy the ones before it.
      if (u !== at && !types) types = a.types.slice(0, i);
      types?.push(u);
    }
    return types ? { k: "Rec", keys: a.keys, types } : a;
  }
  return a;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** The index of the first element whose type cannot join the ones before it, if any. */
export function firstMismatch(values: readonly Value[]): number | undefined {
  if (values.length < 2) return undefined;
  const first = typeOf(values[0] as Value);
  if (!first) return 0;
  let t: Ty = first;
  for (let i = 1; i < values.length; i++) {
    const u = typeOf(values[i] as Value);
    const m: Ty | null = u && unify(t, u);
    if (!m) return i;
    t = m;
  }
  return undefined;
}

/**
 * How a type reads in a message. Types of shared values can be exponentially large written out,
 * so records show at most 4 fields and nesting stops at 3 levels (`Rec<…>`).
 */
export function showType(t: Ty | null | undefined, level = 0): string {
  if (!t) return "a mixed list";
  switch (t.k) {
    case "List":
      return `List<${!t.elem ? "…" : level >= SHOWN_LEVELS ? "…" : showType(t.elem, level + 1)}>`;
    case "Rec": {
      if (level >= SHOWN_LEVELS && t.keys.length > 0) return "Rec<…>";
      const shown = t.keys.slice(0, 4).map((k, i) => `${k}: ${showType(t.types[i], level + 1)}`);
      if (t.keys.length > 4) shown.push("…");
      return `Rec<${shown.join(", ")}>`;
    }
    default:
      return t.k;
  }
}

const SHOWN_LEVELS = 3;

/** A human description of a value's type for messages ("Str", "List<Int>", "a record"). */
export function describe(v: Value): string {
  if (v instanceof SecretRef) return "a secret reference";
  if (v instanceof ArtifactRef) return "an artifact reference";
  if (v instanceof Template) return "a template string";
  return showType(typeOf(v));
}

export function showTypeExpr(t: TypeExpr): string {
  switch (t.kind) {
    case "List":
      return `List<${showTypeExpr(t.elem)}>`;
    case "Rec":
      return `Rec<${t.fields.map((f) => `${f.name}: ${showTypeExpr(f.type)}`).join(", ")}>`;
    case "Unknown":
      return t.name;
    default:
      return t.kind;
  }
}
