/**
 * One behavioural contract for every Transport: the same assertions run against LocalTransport
 * and SshTransport (against a real sshd), so the deploy pipeline can rely on either.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import type { Transport } from "../../src/transport/transport.js";
import { writeInOrder } from "../../src/deploy/ordered-writes.js";
import { tempDir } from "../support/temp-dir.js";

export interface ConformanceSubject {
  readonly transport: Transport;
  /** A second, independent transport to the same target (a second `fleet` process). */
  readonly other?: () => Promise<Transport>;
  /** A target directory (absolute, target terms) the suite may fill; it need not exist. */
  readonly base: string;
  cleanup(): Promise<void>;
}

const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

/** Build a small local store path: exec file, data file, symlink, subdir, marker. */
function makeLocalStorePath(store: string, base: string): string {
  const p = join(store, base);
  mkdirSync(join(p, "bin"), { recursive: true });
  mkdirSync(join(p, "share", "odd dir"), { recursive: true });
  writeFileSync(join(p, "bin", "hello"), "#!/bin/sh\necho hello\n");
  chmodSync(join(p, "bin", "hello"), 0o755);
  writeFileSync(join(p, "share", "odd dir", "data 1.txt"), Buffer.alloc(70_000, 7));
  chmodSync(join(p, "share", "odd dir", "data 1.txt"), 0o640);
  symlinkSync("../bin/hello", join(p, "share", "link"));
  writeFileSync(join(p, ".fleet-built"), "");
  return p;
}

export function transportConformance(name: string, factory: () => Promise<ConformanceSubject>): void {
  describe(`Transport conformance: ${name}`, () => {
    let s: ConformanceSubject;
    let t: Transport;
    let b: string;
    let localStore: string;

    beforeAll(async () => {
      s = await factory();
      t = s.transport;
      b = s.base;
      localStore = tempDir("fleet-conf-store-");
    });
    afterAll(async () => {
      await s?.cleanup();
      if (localStore) rmSync(localStore, { recursive: true, force: true });
    });

    it("reports absent paths as null rather than failing", async () => {
      expect(await t.stat(`${b}/nope`)).toBeNull();
      expect(await t.readFile(`${b}/nope`)).toBeNull();
      expect(await t.readlink(`${b}/nope`)).toBeNull();
      expect(await t.readdir(`${b}/nope`)).toBeNull();
      expect(await t.digestFiles([`${b}/nope`])).toEqual([null]);
    });

    it("home() is an absolute directory", async () => {
      const h = await t.home();
      expect(h.startsWith("/")).toBe(true);
      expect(await t.home()).toBe(h);
    });

    it("mkdirp creates nested directories and is idempotent", async () => {
      await t.mkdirp(`${b}/a/b/c`);
      await t.mkdirp(`${b}/a/b/c`);
      expect((await t.stat(`${b}/a/b/c`))?.type).toBe("dir");
    });

    it("writeFileAtomic writes exact bytes and mode, creates parents, leaves no temp file", async () => {
      await t.writeFileAtomic(`${b}/w/x/secret.env`, Buffer.from("K=1\n"), 0o600);
      await t.writeFileAtomic(`${b}/w/x/run.sh`, Buffer.from("#!/bin/sh\n"), 0o755);
      expect((await t.readFile(`${b}/w/x/secret.env`))?.toString()).toBe("K=1\n");
      expect(await t.stat(`${b}/w/x/secret.env`)).toEqual({ type: "file", mode: 0o600, size: 4 });
      expect((await t.stat(`${b}/w/x/run.sh`))?.mode).toBe(0o755);
      // Overwrite with a different mode replaces both.
      await t.writeFileAtomic(`${b}/w/x/secret.env`, Buffer.from("K=2\n"), 0o644);
      expect((await t.readFile(`${b}/w/x/secret.env`))?.toString()).toBe("K=2\n");
      expect((await t.stat(`${b}/w/x/secret.env`))?.mode).toBe(0o644);
      expect(await t.readdir(`${b}/w/x`)).toEqual(["run.sh", "secret.env"]);
    });

    it("round-trips empty and large files byte for byte", async () => {
      const big = Buffer.alloc(1_500_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
      await t.writeFileAtomic(`${b}/big.bin`, big, 0o644);
      await t.writeFileAtomic(`${b}/empty`, Buffer.alloc(0), 0o644);
      expect(sha((await t.readFile(`${b}/big.bin`))!)).toBe(sha(big));
      expect((await t.readFile(`${b}/empty`))?.length).toBe(0);
      const [d] = await t.digestFiles([`${b}/big.bin`]);
      expect(d).toEqual({ sha256: sha(big), mode: 0o644 });
    });

    it("symlinkAtomic creates and replaces a link with the exact target text", async () => {
      await t.symlinkAtomic(`${b}/deploy/current`, "gen-001.json");
      expect(await t.readlink(`${b}/deploy/current`)).toBe("gen-001.json");
      expect((await t.stat(`${b}/deploy/current`))?.type).toBe("symlink");
      await t.symlinkAtomic(`${b}/deploy/current`, "gen-002.json");
      expect(await t.readlink(`${b}/deploy/current`)).toBe("gen-002.json");
      expect(await t.readdir(`${b}/deploy`)).toEqual(["current"]);
    });

    it("readlink of a regular file is null", async () => {
      await t.writeFileAtomic(`${b}/plain`, Buffer.from("x"), 0o644);
      expect(await t.readlink(`${b}/plain`)).toBeNull();
    });

    it("rename moves, and replaces an existing destination", async () => {
      await t.writeFileAtomic(`${b}/r/one`, Buffer.from("1"), 0o644);
      await t.writeFileAtomic(`${b}/r/two`, Buffer.from("2"), 0o644);
      await t.rename(`${b}/r/one`, `${b}/r/two`);
      expect(await t.readdir(`${b}/r`)).toEqual(["two"]);
      expect((await t.readFile(`${b}/r/two`))?.toString()).toBe("1");
    });

    it("remove, removeTree and rmdirIfEmpty tolerate absence and refuse non-empty dirs", async () => {
      await t.writeFileAtomic(`${b}/rm/d/f`, Buffer.from("f"), 0o644);
      await t.symlinkAtomic(`${b}/rm/l`, "d/f");
      await t.remove(`${b}/rm/l`);
      await t.remove(`${b}/rm/l`);
      expect(await t.stat(`${b}/rm/l`)).toBeNull();
      expect(await t.rmdirIfEmpty(`${b}/rm/d`)).toBe(false);
      expect(await t.rmdirIfEmpty(`${b}/rm/absent`)).toBe(false);
      await t.remove(`${b}/rm/d/f`);
      expect(await t.rmdirIfEmpty(`${b}/rm/d`)).toBe(true);
      await t.writeFileAtomic(`${b}/rm/tree/x/y`, Buffer.from("y"), 0o444);
      await t.removeTree(`${b}/rm/tree`);
      await t.removeTree(`${b}/rm/tree`);
      expect(await t.stat(`${b}/rm/tree`)).toBeNull();
    });

    it("ordered writes: removes, prunes that stop at a non-empty directory, a failing best-effort write reported while the rest go on", async () => {
      const q = `${b}/seq`;
      await t.writeFileAtomic(`${q}/a/deep/x`, Buffer.from("x"), 0o644);
      await t.writeFileAtomic(`${q}/k/sub/y`, Buffer.from("y"), 0o644);
      await t.writeFileAtomic(`${q}/k/stays`, Buffer.from("s"), 0o644);
      await t.writeFileAtomic(`${q}/plain`, Buffer.from("a regular file where a directory is wanted"), 0o644);
      await t.mkdirp(`${q}/empty`);
      await t.writeFileAtomic(`${q}/p/full/z`, Buffer.from("z"), 0o644);
      await t.mkdirp(`${q}/p2`);
      const steps: Parameters<typeof writeInOrder>[1] = [
        { write: { kind: "write", path: `${q}/new.txt`, data: Buffer.from("new\n"), mode: 0o640 }, after: [] },
        { write: { kind: "remove", path: `${q}/a/deep/x` }, after: [] },
        { write: { kind: "prune", path: `${q}/a/deep`, dirs: [`${q}/a/deep`, `${q}/a`] }, after: [] },
        { write: { kind: "remove", path: `${q}/k/sub/y` }, after: [] },
        { write: { kind: "prune", path: `${q}/k/sub`, dirs: [`${q}/k/sub`, `${q}/k`, q] }, after: [] },
        // The first one still there stops the walk: the empty one listed after it stays.
        { write: { kind: "prune", path: `${q}/p/full`, dirs: [`${q}/p/full`, `${q}/p2`] }, after: [] },
        // One already gone is walked past; the empty one above it goes.
        { write: { kind: "prune", path: `${q}/empty/gone`, dirs: [`${q}/empty/gone`, `${q}/empty`] }, after: [] },
        { write: { kind: "write", path: `${q}/plain/record.json`, data: Buffer.from("{}"), mode: 0o644, bestEffort: true }, after: [] },
        { write: { kind: "symlink", path: `${q}/current`, target: "new.txt" }, after: [] },
        { write: { kind: "remove", path: `${q}/absent` }, after: [] },
      ];
      const skipped = await writeInOrder(t, steps, () => undefined, undefined);
      expect(skipped.map((k) => k.path)).toEqual([`${q}/plain/record.json`]);
      expect(skipped[0]!.why).toContain(`${q}/plain/record.json`);
      expect((await t.readFile(`${q}/new.txt`))?.toString()).toBe("new\n");
      expect((await t.stat(`${q}/new.txt`))?.mode).toBe(0o640);
      expect(await t.stat(`${q}/a`)).toBeNull();
      expect(await t.stat(`${q}/k/sub`)).toBeNull();
      expect((await t.readFile(`${q}/k/stays`))?.toString()).toBe("s");
      expect(await t.stat(`${q}/empty`)).toBeNull();
      expect((await t.readFile(`${q}/p/full/z`))?.toString()).toBe("z");
      expect((await t.stat(`${q}/p2`))?.type).toBe("dir");
      expect(await t.readlink(`${q}/current`)).toBe("new.txt");
      expect((await t.readdir(q))?.filter((n) => n.includes("fleet-tmp"))).toEqual([]);
    });

    it("readdir sorts names, odd ones included", async () => {
      for (const n of ["b file", "a", "ä-unicode", "Z", "-dash"]) {
        await t.writeFileAtomic(`${b}/names/${n}`, Buffer.from(n), 0o644);
      }
      expect(await t.readdir(`${b}/names`)).toEqual(["-dash", "Z", "a", "b file", "ä-unicode"]);
    });

    it("digestFiles hashes many files in order; absent, dirs and symlinks are null", async () => {
      const names = ["d1", "with space", "new\nline", "quote'\"$x", "back\\slash"];
      for (const [i, n] of names.entries()) {
        await t.writeFileAtomic(`${b}/dg/${n}`, Buffer.from(`content ${i}`), i % 2 ? 0o600 : 0o644);
      }
      await t.symlinkAtomic(`${b}/dg/link`, "d1");
      const paths = [...names.map((n) => `${b}/dg/${n}`), `${b}/dg/missing`, `${b}/dg`, `${b}/dg/link`];
      const ds = await t.digestFiles(paths);
      expect(ds).toEqual([
        ...names.map((_, i) => ({ sha256: sha(`content ${i}`), mode: i % 2 ? 0o600 : 0o644 })),
        null,
        null,
        null,
      ]);
      expect(await t.digestFiles([])).toEqual([]);
    });

    it("pushStorePaths copies trees with modes and symlinks; storePathsPresent sees them", async () => {
      const base = "0123456789abcdfghijklmnpqrsvwxyz-hello-1.0";
      const local = makeLocalStorePath(localStore, base);
      const remote = `${b}/store/${base}`;
      const other = `${b}/store/absent-1.0`;
      expect(await t.storePathsPresent([remote, other])).toEqual([false, false]);
      const before = t.bytesSent;
      const { bytes } = await t.pushStorePaths([{ localPath: local, remotePath: remote }]);
      expect(bytes).toBeGreaterThan(70_000);
      expect(t.bytesSent - before).toBe(bytes);
      expect(await t.storePathsPresent([remote, other])).toEqual([true, false]);
      expect((await t.stat(`${remote}/bin/hello`))?.mode).toBe(0o755);
      expect((await t.stat(`${remote}/share/odd dir/data 1.txt`))?.mode).toBe(0o640);
      expect((await t.readFile(`${remote}/share/odd dir/data 1.txt`))?.equals(Buffer.alloc(70_000, 7))).toBe(true);
      expect(await t.readlink(`${remote}/share/link`)).toBe("../bin/hello");
      // Nothing but the store path itself is left beside it (no temp dirs).
      expect(await t.readdir(`${b}/store`)).toEqual([base]);
      // Present paths are not sent again.
      expect((await t.pushStorePaths([{ localPath: local, remotePath: remote }])).bytes).toBe(0);
    });

    it("run returns exit code, stdout, stderr, honours env, and times out with 124", async () => {
      const r = await t.run(`printf 'out:%s' "$FLEET_X"; echo err >&2; exit 3`, { env: { FLEET_X: "it's $1" } });
      expect(r).toEqual({ code: 3, stdout: "out:it's $1", stderr: "err\n" });
      const slow = await t.run("sleep 5; echo late", { timeoutMs: 300 });
      expect(slow.code).toBe(124);
      expect(slow.stdout).toBe("");
    });

    it("acquireLock: a second holder fails at once naming the first; release frees it", async () => {
      const dir = `${b}/deployments/WebStack`;
      const holder = { host: "deployer-1", pid: process.pid, startedAt: "2026-11-25T10:00:00.000Z" };
      const lock = await t.acquireLock(dir, holder);
      expect(lock.takeover).toBeUndefined();
      const second = s.other ? await s.other() : t;
      try {
        const err = await second
          .acquireLock(dir, { host: "deployer-2", pid: process.pid, startedAt: "2026-11-25T10:01:00.000Z" })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(FleetError);
        const msg = (err as FleetError).message;
        expect(msg).toContain(String(process.pid));
        expect(msg).toContain("deployer-1");
        expect(msg).toContain("2026-11-25T10:00:00.000Z");
        await lock.release();
        const again = await second.acquireLock(dir, { ...holder, host: "deployer-2" });
        await again.release();
        // Released locks leave no lock file behind.
        expect(await t.readdir(dir)).toEqual([]);
      } finally {
        if (second !== t) await second.close();
      }
    });
  });
}
