/**
 * The cross-host artifact graph (SPEC §6): producer → consumer edges read from every composed
 * host before any host is touched, the stable deploy order, and the refusals. Pure.
 */
import * as graphlib from "@dagrejs/graphlib";
import type { Span } from "../lang/index.js";
import { MinHeap } from "./min-heap.js";

/** What composition told us about one host record. */
export interface HostArtifacts {
  readonly index: number;
  readonly machine: string | null;
  /** False when the host file failed to evaluate: its declarations are unknown. */
  readonly evaluated: boolean;
  readonly produces: readonly string[];
  readonly consumes: readonly { readonly machine: string; readonly artifact: string; readonly span: Span }[];
}

export interface ArtifactEdge {
  readonly producer: number;
  readonly consumer: number;
  /** `machine/name`. */
  readonly artifact: string;
  /** Where the consumer references it. */
  readonly span: Span;
}

export type GraphProblem =
  | { readonly kind: "missing"; readonly consumer: number; readonly artifact: string; readonly span: Span; readonly reason: string }
  | { readonly kind: "no-machine"; readonly consumer: number; readonly span: Span }
  | { readonly kind: "cycle"; readonly path: readonly number[] };

export interface ArtifactGraph {
  readonly edges: readonly ArtifactEdge[];
  /** Host indexes in deploy order (every host when there is no cycle). */
  readonly order: readonly number[];
  readonly problems: readonly GraphProblem[];
  /** Producer edges into each host (for blocking). */
  readonly incoming: ReadonlyMap<number, readonly ArtifactEdge[]>;
}

export function buildArtifactGraph(hosts: readonly HostArtifacts[]): ArtifactGraph {
  const g = new graphlib.Graph({ directed: true, multigraph: true });
  for (const h of hosts) g.setNode(String(h.index), h);
  const problems: GraphProblem[] = [];
  const edges: ArtifactEdge[] = [];
  const byMachine = new Map<string, HostArtifacts[]>();
  for (const h of hosts) {
    if (h.machine === null) continue;
    const list = byMachine.get(h.machine) ?? [];
    list.push(h);
    byMachine.set(h.machine, list);
  }
  for (const c of hosts) {
    if (!c.evaluated) continue;
    if (c.consumes.length > 0 && c.machine === null) {
      problems.push({ kind: "no-machine", consumer: c.index, span: c.consumes[0]!.span });
    }
    for (const ref of c.consumes) {
      const id = `${ref.machine}/${ref.artifact}`;
      const candidates = byMachine.get(ref.machine) ?? [];
      const declaring = candidates.filter((p) => p.evaluated && p.produces.includes(ref.artifact));
      // A producer that did not evaluate may be the one: the consumer is then blocked, not refused.
      const unknown = candidates.filter((p) => !p.evaluated);
      const producers = declaring.length > 0 ? declaring : unknown;
      if (producers.length === 0) {
        const reason =
          candidates.length === 0
            ? `no host record has machine '${ref.machine}'`
            : `machine '${ref.machine}' does not declare an artifact named '${ref.artifact}'`;
        problems.push({ kind: "missing", consumer: c.index, artifact: id, span: ref.span, reason });
        continue;
      }
      for (const p of producers) {
        if (p.index === c.index) continue;
        const e: ArtifactEdge = { producer: p.index, consumer: c.index, artifact: id, span: ref.span };
        g.setEdge(String(p.index), String(c.index), e, `${id}@${ref.span.offset}`);
        edges.push(e);
      }
    }
  }
  const incoming = new Map<number, ArtifactEdge[]>();
  for (const e of edges) {
    const list = incoming.get(e.consumer) ?? [];
    list.push(e);
    incoming.set(e.consumer, list);
  }
  const { order, unplaced } = stableTopologicalOrder(
    hosts.map((h) => h.index),
    (i) => (g.successors(String(i)) ?? []).map(Number),
    (i) => (g.predecessors(String(i)) ?? []).map(Number),
  );
  if (unplaced.length > 0) {
    problems.push({ kind: "cycle", path: findCycle(unplaced, (i) => (g.predecessors(String(i)) ?? []).map(Number)) });
  }
  return { edges, order, problems, incoming };
}

/**
 * Kahn's sort over a priority queue keyed by fleet-file index: repeatedly place, among the hosts
 * whose producers are all placed, the one that comes first in the file. Iterative, so a
 * 5,000-host chain does not overflow the stack.
 */
export function stableTopologicalOrder(
  nodes: readonly number[],
  successors: (n: number) => readonly number[],
  predecessors: (n: number) => readonly number[],
): { order: number[]; unplaced: number[] } {
  const indegree = new Map<number, number>();
  for (const n of nodes) indegree.set(n, new Set(predecessors(n)).size);
  const heap = new MinHeap();
  for (const n of nodes) if (indegree.get(n) === 0) heap.push(n);
  const order: number[] = [];
  while (heap.size > 0) {
    const n = heap.pop()!;
    order.push(n);
    for (const s of new Set(successors(n))) {
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) heap.push(s);
    }
  }
  const placed = new Set(order);
  return { order, unplaced: nodes.filter((n) => !placed.has(n)) };
}

/**
 * A cycle among the hosts the sort could not place, in producer → consumer direction, starting
 * and ending at its first host in file order: walk back through unplaced producers (lowest index
 * first) until a host repeats.
 */
function findCycle(unplaced: readonly number[], predecessors: (n: number) => readonly number[]): number[] {
  const pending = new Set(unplaced);
  const start = Math.min(...unplaced);
  const walk: number[] = [];
  const seenAt = new Map<number, number>();
  let cur = start;
  while (!seenAt.has(cur)) {
    seenAt.set(cur, walk.length);
    walk.push(cur);
    const preds = predecessors(cur).filter((p) => pending.has(p));
    cur = Math.min(...preds);
  }
  // walk[k..] is the cycle in consumer ← producer direction; reverse to producer → consumer.
  const cycle = walk.slice(seenAt.get(cur)).reverse();
  const first = cycle.indexOf(Math.min(...cycle));
  const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
  return [...rotated, rotated[0]!];
}
