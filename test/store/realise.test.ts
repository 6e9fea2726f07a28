import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import type { RecordValue } from "../../src/lang/value.js";
import { BUILT_MARKER, closureFor, realise, storePath } from "../../src/store/index.js";
import { lockFileOf } from "../../src/store/path-lock.js";
import { treeHash } from "../support/tree-hash.js";
import { modulesOf, tempDir } from "./helpers.js";

async function closureOf(defs: Record<string, RecordValue>, fileDir = "/nonexistent") {
  const { modules, moduleSpans } = modulesOf(defs);
  const r = await closureFor({ modules, moduleSpans, roots: Object.keys(defs), fileDir: () => fileDir });
  expect(r.diagnostics).toEqual([]);
  return r.closure!;
}

const hello = {
  pname: "hello",
  version: "1.0",
  recipe: "std.files",
  files: [
    { path: "bin/hello", content: "#!/bin/sh\necho hello\n", mode: "0755" },
    { path: "share/doc/README", content: "read me\n", mode: "0644" },
    { path: "etc/secret.conf", content: "k=v\n", mode: "0600" },
  ],
};

describe("realise: std.files", () => {
  it("writes the declared bytes and modes, with the marker last, and the same tree for every store root", async () => {
    const closure = await closureOf({ Hello: hello });
    const base = closure.byModule.get("Hello")!;
    const [a, b] = [tempDir(), path.join(tempDir(), "deeper/store")];
    expect(await realise(closure, a)).toEqual({ built: [base] });
    await realise(closure, b);
    const p = storePath(a, base);
    expect(readFileSync(path.join(p, "bin/hello"), "utf8")).toBe("#!/bin/sh\necho hello\n");
    expect(statSync(path.join(p, "bin/hello")).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(p, "share/doc/README")).mode & 0o777).toBe(0o644);
    expect(statSync(path.join(p, "etc/secret.conf")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path.join(p, BUILT_MARKER), "utf8")).pname).toBe("hello");
    expect(treeHash(storePath(b, base))).toBe(treeHash(p));
    // Nothing but the path and the lock directory is left beside it.
    expect(readdirSync(a).filter((n) => n !== ".locks")).toEqual([base]);
  });
});

describe("realise: std.files default mode", () => {
  it("writes a file without a mode as 0644 and directories as 0755 whatever the umask", async () => {
    const closure = await closureOf({ D: { pname: "d", version: "1", recipe: "std.files", files: [{ path: "a/b/plain", content: "p" }] } as RecordValue });
    const root = tempDir();
    const old = process.umask(0o077);
    try {
      await realise(closure, root);
    } finally {
      process.umask(old);
    }
    const p = storePath(root, closure.byModule.get("D")!);
    expect(statSync(path.join(p, "a/b/plain")).mode & 0o777).toBe(0o644);
    expect(readFileSync(path.join(p, "a/b/plain"), "utf8")).toBe("p");
    for (const dir of ["", "a", "a/b"]) expect(statSync(path.join(p, dir)).mode & 0o777).toBe(0o755);
  });
});

describe("realise: std.shell", () => {
  const planted = "FLEET_TEST_PLANTED_VAR";
  afterEach(() => {
    delete process.env[planted];
  });

  it("runs in an empty build dir with $out, HOME=/homeless, PATH and nothing else of the environment", async () => {
    process.env[planted] = "must-not-leak";
    const closure = await closureOf({
      Env: {
        pname: "env",
        version: "1",
        recipe: "std.shell",
        command: 'mkdir -p "$out/bin"; env | sort > "$out/env"; ls -A > "$out/cwd-listing"; printf %s "$HOME" > "$out/home"; echo "#!/bin/sh" > "$out/bin/tool"; chmod 755 "$out/bin/tool"',
      },
    });
    const root = tempDir();
    await realise(closure, root);
    const p = storePath(root, closure.byModule.get("Env")!);
    const env = readFileSync(path.join(p, "env"), "utf8");
    expect(env).not.toContain(planted);
    expect(env).not.toContain("must-not-leak");
    const names = env.trim().split("\n").map((l) => l.split("=")[0]);
    // sh itself may add PWD, SHLVL and OLDPWD; nothing from the caller may appear.
    expect(names.filter((n) => !["PWD", "SHLVL", "OLDPWD", "_"].includes(n!)).sort()).toEqual(["HOME", "PATH", "out"]);
    expect(readFileSync(path.join(p, "home"), "utf8")).toBe("/homeless");
    expect(readFileSync(path.join(p, "cwd-listing"), "utf8")).toBe("");
    expect(statSync(path.join(p, "bin/tool")).mode & 0o777).toBe(0o755);
  });

  it("points $src at a copy of the local source, relative to the defining file's directory", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "pkgs/src"), { recursive: true });
    writeFileSync(path.join(dir, "pkgs/src/greeting.txt"), "hi from source\n");
    const closure = await closureOf(
      {
        Greeter: {
          pname: "greeter",
          version: "0.1",
          recipe: "std.shell",
          source: { type: "local", path: "./src" },
          command: 'cat "$src/greeting.txt" > "$out/greeting"; echo changed > "$src/greeting.txt"',
        },
      },
      path.join(dir, "pkgs"),
    );
    const root = tempDir();
    await realise(closure, root);
    expect(readFileSync(path.join(storePath(root, closure.byModule.get("Greeter")!), "greeting"), "utf8")).toBe("hi from source\n");
    expect(readFileSync(path.join(dir, "pkgs/src/greeting.txt"), "utf8")).toBe("hi from source\n");
  });

  it("replaces a marker the command wrote itself with the derivation", async () => {
    const closure = await closureOf({ M: { pname: "m", version: "1", recipe: "std.shell", command: 'echo fake > "$out/.fleet-built"; chmod 444 "$out/.fleet-built"' } });
    const root = tempDir();
    await realise(closure, root);
    const marker = readFileSync(path.join(storePath(root, closure.byModule.get("M")!), BUILT_MARKER), "utf8");
    expect(marker).toBe(closure.builds!.get(closure.byModule.get("M")!)!.derivationJson);
  });

  it("builds dependencies first", async () => {
    const closure = await closureOf({
      Lib: { pname: "lib", version: "1", recipe: "std.files", files: [{ path: "lib.txt", content: "lib\n" }] },
      App: { pname: "app", version: "1", recipe: "std.shell", command: "echo app > $out/app", deps: ["Lib"] },
    });
    const root = tempDir();
    const { built } = await realise(closure, root);
    expect(built).toEqual([closure.byModule.get("Lib"), closure.byModule.get("App")]);
  });

  it("fails naming the package, the exit code and the last stderr lines, leaving nothing behind", async () => {
    const closure = await closureOf({
      Broken: { pname: "broken", version: "1", recipe: "std.shell", command: 'echo partial > "$out/x"; echo "first problem" >&2; echo "compiler says no" >&2; exit 3' },
    });
    const root = tempDir();
    const err = await realise(closure, root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    const msg = (err as FleetError).message;
    expect(msg).toContain("package 'Broken'");
    expect(msg).toContain("exited with code 3");
    expect(msg).toContain("compiler says no");
    expect(readdirSync(root).filter((n) => n !== ".locks")).toEqual([]);
    expect(readdirSync(path.join(root, ".locks"))).toEqual([]);
  });

  it("cleans up a failed build that made its output read-only", async () => {
    const closure = await closureOf({ RO: { pname: "ro", version: "1", recipe: "std.shell", command: 'mkdir "$out/d"; echo x > "$out/d/f"; chmod -R a-w "$out"; exit 9' } });
    const root = tempDir();
    await expect(realise(closure, root)).rejects.toThrow(/exited with code 9/);
    expect(readdirSync(root).filter((n) => n !== ".locks")).toEqual([]);
  });

  it("fails a command that uses an unset variable (sh -eu)", async () => {
    const closure = await closureOf({ U: { pname: "u", version: "1", recipe: "std.shell", command: 'echo "$NOT_SET" > "$out/x"' } });
    await expect(realise(closure, tempDir())).rejects.toThrow(/package 'U'.*exited with code/s);
  });
});

describe("realise: cache, half-built entries and locks", () => {
  const counting = (counter: string) => ({
    pname: "counted",
    version: "1",
    recipe: "std.shell",
    command: `echo built >> '${counter}'; echo ok > "$out/result"`,
  });

  it("does nothing on a cache hit", async () => {
    const outside = tempDir();
    const counter = path.join(outside, "count");
    const closure = await closureOf({ C: counting(counter) });
    const root = tempDir();
    const first = await realise(closure, root);
    const p = storePath(root, closure.byModule.get("C")!);
    const before = statSync(path.join(p, "result"));
    const second = await realise(closure, root);
    expect(first.built).toHaveLength(1);
    expect(second.built).toEqual([]);
    expect(readFileSync(counter, "utf8")).toBe("built\n");
    const after = statSync(path.join(p, "result"));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("rebuilds a half-built entry (no marker, no live lock holder)", async () => {
    const counter = path.join(tempDir(), "count");
    const closure = await closureOf({ C: counting(counter) });
    const root = tempDir();
    const base = closure.byModule.get("C")!;
    const p = storePath(root, base);
    mkdirSync(p, { recursive: true });
    writeFileSync(path.join(p, "junk"), "left by a crash");
    // A lock left by a process that is gone.
    const dead = spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    mkdirSync(path.join(root, ".locks"));
    writeFileSync(lockFileOf(root, base), `${dead} ${(await import("node:os")).hostname()}\n`);
    mkdirSync(path.join(root, `.tmp-${base}-999999-0/out`), { recursive: true });
    expect(await realise(closure, root)).toEqual({ built: [base] });
    expect(existsSync(path.join(p, "junk"))).toBe(false);
    expect(existsSync(path.join(p, BUILT_MARKER))).toBe(true);
    expect(readFileSync(path.join(p, "result"), "utf8")).toBe("ok\n");
    expect(readdirSync(root).sort()).toEqual([".locks", base]);
  });

  it("leaves an entry without a marker alone while a live process holds its lock", async () => {
    const counter = path.join(tempDir(), "count");
    const closure = await closureOf({ C: counting(counter) });
    const root = tempDir();
    const base = closure.byModule.get("C")!;
    const p = storePath(root, base);
    mkdirSync(p, { recursive: true });
    writeFileSync(path.join(p, "in-progress"), "the holder is still writing");
    const holder = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      mkdirSync(path.join(root, ".locks"));
      writeFileSync(lockFileOf(root, base), `${holder.pid} ${(await import("node:os")).hostname()}\n`);
      const pending = realise(closure, root);
      await sleep(400);
      // The holder finishes its build: marker, then release.
      writeFileSync(path.join(p, BUILT_MARKER), "{}\n");
      const { unlinkSync } = await import("node:fs");
      unlinkSync(lockFileOf(root, base));
      expect(await pending).toEqual({ built: [] });
      expect(readFileSync(path.join(p, "in-progress"), "utf8")).toBe("the holder is still writing");
      expect(existsSync(counter)).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it("serialises concurrent realises of one path within a process", async () => {
    const counter = path.join(tempDir(), "count");
    const closure = await closureOf({ C: { ...counting(counter), command: `echo built >> '${counter}'; sleep 0.2; echo ok > "$out/result"` } });
    const root = tempDir();
    const results = await Promise.all([realise(closure, root), realise(closure, root), realise(closure, root)]);
    expect(results.map((r) => r.built.length).sort()).toEqual([0, 0, 1]);
    expect(readFileSync(counter, "utf8")).toBe("built\n");
  });

  it("refuses a missing path it has no build plan for", async () => {
    const closure = await closureOf({ Hello: hello });
    const bare = { paths: closure.paths, byModule: closure.byModule };
    await expect(realise(bare, tempDir())).rejects.toThrow(/missing and this closure does not say how to build it/);
  });
});
