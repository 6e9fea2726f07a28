/**
 * Golden diagnostics: each test/golden/<name>.pcl is checked with `fleet check` (plus any flags on
 * a first line `# args: …`) and its stderr must equal <name>.err. FLEET_UPDATE_GOLDEN=1 rewrites.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runFleet } from "../support/cli.js";

const dir = join(REPO_ROOT, "test/golden");
const cases = readdirSync(dir).filter((f) => f.endsWith(".pcl")).sort();

describe("golden diagnostics of fleet check", () => {
  it("has a case for every language code E1–E8 and for recovery", () => {
    for (const code of ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e8-recovery"]) {
      expect(cases.some((c) => c.startsWith(code)), code).toBe(true);
    }
  });

  for (const name of cases) {
    it(name, () => {
      const rel = `test/golden/${name}`;
      const text = readFileSync(join(dir, name), "utf8");
      const args = /^# args: (.*)$/m.exec(text.split("\n")[0] ?? "")?.[1]?.split(" ") ?? [];
      const r = runFleet(["check", rel, ...args]);
      const errPath = join(dir, name.replace(/\.pcl$/, ".err"));
      if (process.env.FLEET_UPDATE_GOLDEN === "1") writeFileSync(errPath, r.stderr);
      expect(existsSync(errPath), `${errPath} missing; run with FLEET_UPDATE_GOLDEN=1`).toBe(true);
      expect(r.stderr).toBe(readFileSync(errPath, "utf8"));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const code = /^e(\d+)/.exec(name)?.[1];
      if (code) expect(r.stderr).toContain(`[E${code}]`);
    });
  }
});
