import { spawn } from "node:child_process";
import { existsSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, runFleet } from "../support/cli.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the host lock spans apply, health checks and automatic rollback", () => {
  it("refuses a second fleet process while the first is still running the host's health checks", async () => {
    const fleet = writeFleet(tempDir(), [
      {
        stack: "Slow",
        target: "ssh://root@slow.test",
        files: { "/etc/slow": "v1" },
        stackExtra: `  healthChecks = [ { name = "settle" command = "sleep 4" timeout = 30 } ]`,
      },
    ]);
    const root = join(tempDir(), "out");
    const env = { ...process.env, NO_COLOR: "1", FLEET_STORE_DIR: join(tempDir(), "store") };
    const first = spawn(process.execPath, [FLEET_BIN, "apply", fleet, "--transport-root", root], { env });
    let out = "";
    first.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((r) => first.on("close", (c) => r(c ?? -1)));
    // Wait for the flip: the first process is then inside its health check, still holding the lock.
    const current = join(root, "root@slow.test/root/.fleet/deployments/Slow/current");
    for (let i = 0; i < 200 && !existsSync(current); i++) await sleep(50);
    expect(readlinkSync(current)).toBe("gen-001.json");
    const second = runFleet(["apply", fleet, "--transport-root", root], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^✗ Slow → ssh:\/\/root@slow\.test: .*locked by pid \d+/m);
    expect(await exited).toBe(0);
    expect(out).toBe("✓ Slow → ssh://root@slow.test\nfleet: 1/1 host(s) deployed\n");
    expect(readlinkSync(current)).toBe("gen-001.json");
  });
});
