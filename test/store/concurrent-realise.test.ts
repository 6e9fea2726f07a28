import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { closureFor, realise } from "../../src/store/index.js";
import { lockFileOf } from "../../src/store/path-lock.js";
import { modulesOf } from "./helpers.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BUILT_MARKER } from "../../src/store/index.js";
import { tempDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/realise-child.ts", import.meta.url));

function runChild(storeRoot: string, defs: object): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, storeRoot, JSON.stringify(defs)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("realise from two processes at once", () => {
  it("builds each path once and both processes see one correct result", async () => {
    const outside = tempDir();
    const counter = path.join(outside, "count");
    const defs = {
      Lib: { pname: "lib", version: "1", recipe: "std.shell", command: `echo lib >> '${counter}'; sleep 0.3; echo lib > "$out/lib"` },
      App: { pname: "app", version: "1", recipe: "std.shell", deps: ["Lib"], command: `echo app >> '${counter}'; sleep 0.3; echo app > "$out/app"` },
    };
    const root = tempDir();
    const [a, b] = await Promise.all([runChild(root, defs), runChild(root, defs)]);
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, "", 0, ""]);
    const builtA = JSON.parse(a.stdout) as string[];
    const builtB = JSON.parse(b.stdout) as string[];
    // Between them, each path was built exactly once.
    expect([...builtA, ...builtB].sort()).toHaveLength(2);
    expect(new Set([...builtA, ...builtB]).size).toBe(2);
    expect(readFileSync(counter, "utf8").split("\n").filter(Boolean).sort()).toEqual(["app", "lib"]);
    const paths = readdirSync(root).filter((n) => !n.startsWith("."));
    expect(paths).toHaveLength(2);
    for (const p of paths) {
      const files = readdirSync(path.join(root, p)).sort();
      expect(files).toContain(BUILT_MARKER);
      expect(files).toHaveLength(2);
    }
    expect(readdirSync(root).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("recovers after a builder is SIGKILLed mid-build: the dead holder's lock is taken over and the path rebuilt", async () => {
    const outside = tempDir();
    const started = `${outside}/started`;
    const defs = {
      Slow: { pname: "slow", version: "1", recipe: "std.shell", command: `echo partial > "$out/partial"; touch '${started}'; sleep 30; echo done > "$out/done"` },
    };
    const root = tempDir();
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, root, JSON.stringify(defs)], { stdio: "ignore", detached: true });
    const { modules, moduleSpans } = modulesOf(defs);
    const { closure } = await closureFor({ modules, moduleSpans, roots: ["Slow"], fileDir: () => "/" });
    const base = closure!.byModule.get("Slow")!;
    while (!existsSync(started)) await sleep(20);
    expect(existsSync(lockFileOf(root, base))).toBe(true);
    process.kill(child.pid!, "SIGKILL");
    await new Promise((r) => child.once("exit", r));
    try {
      // The builder's shell still runs (its parent died); the lock's holder is dead all the same.
      const fixed = { ...closure!, builds: new Map([[base, { ...closure!.builds!.get(base)!, recipe: { kind: "std.shell" as const, command: 'echo done > "$out/done"' } }]]) };
      expect(await realise(fixed, root)).toEqual({ built: [base] });
      expect(readdirSync(`${root}/${base}`).sort()).toEqual([".fleet-built", "done"]);
      expect(readdirSync(root).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // the process group is already gone
      }
    }
  });
});
