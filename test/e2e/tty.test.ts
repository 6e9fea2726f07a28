import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT, runFleet } from "../support/cli.js";
import { copyExample, tempDir } from "../support/fleet-fixture.js";

const SCRIPT = "/usr/bin/script";
const ESC = "\u001b";

// util-linux `script` gives the command a real pseudo-terminal. Without it these tests cannot
// run; under CI that is a failure, never a silent skip.
const haveScript = existsSync(SCRIPT);
if (!haveScript && process.env["CI"] === "true") throw new Error(`${SCRIPT} (util-linux) is required for the TTY tests`);

/** Run fleet inside a pseudo-terminal; returns everything the terminal received. */
function inTerminal(args: readonly string[], env: Record<string, string | undefined>): { code: number; screen: string } {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, FLEET_BIN, ...args].map(quote).join(" ");
  const r = spawnSync(SCRIPT, ["-qec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  return { code: r.status ?? -1, screen: String(r.stdout) };
}

function quickstart() {
  const dir = copyExample("quickstart");
  return {
    fleet: join(dir, "fleet.pcl"),
    out: join(tempDir(), "out"),
    env: { FLEET_STORE_DIR: join(tempDir("fleet-store-"), "store") },
  };
}

const CURSOR_UP = /\u001b\[\d+A/;
const CLEAR_LINE = "\u001b[2K";

describe.skipIf(!haveScript)("live progress on a terminal", () => {
  it("redraws one live line per running host in place, then leaves the normal report", () => {
    const q = quickstart();
    const r = inTerminal(["apply", q.fleet, "--dry-run", "--transport-root", q.out, "--color", "always"], q.env);
    expect(r.code).toBe(0);
    expect(r.screen).toMatch(CURSOR_UP);
    expect(r.screen).toContain(CLEAR_LINE);
    // The header counts hosts; the live line names the host and its phase in words.
    expect(r.screen).toMatch(/fleet apply: \d+ done, \d+ running, \d+ queued, \d+ failed/);
    expect(r.screen).toMatch(/ {2}web \(WebStack\) +\u001b\[2m +\d+s\u001b\[0m {2}[a-z]/);
    expect(r.screen).toContain(`✓${ESC}[0m WebStack → ssh://deploy@web.example.com\r\n`);
    expect(r.screen).toContain(`✓${ESC}[0m DbStack → ssh://deploy@db.example.com\r\n`);
    // The block is erased before the summary, which is the last thing on the screen.
    expect(r.screen.endsWith("fleet: 2/2 host(s) deployed\r\n")).toBe(true);
  });

  it.each([
    ["TERM=dumb", { TERM: "dumb" }, []],
    ["NO_COLOR", { NO_COLOR: "1" }, []],
    ["--color never", {}, ["--color", "never"]],
    ["--color never over FORCE_COLOR", { FORCE_COLOR: "1" }, ["--color", "never"]],
  ] as const)("%s on a terminal: not one escape byte, the plain report", (_what, env, flags) => {
    const q = quickstart();
    const r = inTerminal(["apply", q.fleet, "--dry-run", "--transport-root", q.out, ...flags], { ...q.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env });
    expect(r.code).toBe(0);
    expect(r.screen).not.toContain(ESC);
    expect(r.screen).toBe("✓ WebStack → ssh://deploy@web.example.com\r\n✓ DbStack → ssh://deploy@db.example.com\r\nfleet: 2/2 host(s) deployed\r\n");
  });

  it("colours markers on a terminal when NO_COLOR is unset", () => {
    const q = quickstart();
    const r = inTerminal(["apply", q.fleet, "--dry-run", "--transport-root", q.out], { ...q.env, NO_COLOR: undefined });
    expect(r.code).toBe(0);
    expect(r.screen).toContain(`${ESC}[32m✓${ESC}[0m WebStack → ssh://deploy@web.example.com\r\n`);
  });

  it("shows progress for verify and rollback too", () => {
    const q = quickstart();
    for (let i = 0; i < 2; i++) {
      expect(runFleet(["apply", q.fleet, "--dry-run", "--transport-root", q.out], { env: q.env }).code).toBe(0);
    }
    const v = inTerminal(["verify", q.fleet, "--transport-root", q.out], { ...q.env, NO_COLOR: undefined });
    expect(v.code).toBe(0);
    expect(v.screen).toMatch(/ {2}db \(DbStack\) +\S+ +\d+s\S* +hash files/);
    expect(v.screen).toMatch(CURSOR_UP);
    expect(v.screen.endsWith("fleet: 2/2 host(s) verified\r\n")).toBe(true);
    const b = inTerminal(["rollback", q.fleet, "--transport-root", q.out], { ...q.env, NO_COLOR: undefined });
    expect(b.code).toBe(0);
    expect(b.screen).toMatch(/fleet rollback: \d+ done/);
    expect(b.screen.endsWith("fleet: 2/2 host(s) rolled back\r\n")).toBe(true);
  });
});

describe("off a terminal", () => {
  it("prints nothing but the report: not one ESC byte, even with colour allowed", () => {
    const q = quickstart();
    const r = runFleet(["apply", q.fleet, "--dry-run", "--transport-root", q.out], { env: { ...q.env, NO_COLOR: "" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("✓ WebStack → ssh://deploy@web.example.com\n✓ DbStack → ssh://deploy@db.example.com\nfleet: 2/2 host(s) deployed\n");
    expect(r.stderr).toBe("");
    expect(r.stdout + r.stderr).not.toContain(ESC);
    const v = runFleet(["verify", q.fleet, "--transport-root", q.out], { env: { ...q.env, NO_COLOR: "" } });
    expect(v.code).toBe(0);
    expect(v.stdout + v.stderr).not.toContain(ESC);
  });

  it.each([
    ["--color always", {}, ["--color", "always"]],
    ["--color always over NO_COLOR", { NO_COLOR: "1" }, ["--color", "always"]],
    ["FORCE_COLOR", { FORCE_COLOR: "1" }, []],
    ["CLICOLOR_FORCE", { CLICOLOR_FORCE: "1" }, []],
  ] as const)("%s: coloured markers, but no live area (no cursor movement)", (_what, env, flags) => {
    const q = quickstart();
    const r = runFleet(["apply", q.fleet, "--dry-run", "--transport-root", q.out, ...flags], { env: { ...q.env, NO_COLOR: undefined, ...env } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ESC}[32m✓${ESC}[0m WebStack → ssh://deploy@web.example.com\n${ESC}[32m✓${ESC}[0m DbStack → ssh://deploy@db.example.com\nfleet: 2/2 host(s) deployed\n`);
    expect(r.stderr).toBe("");
  });
});
