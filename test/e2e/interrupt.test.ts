/**
 * Issue 12 item 11: SIGINT and SIGTERM tell which hosts finished, which were interrupted and what
 * the next run does, release the host locks, and exit 130 / 143.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { childEnv, FLEET_BIN, REPO_ROOT, runFleet } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

const T = (n: string): string => `ssh://ops@${n}.test`;

/** Three hosts, one at a time: A is quick, B's health check blocks (holding B's lock), C waits. */
function world(): { dir: string; root: string; marker: string } {
  const dir = tempDir("fleet-interrupt-");
  const marker = join(dir, "b-is-checking");
  const host = (stack: string, check = ""): string =>
    `module ${stack} { backend = "systemd" configFiles = [ { path = "/etc/${stack}.conf" content = "${stack}" } ]${check} }\n`;
  writeTree(dir, {
    "fleet.pcl": `module Fleet { hosts = [
  { file = "a.pcl" stack = "A" target = "${T("a")}" }
  { file = "b.pcl" stack = "B" target = "${T("b")}" }
  { file = "c.pcl" stack = "C" target = "${T("c")}" }
] }\n`,
    "a.pcl": host("A"),
    "b.pcl": host("B", ` healthChecks = [ { name = "slow" command = "touch ${marker}; sleep 20" timeout = 60 } ]`),
    "c.pcl": host("C"),
  });
  return { dir, root: join(dir, "out"), marker };
}

async function interrupted(signal: "SIGINT" | "SIGTERM"): Promise<{ code: number | null; stdout: string; stderr: string; root: string; dir: string }> {
  const w = world();
  const child = spawn(process.execPath, [FLEET_BIN, "apply", join(w.dir, "fleet.pcl"), "--transport-root", w.root, "--jobs", "1"], {
    cwd: REPO_ROOT,
    env: childEnv({ FLEET_STORE_DIR: join(w.dir, "store") }),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  for (let i = 0; i < 600 && !existsSync(w.marker); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(w.marker), `B's health check never started: ${stderr}`).toBe(true);
  child.kill(signal);
  const code = await exited;
  return { code, stdout, stderr, root: w.root, dir: w.dir };
}

describe("an interrupted apply reports and cleans up", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s: finished, interrupted and not attempted hosts, locks released, exit %i", async (signal, exit) => {
    const r = await interrupted(signal);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe(`✓ A → ${T("a")}\nfleet: 1/3 host(s) deployed (interrupted by ${signal})\n`);
    expect(r.stderr).toBe(
      `✗ B → ${T("b")}: interrupted by ${signal} during health: slow (attempt 1); the next 'fleet apply' or 'fleet rollback' finishes or undoes what it left\n` +
        `⊘ C → ${T("c")}: not attempted (interrupted by ${signal})\n`,
    );
    // B's lock was released: its stack directory holds no lock, and the next run goes through.
    const bDir = join(r.root, "ops@b.test", "home/ops/.fleet/deployments/B");
    expect(readdirSync(bDir).filter((n) => n.startsWith("lock"))).toEqual([]);
    const next = runFleet(["apply", join(r.dir, "fleet.pcl"), "--transport-root", r.root, "--only", "A,C"], { env: { FLEET_STORE_DIR: join(r.dir, "store") } });
    expect(next.stdout).toBe(`✓ A → ${T("a")}\n✓ C → ${T("c")}\nfleet: 2/2 host(s) deployed\n`);
  }, 60_000);
});
