/**
 * SIGKILL at every named step of apply, rollback and recovery; the next command must leave every
 * managed file byte-identical to one complete generation, and `current` must always name one.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyHost } from "../../src/deploy/host-apply.js";
import { APPLY_STEPS, RECOVERY_STEPS, ROLLBACK_STEPS, stepper, type HostEvent } from "../../src/deploy/host-events.js";
import { recoverPending } from "../../src/deploy/host-recover.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { FleetError } from "../../src/fleet-error.js";
import { DEPLOYMENTS, STACK, STORE, TARGET, makeHost, type FileSet, type Host } from "../deploy/host-fixture.js";

const CHILD = fileURLToPath(new URL("./host-child.ts", import.meta.url));

/** Three generations: edits, a mode change, adds in new directories, removals, a changed secret. */
const GENS: Record<string, FileSet> = {
  A: {
    "/etc/app/main.conf": "listen 80\n",
    "/etc/app/mode.conf": "m\n",
    "/etc/app/old/legacy.conf": "legacy\n",
    "/etc/app/old/legacy2.conf": "legacy2\n",
    "/etc/fleet/secrets/app.env": { content: 'PW="one"\n', secret: true },
    "/etc/fleet/secrets/db.env": { content: 'PW="db1"\n', secret: true },
  },
  B: {
    "/etc/app/main.conf": "listen 8080\n",
    "/etc/app/mode.conf": { content: "m\n", mode: 0o640 },
    "/etc/app/conf.d/deep/new.conf": "new\n",
    "/etc/app/conf.d/deep/new2.conf": "new2\n",
    "/etc/fleet/secrets/app.env": { content: 'PW="two"\n', secret: true },
    "/etc/fleet/secrets/db.env": { content: 'PW="db2"\n', secret: true },
  },
  C: {
    "/etc/app/main.conf": "listen 9090\n",
    "/srv/www/index.html": "<h1>hi</h1>\n",
    "/etc/fleet/secrets/app.env": { content: 'PW="three"\n', secret: true },
  },
};

/** The same generations with secrets that never change, for rollback-after-crash checks. */
const SAME_SECRETS: Record<string, FileSet> = {
  A: { ...GENS.A, "/etc/fleet/secrets/app.env": { content: "S=1\n", secret: true }, "/etc/fleet/secrets/db.env": { content: "D=1\n", secret: true } },
  B: { ...GENS.B, "/etc/fleet/secrets/app.env": { content: "S=1\n", secret: true }, "/etc/fleet/secrets/db.env": { content: "D=1\n", secret: true } },
};

const holder = { host: hostname(), pid: process.pid, startedAt: "2026-11-25T12:00:00.000Z" };

/** Reference trees: what one complete generation of each file set looks like on a clean target. */
async function referenceTrees(gens: Record<string, FileSet>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, files] of Object.entries(gens)) {
    const h = makeHost();
    await applyHost(h.input(files, { sourceHash: name }));
    out[name] = h.tree();
  }
  return out;
}

function spawnChild(h: Host, spec: object, dieAt: string): { signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD, JSON.stringify({ root: h.root, ...spec })], {
    encoding: "utf8",
    env: { ...process.env, FLEET_TEST_DIE_AT: dieAt },
  });
  return { signal: r.signal, stderr: r.stderr };
}

function stackDirOf(h: Host): string {
  return join(h.root, DEPLOYMENTS, STACK);
}

/** `current` names a complete, readable generation; returns its source hash (the file-set name). */
function currentSet(h: Host): string | null {
  const link = join(stackDirOf(h), "current");
  if (!existsSync(link)) return null;
  const m = JSON.parse(readFileSync(join(stackDirOf(h), readlinkSync(link)), "utf8")) as { source_hash: string };
  return m.source_hash;
}

function recover(h: Host, events: HostEvent[]) {
  return recoverPending({
    transport: h.transport,
    dir: `${DEPLOYMENTS}/${STACK}`,
    deploymentsRoot: DEPLOYMENTS,
    storeRoot: STORE,
    emit: (e) => events.push(e),
    step: stepper(() => undefined, undefined),
  });
}

function cloneHost(h: Host): Host {
  const c = makeHost();
  cpSync(h.root, c.root, { recursive: true, verbatimSymlinks: true });
  return c;
}

const covered = new Set<string>();

describe("SIGKILL during apply", async () => {
  const ref = await referenceTrees(GENS);

  it.each(APPLY_STEPS.map((s) => [s]))("killed at %s: recovery lands on one generation, the next apply completes", async (step) => {
    const h = makeHost();
    const push = h.storePath("aaaa-app-1.0");
    await applyHost(h.input(GENS.A!, { sourceHash: "A", storePushes: [push], storePaths: [push.remotePath] }));
    const push2 = h.storePath("bbbb-app-2.0");
    const child = spawnChild(h, { op: "apply", files: GENS.B, sourceHash: "B", storePushes: [push2] }, step);
    expect(child.signal, child.stderr).toBe("SIGKILL");
    covered.add(step);

    const cur = currentSet(h);
    expect(cur === "A" || cur === "B").toBe(true);

    // Branch 1: recovery alone leaves the target exactly at the generation `current` names.
    const r1 = cloneHost(h);
    const events: HostEvent[] = [];
    const outcome = await recover(r1, events);
    const now = currentSet(r1)!;
    expect(r1.tree()).toBe(ref[now]);
    expect(existsSync(join(stackDirOf(r1), "pending"))).toBe(false);
    if (outcome !== null) {
      expect(events).toContainEqual({ kind: "recovered", outcome });
      expect(outcome.message).toMatch(/^(finished|undid) interrupted apply to gen-002/);
    }

    // Branch 2: the next apply (another process after the crash) takes the dead lock over,
    // recovers, and writes its own generation; rolling it back lands on a complete generation.
    const r2 = cloneHost(h);
    const res = await applyHost(r2.input(GENS.C!, { sourceHash: "C", holder }));
    expect(r2.tree()).toBe(ref.C);
    if (existsSync(join(stackDirOf(h), "lock"))) expect(res.lockTakeover).toMatch(/^took over the lock of dead process \d+/);
    const prev = currentSet(r1);
    const rb = await rollbackHost({ transport: r2.transport, stack: STACK, target: TARGET, deploymentsRoot: DEPLOYMENTS, holder });
    expect(rb.generation).toBe(res.previous);
    // Rollback skips secrets, so compare the non-secret state with the recovered generation's.
    const nonSecret = (x: Host): string[] => x.listing().filter((l) => !l.includes("etc/fleet/secrets/"));
    expect(nonSecret(r2)).toEqual(nonSecret(r1));
    expect(currentSet(r2)).toBe(prev);
  });
});

describe("SIGKILL inside an atomic write", async () => {
  const ref = await referenceTrees(GENS);

  it("the temp file it leaves beside a managed file is removed by recovery", async () => {
    const h = makeHost();
    await applyHost(h.input(GENS.A!, { sourceHash: "A" }));
    expect(spawnChild(h, { op: "apply", files: GENS.B, sourceHash: "B" }, "apply:first-live-file-written").signal).toBe("SIGKILL");
    // What a kill between write and rename(2) leaves (LocalTransport and SshTransport names).
    writeFileSync(join(h.root, "etc/app/.mode.conf.fleet-tmp-99999"), "half");
    writeFileSync(join(h.root, "etc/fleet/secrets/.db.env.fleet-tmp-99999-3"), "half");
    writeFileSync(join(h.root, "etc/app/.unrelated.fleet-tmp-1"), "not ours");
    await recover(h, []);
    expect(existsSync(join(h.root, "etc/app/.mode.conf.fleet-tmp-99999"))).toBe(false);
    expect(existsSync(join(h.root, "etc/fleet/secrets/.db.env.fleet-tmp-99999-3"))).toBe(false);
    rmSync(join(h.root, "etc/app/.unrelated.fleet-tmp-1"));
    expect(h.tree()).toBe(ref[currentSet(h)!]);
  });
});

describe("SIGKILL during rollback", async () => {
  const ref = await referenceTrees(SAME_SECRETS);

  it.each(ROLLBACK_STEPS.map((s) => [s]))("killed at %s: the next rollback ends at the previous generation", async (step) => {
    const h = makeHost();
    const push = h.storePath("aaaa-app-1.0");
    await applyHost(h.input(SAME_SECRETS.A!, { sourceHash: "A", storePushes: [push], storePaths: [push.remotePath] }));
    await applyHost(h.input(SAME_SECRETS.B!, { sourceHash: "B" }));
    const child = spawnChild(h, { op: "rollback" }, step);
    expect(child.signal, child.stderr).toBe("SIGKILL");
    covered.add(step);
    const cur = currentSet(h);
    expect(cur === "A" || cur === "B").toBe(true);

    const result = await rollbackHost({ transport: h.transport, stack: STACK, target: TARGET, deploymentsRoot: DEPLOYMENTS, holder }).then(
      (r) => r,
      (e: unknown) => e,
    );
    if (step === "rollback:pending-removed") {
      // The killed rollback had finished: a second one has nowhere to go.
      expect((result as FleetError).code).toBe("E12");
    } else {
      expect(result).toMatchObject({ generation: 1, was: 2 });
    }
    expect(currentSet(h)).toBe("A");
    expect(h.tree()).toBe(ref.A);
  });
});

function callCount(stderr: string): number {
  const m = /calls=(\d+)/.exec(stderr);
  if (!m) throw new Error(`child did not report its calls: ${stderr}`);
  return Number(m[1]);
}

function spawnAtCall(h: Host, spec: object, n: number): { signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD, JSON.stringify({ root: h.root, ...spec })], {
    encoding: "utf8",
    env: { ...process.env, FLEET_TEST_DIE_AT_CALL: String(n) },
  });
  return { signal: r.signal, stderr: r.stderr };
}

describe("SIGKILL while each mutating transport call is in flight", async () => {
  const ref = await referenceTrees(GENS);
  const sameRef = await referenceTrees(SAME_SECRETS);

  it("apply: recovery lands on one generation and the next apply completes, at every call", async () => {
    const probe = makeHost();
    await applyHost(probe.input(GENS.A!, { sourceHash: "A" }));
    const total = callCount(spawnAtCall(probe, { op: "apply", files: GENS.B, sourceHash: "B" }, 0).stderr);
    expect(total).toBeGreaterThan(15);
    for (let n = 1; n <= total; n++) {
      const h = makeHost();
      await applyHost(h.input(GENS.A!, { sourceHash: "A" }));
      const child = spawnAtCall(h, { op: "apply", files: GENS.B, sourceHash: "B" }, n);
      expect(child.signal, `call ${n}: ${child.stderr}`).toBe("SIGKILL");
      await recover(h, []);
      const cur = currentSet(h);
      expect(cur === "A" || cur === "B", `call ${n}`).toBe(true);
      expect(h.tree(), `call ${n}`).toBe(ref[cur!]);
      await applyHost(h.input(GENS.C!, { sourceHash: "C", holder }));
      expect(h.tree(), `call ${n}`).toBe(ref.C);
    }
  });

  it("rollback: the next rollback ends at the previous generation, at every call", async () => {
    const setup = async (): Promise<Host> => {
      const h = makeHost();
      await applyHost(h.input(SAME_SECRETS.A!, { sourceHash: "A" }));
      await applyHost(h.input(SAME_SECRETS.B!, { sourceHash: "B" }));
      return h;
    };
    const total = callCount(spawnAtCall(await setup(), { op: "rollback" }, 0).stderr);
    expect(total).toBeGreaterThan(5);
    for (let n = 1; n <= total; n++) {
      const h = await setup();
      expect(spawnAtCall(h, { op: "rollback" }, n).signal, `call ${n}`).toBe("SIGKILL");
      await rollbackHost({ transport: h.transport, stack: STACK, target: TARGET, deploymentsRoot: DEPLOYMENTS, holder }).catch((e: unknown) => {
        // Only when the killed rollback had already completed.
        expect((e as FleetError).code).toBe("E12");
      });
      expect(currentSet(h), `call ${n}`).toBe("A");
      expect(h.tree(), `call ${n}`).toBe(sameRef.A);
    }
  });
});

describe("SIGKILL during recovery", async () => {
  const ref = await referenceTrees(GENS);

  // Which interrupted applies make the recovery pass each of its steps: undoing one killed after
  // its first live write restores a file; finishing one killed after its writes deletes files.
  const firstKills: Record<(typeof RECOVERY_STEPS)[number], string[]> = {
    "recover:first-file-written": ["apply:first-live-file-written"],
    "recover:files-written": ["apply:first-live-file-written", "apply:live-files-written", "apply:first-stale-file-deleted"],
    "recover:first-file-removed": ["apply:live-files-written"],
    "recover:flipped": ["apply:first-live-file-written", "apply:live-files-written", "apply:first-stale-file-deleted"],
  };

  it.each(RECOVERY_STEPS.map((s) => [s]))("killed at %s while recovering: the run after that still recovers", async (step) => {
    for (const firstKill of firstKills[step]) {
      const h = makeHost();
      await applyHost(h.input(GENS.A!, { sourceHash: "A" }));
      expect(spawnChild(h, { op: "apply", files: GENS.B, sourceHash: "B" }, firstKill).signal).toBe("SIGKILL");
      const second = spawnChild(h, { op: "apply", files: GENS.C, sourceHash: "C" }, step);
      expect(second.signal, second.stderr).toBe("SIGKILL");
      covered.add(step);
      const cur = currentSet(h);
      expect(cur === "A" || cur === "B").toBe(true);
      const events: HostEvent[] = [];
      await recover(h, events);
      expect(h.tree()).toBe(ref[currentSet(h)!]);
    }
  });

  it("covers every named kill point", () => {
    expect([...covered].sort()).toEqual([...APPLY_STEPS, ...ROLLBACK_STEPS, ...RECOVERY_STEPS].sort());
  });
});
