import { describe, expect, it } from "vitest";
import { buildArtifactGraph, type HostArtifacts } from "../../src/plan/artifact-graph.js";
import { cutWaves, failureBudget, hostCountText, parseHostCount, waveSize, type HostCount } from "../../src/plan/rollout.js";

const span = { file: "f.pcl", offset: 0, length: 1 };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const none = () => [];
const sizes = (...t: string[]): HostCount[] => t.map((x) => parseHostCount(x, 1)!);

describe("host counts", () => {
  it("parses whole numbers and percentages, refusing what is not one", () => {
    expect(parseHostCount("3", 1)).toEqual({ hosts: 3 });
    expect(parseHostCount("10%", 1)).toEqual({ percent: 10 });
    expect(parseHostCount("0", 0)).toEqual({ hosts: 0 });
    expect(parseHostCount("0%", 0)).toEqual({ percent: 0 });
    for (const bad of ["0", "0%", "-1", "1.5", "101%", "%", "", "ten", "5 %", "1e3"]) expect(parseHostCount(bad, 1)).toBeUndefined();
    expect(hostCountText({ hosts: 4 })).toBe("4");
    expect(hostCountText({ percent: 30 })).toBe("30%");
  });

  it("rounds a wave percentage up, to at least one host", () => {
    expect(waveSize({ percent: 30 }, 10)).toBe(3);
    expect(waveSize({ percent: 10 }, 11)).toBe(2);
    expect(waveSize({ percent: 1 }, 10)).toBe(1);
    expect(waveSize({ percent: 100 }, 7)).toBe(7);
    expect(waveSize({ hosts: 5 }, 2)).toBe(5);
  });

  it("rounds a budget percentage down: halting when the failed share exceeds it", () => {
    expect(failureBudget({ percent: 5 }, 10)).toBe(0);
    expect(failureBudget({ percent: 5 }, 40)).toBe(2);
    expect(failureBudget({ percent: 50 }, 9)).toBe(4);
    expect(failureBudget({ hosts: 1 }, 10)).toBe(1);
  });
});

describe("cutWaves", () => {
  it("10 hosts with 1,30%: waves of 1, 3, 3, 3 in plan order (the last size repeats)", () => {
    expect(cutWaves(range(10), sizes("1", "30%"), none)).toEqual([[0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  });

  it("1,10%,50% over 20 hosts: 1, 2, 10, then 10 again for what is left", () => {
    expect(cutWaves(range(20), sizes("1", "10%", "50%"), none).map((w) => w.length)).toEqual([1, 2, 10, 7]);
  });

  it("more wave sizes than hosts: only the waves that get a host exist", () => {
    expect(cutWaves(range(2), sizes("1", "1", "1", "1"), none)).toEqual([[0], [1]]);
    expect(cutWaves([], sizes("1"), none)).toEqual([]);
  });

  it("keeps the hosts it is given, in their order (a selection of plan order)", () => {
    expect(cutWaves([7, 2, 9, 4], sizes("2"), none)).toEqual([
      [7, 2],
      [9, 4],
    ]);
  });

  it("a consumer listed before its producer in the file is never in an earlier wave (chain across waves)", () => {
    // File order: c3 consumes c2, c2 consumes c1, c1 produces; then three independent hosts.
    const hosts: HostArtifacts[] = [
      { index: 0, machine: "c3", evaluated: true, produces: [], consumes: [{ machine: "c2", artifact: "a", span }] },
      { index: 1, machine: "c2", evaluated: true, produces: ["a"], consumes: [{ machine: "c1", artifact: "a", span }] },
      { index: 2, machine: "c1", evaluated: true, produces: ["a"], consumes: [] },
      { index: 3, machine: "x", evaluated: true, produces: [], consumes: [] },
      { index: 4, machine: "y", evaluated: true, produces: [], consumes: [] },
      { index: 5, machine: "z", evaluated: true, produces: [], consumes: [] },
    ];
    const g = buildArtifactGraph(hosts);
    const producers = (i: number) => (g.incoming.get(i) ?? []).map((e) => e.producer);
    const waves = cutWaves(g.order, sizes("1"), producers);
    expect(waves).toEqual([[2], [1], [0], [3], [4], [5]]);
    const waveOf = new Map(waves.flatMap((w, k) => w.map((h) => [h, k] as const)));
    for (const e of g.edges) expect(waveOf.get(e.consumer)!).toBeGreaterThanOrEqual(waveOf.get(e.producer)!);
  });

  it("moves a consumer later when the order it is given puts it first", () => {
    // Not a plan order: 0 consumes 3, which lands in the last wave; 1 consumes 0.
    const producers = (i: number) => (i === 0 ? [3] : i === 1 ? [0] : []);
    expect(cutWaves([0, 1, 2, 3], sizes("1"), producers)).toEqual([[2], [0, 1, 3]]);
  });

  it("ignores producers that are not in the selection", () => {
    expect(cutWaves([1, 2], sizes("1"), (i) => (i === 1 ? [0] : []))).toEqual([[1], [2]]);
  });
});
