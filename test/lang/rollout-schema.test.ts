import { describe, expect, it } from "vitest";
import { readFleet } from "../../src/plan/fleet-model.js";
import { codes, run } from "./helpers.js";

const fleet = (rollout: string) => `module Fleet { hosts = [] ${rollout} }`;

describe("the Fleet module's rollout record (ADR 160)", () => {
  it("accepts whole numbers and percentages, mixed in one list", () => {
    expect(codes(fleet(`rollout = { waves = [1, "10%", "50%"] maxFailed = "5%" soak = 30 }`))).toEqual([]);
    expect(codes(fleet(`rollout = { waves = ["100%"] maxFailed = 0 }`))).toEqual([]);
  });

  it("keeps the ordinary codes inside the record: E1 for a bad size, E2 for an unknown field, E3 for missing waves", () => {
    expect(codes(fleet(`rollout = { waves = [0] }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = ["0%"] }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = ["101%"] }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = [] }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = [1] maxFailed = "x" }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = [1] soak = "30" }`))).toEqual(["E1"]);
    expect(codes(fleet(`rollout = { waves = [1] soak = -1 }`))).toEqual(["E1"]);
    expect(run(fleet(`rollout = { wave = [1] }`)).diagnostics.map((d) => [d.code, d.hint])).toEqual([["E2", "did you mean 'waves'?"]]);
    expect(codes(fleet(`rollout = { soak = 1 }`))).toEqual(["E3"]);
  });

  it("a misspelt rollout field of the Fleet module itself is E14, like every Fleet shape error", () => {
    expect(run(fleet(`rolout = { waves = [1] }`)).diagnostics.map((d) => [d.code, d.hint])).toEqual([["E14", "did you mean 'rollout'?"]]);
  });

  it("is read into the fleet model", () => {
    const r = run(fleet(`rollout = { waves = [1, "10%"] maxFailed = "5%" soak = 30 }`));
    const { model } = readFleet(r.modules.get("Fleet")!, { file: "t.pcl", offset: 0, length: 0 });
    expect(model.rollout).toEqual({ waves: [{ hosts: 1 }, { percent: 10 }], maxFailed: { percent: 5 }, soak: 30 });
    const plain = readFleet(run(fleet("")).modules.get("Fleet")!, { file: "t.pcl", offset: 0, length: 0 });
    expect(plain.model.rollout).toBeUndefined();
  });
});
