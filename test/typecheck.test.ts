import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { expect, it } from "vitest";
import { REPO_ROOT } from "./support/cli.js";

/** The strict type check is part of the suite: a type error fails CI like a failing test. */
it("type-checks the whole project under the strict tsconfig", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", REPO_ROOT], { encoding: "utf8", cwd: REPO_ROOT });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
}, 180_000);
