/** The per-stack lock between real processes: a live holder blocks at once, a dead one is taken over. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyHost } from "../../src/deploy/host-apply.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { DEPLOYMENTS, GEN1, GEN2, STACK, TARGET, makeHost } from "../deploy/host-fixture.js";
import { runFleet } from "../support/cli.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";

const CHILD = fileURLToPath(new URL("./lock-holder-child.ts", import.meta.url));

async function holdLock(root: string, dir = `${DEPLOYMENTS}/${STACK}`): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, root, dir], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("LOCKED\n")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`lock holder exited early with ${code}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on("exit", () => resolve())));
}

describe("lock between processes", () => {
  it("a live holder in another process makes apply and rollback fail at once, naming it; nothing changes", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    await applyHost(h.input(GEN2));
    const tree = h.tree();
    const child = await holdLock(h.root);
    try {
      const expected = `${TARGET}/${STACK} is locked by pid ${child.pid} on host ${hostname()} since 2026-11-25T09:30:00.000Z; wait for it to finish`;
      await expect(applyHost(h.input(GEN1))).rejects.toThrow(expected);
      await expect(
        rollbackHost({ transport: h.transport, stack: STACK, target: TARGET, deploymentsRoot: DEPLOYMENTS, holder: h.input({}).holder }),
      ).rejects.toThrow(expected);
      expect(h.tree()).toBe(tree);
    } finally {
      child.stdin!.end();
      await exited(child);
    }
    // Released cleanly: no lock file, and the next apply needs no takeover.
    expect(existsSync(join(h.root, DEPLOYMENTS, STACK, "lock"))).toBe(false);
    expect((await applyHost(h.input(GEN1))).lockTakeover).toBeNull();
  });

  it("the lock of a SIGKILLed holder is taken over with a warning by the next command", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    const child = await holdLock(h.root);
    child.kill("SIGKILL");
    await exited(child);
    expect(existsSync(join(h.root, DEPLOYMENTS, STACK, "lock"))).toBe(true);
    const r = await applyHost(h.input(GEN2));
    const warning = `took over the lock of dead process ${child.pid} (started 2026-11-25T09:30:00.000Z)`;
    expect(r.lockTakeover).toBe(warning);
    expect(h.events).toContainEqual({ kind: "warning", message: warning });
    expect(existsSync(join(h.root, DEPLOYMENTS, STACK, "lock"))).toBe(false);
  });

  it("fleet apply fails that host at once with a ✗ line naming the holder", async () => {
    const dir = tempDir();
    const root = join(dir, "out");
    const fleet = writeFleet(dir, [{ stack: "Web", target: "ssh://ops@web.internal", files: { "/etc/web.conf": "v1" } }]);
    const env = { FLEET_STORE_DIR: join(dir, "store") };
    expect(runFleet(["apply", fleet, "--transport-root", root], { env }).code).toBe(0);
    const child = await holdLock(join(root, "ops@web.internal"), "/home/ops/.fleet/deployments/Web");
    try {
      const r = runFleet(["apply", fleet, "--transport-root", root], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `✗ Web → ssh://ops@web.internal: ssh://ops@web.internal/Web is locked by pid ${child.pid} on host ${hostname()} since 2026-11-25T09:30:00.000Z; wait for it to finish`,
      );
      expect(r.stdout).toContain("fleet: 0/1 host(s) deployed");
    } finally {
      child.stdin!.end();
      await exited(child);
    }
  });
});
