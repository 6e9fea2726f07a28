import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { LocalTransport } from "../../src/transport/local.js";
import { treeListing } from "../support/tree-hash.js";
import { tempDir } from "../support/temp-dir.js";

let outer: string;
let root: string;
let t: LocalTransport;

beforeEach(() => {
  outer = tempDir("fleet-local-");
  root = join(outer, "host");
  mkdirSync(root);
  t = new LocalTransport({ root, target: "ssh://ops@web", user: "ops" });
});

describe("LocalTransport confinement", () => {
  it("maps every absolute target path under the root", async () => {
    await t.writeFileAtomic("/etc/app/a.conf", Buffer.from("x"), 0o644);
    expect(readFileSync(join(root, "etc/app/a.conf"), "utf8")).toBe("x");
    expect(existsSync("/etc/app/a.conf")).toBe(false);
  });

  it("refuses relative paths and '..' escapes without touching anything", async () => {
    await expect(t.writeFileAtomic("../outside", Buffer.from("x"), 0o644)).rejects.toThrow(FleetError);
    await expect(t.writeFileAtomic("/etc/../../outside", Buffer.from("x"), 0o644)).rejects.toThrow(/escapes the target root/);
    await expect(t.removeTree("/..")).rejects.toThrow(FleetError);
    await expect(t.readFile("etc/passwd")).rejects.toThrow(/not absolute/);
    expect(existsSync(join(outer, "outside"))).toBe(false);
  });

  it("reports the hermetic home of the target user", async () => {
    expect(await t.home()).toBe("/home/ops");
    expect(await new LocalTransport({ root, target: "ssh://root@x", user: "root" }).home()).toBe("/root");
  });
});

describe("LocalTransport files", () => {
  it("writes with exactly the requested mode whatever the umask, and leaves no temp file", async () => {
    const old = process.umask(0o077);
    try {
      await t.writeFileAtomic("/etc/a", Buffer.from("a"), 0o755);
      await t.writeFileAtomic("/etc/a", Buffer.from("b"), 0o640);
    } finally {
      process.umask(old);
    }
    expect(lstatSync(join(root, "etc/a")).mode & 0o7777).toBe(0o640);
    expect(readFileSync(join(root, "etc/a"), "utf8")).toBe("b");
    expect(await t.readdir("/etc")).toEqual(["a"]);
  });

  it("stat, readFile, readlink and readdir report absence as null", async () => {
    expect(await t.stat("/nope")).toBeNull();
    expect(await t.readFile("/nope/x")).toBeNull();
    expect(await t.readlink("/nope")).toBeNull();
    expect(await t.readdir("/nope")).toBeNull();
    await t.writeFileAtomic("/d/f", Buffer.from("abc"), 0o600);
    expect(await t.stat("/d/f")).toEqual({ type: "file", mode: 0o600, size: 3 });
    expect((await t.stat("/d"))?.type).toBe("dir");
  });

  it("replaces a symlink atomically with a relative target", async () => {
    await t.symlinkAtomic("/dep/current", "gen-001.json");
    await t.symlinkAtomic("/dep/current", "gen-002.json");
    expect(readlinkSync(join(root, "dep/current"))).toBe("gen-002.json");
    expect(await t.readlink("/dep/current")).toBe("gen-002.json");
    expect(await t.readdir("/dep")).toEqual(["current"]);
  });

  it("removes files, trees and only empty directories", async () => {
    await t.writeFileAtomic("/a/b/c", Buffer.from("1"), 0o644);
    expect(await t.rmdirIfEmpty("/a/b")).toBe(false);
    await t.remove("/a/b/c");
    await t.remove("/a/b/c");
    expect(await t.rmdirIfEmpty("/a/b")).toBe(true);
    expect(await t.rmdirIfEmpty("/a/b")).toBe(false);
    await t.writeFileAtomic("/a/x/y", Buffer.from("1"), 0o644);
    await t.removeTree("/a");
    expect(existsSync(join(root, "a"))).toBe(false);
  });

  it("digests files with sha256 and mode, null for absent ones", async () => {
    await t.writeFileAtomic("/f", Buffer.from("hello"), 0o604);
    expect(await t.digestFiles(["/f", "/g"])).toEqual([
      { sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", mode: 0o604 },
      null,
    ]);
  });
});

describe("LocalTransport store pushes", () => {
  function makeStorePath(name: string): string {
    const p = join(outer, "local-store", name);
    mkdirSync(join(p, "bin"), { recursive: true });
    writeFileSync(join(p, "bin/app"), "#!/bin/sh\necho hi\n");
    chmodSync(join(p, "bin/app"), 0o755);
    symlinkSync("bin/app", join(p, "app-link"));
    writeFileSync(join(p, ".fleet-built"), "");
    return p;
  }

  it("copies store directories preserving modes and symlinks, skipping present ones", async () => {
    const local = makeStorePath("aaa-app-1");
    expect(await t.storePathsPresent(["/store/aaa-app-1"])).toEqual([false]);
    const first = await t.pushStorePaths([{ localPath: local, remotePath: "/store/aaa-app-1" }]);
    expect(first.bytes).toBe(Buffer.byteLength("#!/bin/sh\necho hi\n"));
    expect(await t.storePathsPresent(["/store/aaa-app-1"])).toEqual([true]);
    expect(treeListing(join(root, "store/aaa-app-1"))).toEqual(treeListing(local));
    const second = await t.pushStorePaths([{ localPath: local, remotePath: "/store/aaa-app-1" }]);
    expect(second.bytes).toBe(0);
    expect(t.bytesSent).toBe(first.bytes);
    expect(await t.readdir("/store")).toEqual(["aaa-app-1"]);
  });

  it("does not count a directory without its .fleet-built marker as present", async () => {
    await t.mkdirp("/store/bbb-half-1");
    expect(await t.storePathsPresent(["/store/bbb-half-1"])).toEqual([false]);
  });
});

describe("LocalTransport run", () => {
  it("runs /bin/sh in the root with FLEET_TARGET_ROOT set", async () => {
    const r = await t.run('pwd; echo "$FLEET_TARGET_ROOT"; echo err >&2; exit 3');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(`${root}\n${root}\n`);
    expect(r.stderr).toBe("err\n");
  });

  it("returns 124 when the command outlives its timeout", async () => {
    const r = await t.run("sleep 30", { timeoutMs: 100 });
    expect(r.code).toBe(124);
  });
});

describe("LocalTransport lock", () => {
  const me = { host: hostname(), pid: process.pid, startedAt: "2026-11-25T10:00:00.000Z" };

  it("a live holder makes a second acquire fail at once, naming it", async () => {
    const lock = await t.acquireLock("/dep/Web", me);
    expect(lock.takeover).toBeUndefined();
    const err = await t.acquireLock("/dep/Web", { ...me, pid: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).message).toBe(
      `ssh://ops@web/Web is locked by pid ${process.pid} on host ${hostname()} since 2026-11-25T10:00:00.000Z; wait for it to finish`,
    );
    await lock.release();
    expect(existsSync(join(root, "dep/Web/lock"))).toBe(false);
    const again = await t.acquireLock("/dep/Web", me);
    await again.release();
  });

  it("takes over the lock of a dead process of this machine with a warning", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    mkdirSync(join(root, "dep/Web"), { recursive: true });
    writeFileSync(join(root, "dep/Web/lock"), JSON.stringify({ host: hostname(), pid: deadPid, startedAt: "2026-01-01T00:00:00.000Z" }));
    const lock = await t.acquireLock("/dep/Web", me);
    expect(lock.takeover).toBe(`took over the lock of dead process ${deadPid} (started 2026-01-01T00:00:00.000Z)`);
    expect(JSON.parse(readFileSync(join(root, "dep/Web/lock"), "utf8"))).toEqual(me);
    await lock.release();
  });

  it("never takes over a lock held from another machine", async () => {
    mkdirSync(join(root, "dep/Web"), { recursive: true });
    writeFileSync(join(root, "dep/Web/lock"), JSON.stringify({ host: "elsewhere.example", pid: 999999, startedAt: "2026-01-01T00:00:00.000Z" }));
    await expect(t.acquireLock("/dep/Web", me)).rejects.toThrow(/locked by pid 999999 on host elsewhere\.example since/);
  });
});
