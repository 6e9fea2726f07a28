/**
 * Module fields are evaluated lazily, once each (SPEC §1.3): this memo holds their values and the
 * fields being evaluated now, so that a field reached again while it is on the way is a cycle,
 * reported once as `[E6]` naming every member; every member of a cycle is POISON.
 */
import { fieldNameSpan } from "./ast.js";
import type { ModuleTable } from "./declarations.js";
import type { DiagnosticLabel } from "./diagnostics/diagnostic.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { messages } from "./messages.js";
import { POISON, type V } from "./poison.js";
import type { Span } from "./source.js";

export class FieldMemo {
  private readonly cache = new Map<string, V>();
  private readonly stack: string[] = [];
  /** Where each key of `stack` is in it: finding a cycle costs O(1), not O(depth). */
  private readonly onStack = new Map<string, number>();
  private readonly cyclic = new Set<string>();
  private readonly reportedCycles = new Set<string>();

  constructor(
    private readonly modules: ModuleTable,
    private readonly sink: DiagnosticSink,
  ) {}

  /** The value of field `key` ("Module.field"), computed by `compute` on first use at `use`. */
  value(key: string, use: Span, compute: () => V): V {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const at = this.onStack.get(key) ?? -1;
    if (at >= 0) {
      this.reportCycle(this.stack.slice(at), key, use);
      return POISON;
    }
    this.onStack.set(key, this.stack.length);
    this.stack.push(key);
    let v: V;
    try {
      v = compute();
    } finally {
      this.stack.pop();
      this.onStack.delete(key);
    }
    if (this.cyclic.has(key)) v = POISON;
    this.cache.set(key, v);
    return v;
  }

  private reportCycle(cycle: readonly string[], key: string, use: Span): void {
    for (const k of cycle) this.cyclic.add(k);
    const id = [...cycle].sort().join(",");
    if (this.reportedCycles.has(id)) return;
    this.reportedCycles.add(id);
    const labels: DiagnosticLabel[] = [];
    for (const k of cycle) {
      const [m, f] = splitKey(k);
      const site = this.modules.get(m)?.fields.get(f);
      if (site) labels.push({ span: fieldNameSpan(site), message: messages.cycleMember(k) });
    }
    this.sink.error("E6", messages.cycle([...cycle, key]), use, labels);
  }
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf(".");
  return [k.slice(0, i), k.slice(i + 1)];
}
