import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyHost } from "../../src/deploy/host-apply.js";
import { rollbackHost } from "../../src/deploy/host-rollback.js";
import { FleetError } from "../../src/fleet-error.js";
import { DEPLOYMENTS, GEN1, GEN2, STACK, TARGET, makeHost, type Host } from "./host-fixture.js";

const stackDir = (h: Host): string => join(h.root, DEPLOYMENTS, STACK);
const rollback = (h: Host) =>
  rollbackHost({
    transport: h.transport,
    stack: STACK,
    target: TARGET,
    deploymentsRoot: DEPLOYMENTS,
    holder: { host: hostname(), pid: process.pid, startedAt: "2026-11-25T12:00:00.000Z" },
    onEvent: (e) => h.events.push(e),
  });
const e12 = async (p: Promise<unknown>): Promise<FleetError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FleetError);
  expect((err as FleetError).code).toBe("E12");
  return err as FleetError;
};

describe("apply → change → rollback", () => {
  it("restores the target byte for byte, with the counts of the seed", async () => {
    const h = makeHost();
    const r1 = await applyHost(h.input(GEN1));
    expect(r1).toMatchObject({ generation: 1, previous: null, written: 5, removed: 0 });
    const afterGen1 = h.listing();

    const r2 = await applyHost(h.input(GEN2));
    expect(r2).toMatchObject({ generation: 2, previous: 1, written: 3, removed: 1 });
    expect(h.listing()).not.toEqual(afterGen1);
    // The emptied /etc/app/old went with its last file.
    expect(existsSync(join(h.root, "etc/app/old"))).toBe(false);

    const rb = await rollback(h);
    expect(rb).toMatchObject({ generation: 1, was: 2, restored: 3, removed: 1, secretSkipped: 0 });
    expect(h.listing()).toEqual(afterGen1);
    expect(existsSync(join(h.root, "etc/app/conf.d"))).toBe(false);
    expect(readlinkSync(join(stackDir(h), "current"))).toBe("gen-001.json");

    const again = await e12(rollback(h));
    expect(again.message).toBe(`no previous generation: ${STACK} on ${TARGET} is at gen-001, its first generation`);
    expect(h.listing()).toEqual(afterGen1);
  });

  it("a no-change re-apply writes a new generation and rolling it back changes nothing", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    const tree = h.tree();
    const r = await applyHost(h.input(GEN1));
    expect(r).toMatchObject({ generation: 2, previous: 1, written: 0, removed: 0 });
    expect(h.tree()).toBe(tree);
    expect(await rollback(h)).toMatchObject({ generation: 1, was: 2, restored: 0, removed: 0 });
    expect(h.tree()).toBe(tree);
  });

  it("a later rollback goes to the previous of the generation rolled back to", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    const t1 = h.tree();
    await applyHost(h.input(GEN2));
    const t2 = h.tree();
    await applyHost(h.input({ "/etc/other": "3\n" }));
    expect(await rollback(h)).toMatchObject({ generation: 2, was: 3 });
    expect(h.tree()).toBe(t2);
    expect(await rollback(h)).toMatchObject({ generation: 1, was: 2 });
    expect(h.tree()).toBe(t1);
    // Numbers keep growing after rollbacks.
    expect((await applyHost(h.input(GEN2))).generation).toBe(4);
    expect(h.tree()).toBe(t2);
  });

  it("restores a managed file an operator edited or deleted by hand", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    const t1 = h.tree();
    await applyHost(h.input(GEN2));
    rmSync(join(h.root, "etc/app/run.sh"));
    expect(await rollback(h)).toMatchObject({ restored: 4 });
    expect(h.tree()).toBe(t1);
  });

  it("refuses to roll back a stack that was never deployed, creating nothing", async () => {
    const h = makeHost();
    const err = await e12(rollback(h));
    expect(err.message).toBe(`${STACK} was never deployed to ${TARGET}; nothing to roll back`);
    expect(readdirSync(h.root)).toEqual([]);
  });

  it("never removes a directory that still holds files, nor the roots", async () => {
    const h = makeHost();
    await applyHost(h.input({ "/srv/a/b/c.txt": "c", "/srv/a/keep.txt": "k" }));
    await applyHost(h.input({ "/srv/a/keep.txt": "k" }));
    expect(existsSync(join(h.root, "srv/a/b"))).toBe(false);
    expect(existsSync(join(h.root, "srv/a/keep.txt"))).toBe(true);
    await applyHost(h.input({}));
    expect(readdirSync(h.root).sort()).toEqual(["var"]);
    expect(existsSync(join(h.root, DEPLOYMENTS, STACK, "current"))).toBe(true);
  });
});

describe("generations on the target", () => {
  it("writes canonical manifests, a relative current symlink and content-addressed blobs", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    await applyHost(h.input(GEN2, { artifacts: { endpoint: "10.0.0.1" }, artifactRefs: ["dns/zone"] }));
    const dir = stackDir(h);
    expect(lstatSync(join(dir, "current")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "current"))).toBe("gen-002.json");
    const text = readFileSync(join(dir, "gen-002.json"), "utf8");
    const m = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(m)).toEqual([...Object.keys(m)].sort());
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "generation": 2,\n');
    expect(m).toMatchObject({
      generation: 2,
      previous: 1,
      stack: STACK,
      host: TARGET,
      machine: "web",
      deployed_at: "2026-11-25T12:00:00.000Z",
      dry_run: false,
      artifacts: { endpoint: "10.0.0.1" },
      artifact_refs: ["dns/zone"],
    });
    const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
    expect((m.files as unknown[])[0]).toEqual({ path: "/etc/app/conf.d/deep/new.conf", sha256: sha("new\n"), mode: "0644", secret: false });
    expect(m.files).toContainEqual({ path: "/etc/app/extra.conf", sha256: sha("x = 1\n"), mode: "0600", secret: false });
    const blobs = readdirSync(join(dir, "files"));
    expect(blobs).toContain(sha("listen 80\n"));
    expect(readFileSync(join(dir, "files", sha("listen 8080\n")), "utf8")).toBe("listen 8080\n");
    // gen-001 is never rewritten.
    expect(JSON.parse(readFileSync(join(dir, "gen-001.json"), "utf8"))).toMatchObject({ generation: 1, previous: null });
    expect(existsSync(join(dir, "pending"))).toBe(false);
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("records secret files by HMAC only: never under files/, never in the manifest", async () => {
    const h = makeHost();
    const secret = "hunter2-very-secret";
    await applyHost(h.input({ "/etc/app/main.conf": "a\n" }));
    const t1 = h.tree();
    await applyHost(h.input({ "/etc/app/main.conf": "b\n", "/etc/fleet/secrets/app.env": { content: `PW="${secret}"\n`, secret: true } }));
    const dir = stackDir(h);
    const m = JSON.parse(readFileSync(join(dir, "gen-002.json"), "utf8")) as { files: { path: string; sha256: string; secret: boolean; mode: string }[] };
    const f = m.files.find((x) => x.secret)!;
    expect(f).toMatchObject({ path: "/etc/fleet/secrets/app.env", mode: "0600" });
    expect(f.sha256).not.toBe(createHash("sha256").update(`PW="${secret}"\n`).digest("hex"));
    expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(lstatSync(join(h.root, DEPLOYMENTS, ".fleet-hmac-key")).mode & 0o777).toBe(0o600);
    for (const b of readdirSync(join(dir, "files"))) expect(readFileSync(join(dir, "files", b), "utf8")).not.toContain(secret);
    for (const g of ["gen-001.json", "gen-002.json"]) expect(readFileSync(join(dir, g), "utf8")).not.toContain(secret);
    expect(lstatSync(join(h.root, "etc/fleet/secrets/app.env")).mode & 0o777).toBe(0o600);
    // Rolling back removes the secret file gen-001 did not declare.
    expect(await rollback(h)).toMatchObject({ generation: 1, restored: 1, removed: 1, secretSkipped: 0 });
    expect(h.tree()).toBe(t1);
  });

  it("counts the previous generation's secret files as secret-skipped", async () => {
    const h = makeHost();
    await applyHost(h.input({ "/etc/a": "1", "/etc/s.env": { content: "S=1", secret: true } }));
    await applyHost(h.input({ "/etc/a": "2", "/etc/s.env": { content: "S=2", secret: true } }));
    expect(await rollback(h)).toMatchObject({ restored: 1, removed: 0, secretSkipped: 1 });
    expect(readFileSync(join(h.root, "etc/a"), "utf8")).toBe("1");
  });
});

describe("store paths", () => {
  it("pushes only the store paths absent on the target", async () => {
    const h = makeHost();
    const a = h.storePath("aaaa-app-1.0", 100);
    const b = h.storePath("bbbb-lib-2.0", 50);
    const r1 = await applyHost(h.input(GEN1, { storePushes: [a], storePaths: [a.remotePath] }));
    expect(r1).toMatchObject({ pushed: 1, bytesSent: 100 });
    const r2 = await applyHost(h.input(GEN1, { storePushes: [a, b], storePaths: [b.remotePath, a.remotePath] }));
    expect(r2).toMatchObject({ pushed: 1, bytesSent: 50 });
    expect(r2.manifest.store_paths).toEqual([a.remotePath, b.remotePath]);
    const r3 = await applyHost(h.input(GEN1, { storePushes: [a, b], storePaths: [a.remotePath, b.remotePath] }));
    expect(r3).toMatchObject({ pushed: 0, bytesSent: 0 });
  });

  it("refuses a rollback whose pinned store paths are gone, listing them all, and changes nothing", async () => {
    const h = makeHost();
    const a = h.storePath("aaaa-app-1.0");
    const b = h.storePath("bbbb-lib-2.0");
    await applyHost(h.input(GEN1, { storePushes: [a, b], storePaths: [a.remotePath, b.remotePath] }));
    await applyHost(h.input(GEN2));
    const t2 = h.tree();
    rmSync(join(h.root, a.remotePath), { recursive: true });
    rmSync(join(h.root, b.remotePath, ".fleet-built"));
    const err = await e12(rollback(h));
    expect(err.message).toBe(`cannot roll back ${STACK} to gen-001: pinned store path(s) missing on ${TARGET}: ${a.remotePath}, ${b.remotePath}`);
    expect(h.tree()).toBe(t2);
    expect(readlinkSync(join(stackDir(h), "current"))).toBe("gen-002.json");
    expect(existsSync(join(stackDir(h), "pending"))).toBe(false);
  });

  it("dry-run pushes nothing, records the store paths, and rollback to it skips the store check", async () => {
    const h = makeHost();
    const a = h.storePath("aaaa-app-1.0");
    const r1 = await applyHost(h.input(GEN1, { dryRun: true, storePushes: [], storePaths: [a.remotePath] }));
    expect(r1.manifest).toMatchObject({ dry_run: true, store_paths: [a.remotePath] });
    expect(existsSync(join(h.root, a.remotePath))).toBe(false);
    const t1 = h.tree();
    await applyHost(h.input(GEN2, { dryRun: true, storePaths: [a.remotePath] }));
    expect(await rollback(h)).toMatchObject({ generation: 1 });
    expect(h.tree()).toBe(t1);
  });
});

describe("lock", () => {
  it("a second process fails at once naming the holder, and nothing is written", async () => {
    const h = makeHost();
    await applyHost(h.input(GEN1));
    const t1 = h.tree();
    const other = { host: "deployer.example", pid: 4242, startedAt: "2026-11-25T11:00:00.000Z" };
    const held = await h.transport.acquireLock(`${DEPLOYMENTS}/${STACK}`, other);
    const err = await applyHost(h.input(GEN2)).catch((e: unknown) => e);
    expect((err as FleetError).message).toBe(
      `${TARGET}/${STACK} is locked by pid 4242 on host deployer.example since 2026-11-25T11:00:00.000Z; wait for it to finish`,
    );
    await expect(rollback(h)).rejects.toThrow(/is locked by pid 4242/);
    expect(h.tree()).toBe(t1);
    expect(readdirSync(stackDir(h)).filter((n) => n.startsWith("gen-"))).toEqual(["gen-001.json"]);
    await held.release();
    expect((await applyHost(h.input(GEN2))).generation).toBe(2);
  });
});

describe("input checks", () => {
  it("refuses non-normalised or duplicate paths before touching the target", async () => {
    const h = makeHost();
    await expect(applyHost(h.input({ "/etc/../x": "1" }))).rejects.toThrow(/not an absolute normalised path/);
    await expect(applyHost(h.input({ "/var/lib/fleet/deployments/x": "1" }))).rejects.toThrow(/overlaps the deployments root/);
    const input = h.input({ "/etc/a": "1" });
    await expect(applyHost({ ...input, files: [...input.files, ...input.files] })).rejects.toThrow(/declared twice/);
    expect(readdirSync(h.root)).toEqual([]);
  });
});
