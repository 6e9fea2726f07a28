import { describe, expect, it } from "vitest";
import { runScheduled } from "../../src/deploy/scheduler.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runScheduled", () => {
  it("reports in plan order whatever the finishing order, and never exceeds jobs", async () => {
    const reported: number[] = [];
    let running = 0;
    let peak = 0;
    const delays = [40, 5, 25, 1, 10, 3];
    await runScheduled([0, 1, 2, 3, 4, 5], 3, {
      producers: () => [],
      resource: (i) => `t${i}`,
      settle: () => undefined,
      run: async (i) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(delays[i]!);
        running--;
        return i;
      },
      report: (i) => reported.push(i),
    });
    expect(reported).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(3);
  });

  it("never starts a consumer before its producer finished", async () => {
    const events: string[] = [];
    await runScheduled([0, 1, 2], 8, {
      producers: (i) => (i === 2 ? [0] : []),
      resource: (i) => `t${i}`,
      settle: () => undefined,
      run: async (i) => {
        events.push(`start ${i}`);
        await sleep(i === 0 ? 30 : 1);
        events.push(`end ${i}`);
        return i;
      },
    });
    expect(events.indexOf("start 2")).toBeGreaterThan(events.indexOf("end 0"));
  });

  it("serialises records sharing a target", async () => {
    let concurrent = 0;
    let peak = 0;
    await runScheduled([0, 1, 2], 8, {
      producers: () => [],
      resource: () => "same-host",
      settle: () => undefined,
      run: async (i) => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await sleep(5);
        concurrent--;
        return i;
      },
    });
    expect(peak).toBe(1);
  });

  it("settles hosts without running them (blocked)", async () => {
    const ran: number[] = [];
    const results = await runScheduled<string>([0, 1, 2], 2, {
      producers: (i) => (i === 1 ? [0] : i === 2 ? [1] : []),
      resource: (i) => `t${i}`,
      settle: (i, done) => (i > 0 && done.get(i - 1) !== "ok" ? "blocked" : undefined),
      run: async (i) => {
        ran.push(i);
        return "failed";
      },
    });
    expect(ran).toEqual([0]);
    expect([...results.entries()].sort()).toEqual([
      [0, "failed"],
      [1, "blocked"],
      [2, "blocked"],
    ]);
  });

  it("runs a 10,000-host plan with chains and fan-out, reporting every host once in order", async () => {
    const n = 10_000;
    const order = Array.from({ length: n }, (_, i) => i);
    const reported: number[] = [];
    const results = await runScheduled(order, 8, {
      producers: (i) => (i % 10 === 0 || i < 10 ? [] : [i - 10, i - (i % 10)]),
      resource: (i) => `t${i % 50}`,
      settle: () => undefined,
      run: async (i) => i,
      report: (i) => reported.push(i),
    });
    expect(results.size).toBe(n);
    expect(reported).toEqual(order);
  });
});

describe("runScheduled across rollout waves", () => {
  it("sees and keeps the results of an earlier wave: a producer finished before is not waited for", async () => {
    const results = new Map<number, string>([[0, "ok"]]);
    const seen: (string | undefined)[] = [];
    await runScheduled<string>(
      [1, 2],
      2,
      {
        producers: (i) => (i === 1 ? [0] : []),
        resource: (i) => `t${i}`,
        settle: () => undefined,
        run: async (i, done) => {
          seen.push(done.get(0));
          return `ran ${i}`;
        },
      },
      results,
    );
    expect(seen).toEqual(["ok", "ok"]);
    expect([...results.entries()]).toEqual([
      [0, "ok"],
      [1, "ran 1"],
      [2, "ran 2"],
    ]);
  });
});
