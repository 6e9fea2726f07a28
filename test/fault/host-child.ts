/**
 * A separate fleet-like process for crash tests: runs one applyHost or rollbackHost against a
 * hermetic target and is SIGKILLed by the pipeline at the step named by FLEET_TEST_DIE_AT.
 * Usage: node --import tsx host-child.ts '<json spec>'
 */
import { applyHost } from "../../src/deploy/host-apply.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { DEPLOYMENTS, STACK, TARGET, makeHost, type FileSet } from "../deploy/host-fixture.js";
import type { StorePush } from "../../src/transport/transport.js";

interface ChildSpec {
  readonly root: string;
  readonly op: "apply" | "rollback";
  readonly files?: FileSet;
  readonly sourceHash?: string;
  readonly storePushes?: StorePush[];
}

const spec = JSON.parse(process.argv[2] ?? "{}") as ChildSpec;
const host = makeHost(spec.root);
const dieAt = process.env.FLEET_TEST_DIE_AT;

/**
 * FLEET_TEST_DIE_AT_CALL=N: SIGKILL while the N-th mutating transport call is in flight (it was
 * started, and may or may not have reached its rename), a finer grid than the named steps.
 * At exit the child prints how many mutating calls it made.
 */
const MUTATING = new Set(["writeFileAtomic", "symlinkAtomic", "rename", "remove", "removeTree", "rmdirIfEmpty", "mkdirp", "pushStorePaths"]);
const dieAtCall = Number(process.env.FLEET_TEST_DIE_AT_CALL ?? "0");
let calls = 0;
const transport = new Proxy(host.transport, {
  get(target, prop, receiver) {
    const v = Reflect.get(target, prop, receiver) as unknown;
    if (typeof prop !== "string" || !MUTATING.has(prop) || typeof v !== "function") return typeof v === "function" ? v.bind(target) : v;
    return (...args: unknown[]) => {
      const result = (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      if (++calls === dieAtCall) setImmediate(() => process.kill(process.pid, "SIGKILL"));
      return result;
    };
  },
});
process.on("exit", () => process.stderr.write(`calls=${calls}\n`));
const holder = { host: (await import("node:os")).hostname(), pid: process.pid, startedAt: new Date(0).toISOString() };

if (spec.op === "apply") {
  const pushes = spec.storePushes ?? [];
  const r = await applyHost(
    host.input(spec.files ?? {}, {
      transport,
      holder,
      sourceHash: spec.sourceHash ?? "",
      storePushes: pushes,
      storePaths: pushes.map((p) => p.remotePath),
      ...(dieAt === undefined ? {} : { dieAt }),
    }),
  );
  process.stdout.write(JSON.stringify({ generation: r.generation }));
} else {
  const r = await rollbackHost({
    transport,
    stack: STACK,
    target: TARGET,
    deploymentsRoot: DEPLOYMENTS,
    holder,
    ...(dieAt === undefined ? {} : { dieAt }),
  });
  process.stdout.write(JSON.stringify({ generation: r.generation }));
}
