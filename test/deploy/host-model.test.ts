/**
 * Model-based property: any sequence of applies and rollbacks leaves the target byte-identical
 * to a clean apply of the file set the model says is current (including empty-directory pruning).
 */
import fc from "fast-check";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { applyHost } from "../../src/deploy/host-apply.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { FleetError } from "../../src/fleet-error.js";
import { DEPLOYMENTS, STACK, TARGET, makeHost, type FileSet } from "./host-fixture.js";

const PATHS = ["/etc/a.conf", "/etc/app/b.conf", "/etc/app/deep/c.conf", "/etc/app/deep/d.conf", "/srv/www/x/index.html", "/opt/z"];

const fileSet: fc.Arbitrary<FileSet> = fc
  .dictionary(
    fc.constantFrom(...PATHS),
    fc.record({ content: fc.constantFrom("", "one\n", "two\n", "three\n"), mode: fc.constantFrom(0o644, 0o600, 0o755) }),
  )
  .map((d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, { content: v.content, mode: v.mode }])));

type Op = { kind: "apply"; set: FileSet } | { kind: "rollback" };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fileSet.map((set): Op => ({ kind: "apply", set })) },
  { weight: 2, arbitrary: fc.constant<Op>({ kind: "rollback" }) },
);

const refCache = new Map<string, string>();
async function referenceTree(set: FileSet): Promise<string> {
  const key = JSON.stringify(Object.keys(set).sort().map((k) => [k, set[k]]));
  const hit = refCache.get(key);
  if (hit !== undefined) return hit;
  const h = makeHost();
  await applyHost(h.input(set));
  refCache.set(key, h.tree());
  return h.tree();
}

describe("apply/rollback model", () => {
  it("every state is a clean image of the generation the model says is current", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 7 }), async (ops) => {
        const h = makeHost();
        const gens: { set: FileSet; previous: number | null }[] = [];
        let current: number | null = null;
        for (const o of ops) {
          if (o.kind === "apply") {
            const r = await applyHost(h.input(o.set));
            gens.push({ set: o.set, previous: current });
            current = gens.length - 1;
            expect(r.generation).toBe(gens.length);
          } else {
            const res = await rollbackHost({
              transport: h.transport,
              stack: STACK,
              target: TARGET,
              deploymentsRoot: DEPLOYMENTS,
              holder: { host: hostname(), pid: process.pid, startedAt: "x" },
            }).catch((e: unknown) => e);
            const prev: number | null = current === null ? null : gens[current]!.previous;
            if (prev === null) {
              expect(res).toBeInstanceOf(FleetError);
              expect((res as FleetError).code).toBe("E12");
            } else {
              expect(res).toMatchObject({ generation: prev + 1, was: current! + 1 });
              current = prev;
            }
          }
          if (current !== null) expect(h.tree()).toBe(await referenceTree(gens[current]!.set));
        }
      }),
      { numRuns: 40 },
    );
  });
});
