import { describe, expect, it } from "vitest";
import { buildArtifactGraph, type HostArtifacts } from "../../src/plan/artifact-graph.js";

const span = { file: "f.pcl", offset: 0, length: 1 };

function host(index: number, machine: string | null, produces: string[] = [], consumes: string[] = [], evaluated = true): HostArtifacts {
  return {
    index,
    machine,
    evaluated,
    produces,
    consumes: consumes.map((id) => ({ machine: id.split("/")[0]!, artifact: id.split("/")[1]!, span })),
  };
}

describe("stable topological order", () => {
  it("places the SPEC example dns, app, edge as app, dns, edge", () => {
    const g = buildArtifactGraph([host(0, "dns", [], ["app/endpoint"]), host(1, "app", ["endpoint"]), host(2, "edge")]);
    expect(g.problems).toEqual([]);
    expect(g.order).toEqual([1, 0, 2]);
  });

  it("is fleet-file order without edges", () => {
    const g = buildArtifactGraph([host(0, "a"), host(1, "b"), host(2, null), host(3, "d")]);
    expect(g.order).toEqual([0, 1, 2, 3]);
  });

  it("uses a priority queue, not levels: a freed early host jumps ahead of later independent ones", () => {
    // 0 consumes from 3; 1, 2 independent. Kahn+priority: 1, 2, 3, 0 (0 placed right after 3).
    // With 4 consuming from 0 too: … 3, 0, 4.
    const g = buildArtifactGraph([
      host(0, "a", ["x"], ["d/y"]),
      host(1, "b"),
      host(2, "c"),
      host(3, "d", ["y"]),
      host(4, "e", [], ["a/x"]),
    ]);
    expect(g.order).toEqual([1, 2, 3, 0, 4]);
  });

  it("sorts a 5,000-host chain without overflowing the stack", () => {
    const n = 5000;
    const hosts = Array.from({ length: n }, (_, i) => host(i, `m${i}`, ["a"], i + 1 < n ? [`m${i + 1}/a`] : []));
    const g = buildArtifactGraph(hosts);
    expect(g.problems).toEqual([]);
    expect(g.order[0]).toBe(n - 1);
    expect(g.order[n - 1]).toBe(0);
  });
});

describe("refusals", () => {
  it("reports a cycle as a producer → consumer path starting at its first host", () => {
    const g = buildArtifactGraph([host(0, "a", ["x"], ["b/y"]), host(1, "b", ["y"], ["c/z"]), host(2, "c", ["z"], ["a/x"]), host(3, "d")]);
    const cycle = g.problems.find((p) => p.kind === "cycle");
    expect(cycle).toEqual({ kind: "cycle", path: [0, 2, 1, 0] });
    expect(g.order).toEqual([3]);
  });

  it("reports a consumed artifact the producer does not declare", () => {
    const g = buildArtifactGraph([host(0, "a", ["x"]), host(1, "b", [], ["a/nope"])]);
    expect(g.problems).toEqual([
      { kind: "missing", consumer: 1, artifact: "a/nope", span, reason: "machine 'a' does not declare an artifact named 'nope'" },
    ]);
  });

  it("reports a consumed machine no host record has", () => {
    const g = buildArtifactGraph([host(0, "b", [], ["ghost/x"])]);
    expect(g.problems[0]).toMatchObject({ kind: "missing", reason: "no host record has machine 'ghost'" });
  });

  it("does not refuse a consumer whose producer failed to evaluate: it depends on it (to be blocked)", () => {
    const g = buildArtifactGraph([host(0, "a", [], [], false), host(1, "b", [], ["a/x"])]);
    expect(g.problems).toEqual([]);
    expect(g.incoming.get(1)?.map((e) => e.producer)).toEqual([0]);
  });

  it("refuses a consumer without a machine", () => {
    const g = buildArtifactGraph([host(0, "a", ["x"]), host(1, null, [], ["a/x"])]);
    expect(g.problems.map((p) => p.kind)).toEqual(["no-machine"]);
  });
});
