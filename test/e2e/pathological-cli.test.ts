/**
 * Issue 12, items 5, 6, 7 and 16 through the built CLI: hostile PCL gives a located `[E6]` (or
 * the usual diagnostics) and exit 1, never an internal error, a stack trace or megabytes of
 * stderr.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { tempDir } from "../support/fleet-fixture.js";
import { deepFamilies, sharingFamilies, undefinedReferences } from "../support/pathological.js";

function check(text: string, ...args: string[]): ReturnType<typeof runFleet> {
  const dir = tempDir("fleet-pathological-");
  const file = join(dir, "p.pcl");
  writeFileSync(file, text);
  return runFleet([...args, "p.pcl"], { cwd: dir, timeout: 60_000 });
}

function expectClean(r: ReturnType<typeof runFleet>): void {
  expect(r.stderr).not.toContain("internal error");
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.code).toBe(1);
}

describe("fleet check and fleet eval on pathological input", () => {
  it("lists nested 100,000 deep: a located [E6] at the level too many", () => {
    const r = check(deepFamilies.lists!(100_000), "check");
    expectClean(r);
    expect(r.stderr.split("\n")[0]).toBe("p.pcl:1:80: error: [E6] expressions nest more than 64 levels deep here; flatten the expression or split it into fields");
    expect(r.stderr.length).toBeLessThan(2_000);
  });

  it("a module reference chain 100,000 long: a located [E6]", () => {
    const r = check(deepFamilies["module reference chain"]!(100_000), "check");
    expectClean(r);
    expect(r.stderr).toMatch(/^p\.pcl:\d+:\d+: error: \[E6\] evaluation goes more than 200 expressions and field references deep here/);
  });

  it("a 1 KB program that doubles a record 30 times: [E6] before any JSON is written", () => {
    const text = sharingFamilies.records!.text(30);
    expect(text.length).toBeLessThan(1_100);
    const r = check(text, "eval", "--json");
    expectClean(r);
    // The one --json document is the error (ADR 140): no value was materialised.
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string }; modules?: unknown };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe("E6");
    expect(doc.modules).toBeUndefined();
    expect(r.stdout.length).toBeLessThan(2_000);
  });

  it("500 undefined references: 100 rendered, then how many more", () => {
    const r = check(undefinedReferences(500), "check");
    expectClean(r);
    expect(r.stderr.split("error: [E2]").length - 1).toBe(100);
    expect(r.stderr.endsWith("fleet: 400 more errors not shown (500 in all); fix the ones above first\n")).toBe(true);
  });

  it("a mistake on a 100 KB line: the excerpt is cut around the caret", () => {
    const r = check(`module M { x = [${"1, ".repeat(33_000)}Nope] }\n`, "check");
    expectClean(r);
    expect(r.stderr.length).toBeLessThan(1_000);
    expect(r.stderr).toMatch(/ \| …[ ,1]+Nope\] }\n/);
  });
});
