import { readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyHost } from "../../src/deploy/host-apply.js";
import { deleteAndPrune, forEachLimited, ProtectedDirs } from "../../src/deploy/host-files.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { DEPLOYMENTS, GEN1, GEN2, STACK, TARGET, makeHost } from "./host-fixture.js";

describe("forEachLimited", () => {
  it("keeps at most `limit` calls in flight", async () => {
    let inFlight = 0;
    let most = 0;
    await forEachLimited([...Array(20).keys()], 4, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    expect(most).toBe(4);
  });

  it("starts nothing after a failure and rejects only when the calls in flight have settled", async () => {
    const started: number[] = [];
    let settled = 0;
    const err = await forEachLimited([...Array(10).keys()], 3, async (i) => {
      started.push(i);
      await new Promise((r) => setImmediate(r));
      settled++;
      if (i === 1) throw new Error("boom");
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("boom");
    // Item 0 finished before item 1 failed, so its worker went on to item 3; nothing after that.
    expect(started).toEqual([0, 1, 2, 3]);
    expect(settled).toBe(started.length);
  });
});

describe("deleteAndPrune", () => {
  it("keeps walking up past a directory an interrupted run already removed", async () => {
    const h = makeHost();
    await h.transport.mkdirp("/etc/app/conf.d");
    await h.transport.writeFileAtomic("/etc/app/main.conf", Buffer.from("x"), 0o644);
    // /etc/app/conf.d/deep/new.conf and its directory are already gone; conf.d is left empty.
    const removed = await deleteAndPrune(h.transport, ["/etc/app/conf.d/deep/new.conf"], new ProtectedDirs(), () => undefined);
    expect(removed).toBe(0);
    expect(readdirSync(join(h.root, "etc/app"))).toEqual(["main.conf"]);
  });

  it("never removes a protected directory even when empty", async () => {
    const h = makeHost();
    await h.transport.writeFileAtomic("/srv/data/x", Buffer.from("x"), 0o644);
    const removed = await deleteAndPrune(h.transport, ["/srv/data/x"], new ProtectedDirs().protectRoot("/srv/data"), () => undefined);
    expect(removed).toBe(1);
    expect(readdirSync(join(h.root, "srv"))).toEqual(["data"]);
  });
});

describe("rollback with damaged stored content", () => {
  it("refuses before writing anything, naming the file", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    await applyHost(h.input(GEN2));
    const tree = h.tree();
    const sha = createHash("sha256").update("listen 80\n").digest("hex");
    writeFileSync(join(h.root, DEPLOYMENTS, STACK, "files", sha), "tampered");
    await expect(
      rollbackHost({ transport: h.transport, stack: STACK, target: TARGET, deploymentsRoot: DEPLOYMENTS, holder: { host: hostname(), pid: process.pid, startedAt: "x" } }),
    ).rejects.toThrow(`stored content of /etc/app/main.conf (${DEPLOYMENTS}/${STACK}/files/${sha}) is damaged; apply again to rewrite it`);
    expect(h.tree()).toBe(tree);
  });
});
