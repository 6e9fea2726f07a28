/**
 * The size of a value as canonical JSON, worked out from its parts (ADR 121). Values share
 * sub-values (a field referenced twice is one object), so the text of a value can be
 * exponentially larger than the value in memory: the size is what bounds every later walk of it
 * (checking, `fleet eval`, hashing, rendering), and it is known before any text is made.
 *
 * Rendered with a 2-space indent at nesting level L, a value takes `bytes + 2·L·lines`
 * characters, where `lines` counts its newlines: so (bytes, lines) of a list or record follow
 * from those of its elements, and each composite value is measured once, when it is built.
 */
import { ArtifactRef, SecretRef, Template, type Value } from "./value.js";

export interface Measure {
  /** Characters of canonical JSON at indent level 0 (escapes counted as one character). */
  readonly bytes: number;
  /** Newlines in it. */
  readonly lines: number;
  /** Nesting of lists and records: 0 for a scalar, 1 for a list of scalars. */
  readonly depth: number;
}

const measures = new WeakMap<object, Measure>();
const SCALAR_DEPTH = 0;

function digits(n: number): number {
  let a = Math.abs(n);
  let d = n < 0 ? 2 : 1;
  while (a >= 10) {
    a = Math.floor(a / 10);
    d++;
  }
  return d;
}

/** Bytes of a scalar, or undefined for an object. */
function scalarBytes(v: Value): number | undefined {
  if (typeof v === "string") return v.length + 2;
  if (typeof v === "number") return digits(v);
  if (typeof v === "boolean") return v ? 4 : 5;
  return undefined;
}

/** Accumulates the children of one list or record. */
export class MeasureBuilder {
  private bytes = 0;
  private lines = 0;
  private depth = SCALAR_DEPTH;
  private count = 0;

  /** A record field (`key` given) or a list element. */
  add(v: Value, key?: string): void {
    this.count++;
    if (key !== undefined) this.bytes += key.length + 4; // "key": 
    const s = scalarBytes(v);
    if (s !== undefined) {
      this.bytes += s;
      return;
    }
    const m = measureOf(v);
    this.bytes += m.bytes + 2 * m.lines;
    this.lines += m.lines;
    if (m.depth > this.depth) this.depth = m.depth;
  }

  done(): Measure {
    if (this.count === 0) return { bytes: 2, lines: 0, depth: 1 };
    return { bytes: this.bytes + 4 * this.count + 2, lines: this.lines + this.count + 1, depth: this.depth + 1 };
  }
}

/** Records the measure of a value just built. */
export function setMeasure(v: object, m: Measure): void {
  measures.set(v, m);
}

/** The measure of any value; values not built by the evaluator are measured once, then kept. */
export function measureOf(v: Value): Measure {
  const s = scalarBytes(v);
  if (s !== undefined) return { bytes: s, lines: 0, depth: SCALAR_DEPTH };
  const o = v as object;
  const known = measures.get(o);
  if (known) return known;
  const b = new MeasureBuilder();
  if (v instanceof SecretRef) {
    b.add(v.name, v.ref);
  } else if (v instanceof ArtifactRef) {
    b.add(v.id, "from_artifact");
  } else if (v instanceof Template) {
    // `{"template": [part, …]}`: a record of one field whose value is the list of parts.
    const parts = new MeasureBuilder();
    for (const p of v.parts) parts.add(p);
    const pm = parts.done();
    const m = { bytes: 4 + 2 + ("template".length + 4) + pm.bytes + 2 * pm.lines, lines: 2 + pm.lines, depth: pm.depth + 1 };
    measures.set(o, m);
    return m;
  } else if (Array.isArray(v)) {
    for (const x of v as readonly Value[]) b.add(x);
  } else {
    const r = v as Readonly<Record<string, Value>>;
    // Field names are identifiers: no escapes.
    for (const k of Object.keys(r)) b.add(r[k] as Value, k);
  }
  const m = b.done();
  measures.set(o, m);
  return m;
}

/** Canonical JSON characters of the value written at nesting level `level`. */
export function bytesAt(m: Measure, level: number): number {
  return m.bytes + 2 * level * m.lines;
}
