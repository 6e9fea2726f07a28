import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sweepStaleRuns } from "./systemd-rig-host.js";

/** End-to-end tests run the built CLI; build it once per test run so it is never stale. */
export default function setup(): () => void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  // Every test's temporary directory lives under this root (test/support/temp-dir.ts); 0755 like
  // /tmp's subdirectories are reachable, so a test's unprivileged sshd user still reaches its own.
  const tmp = mkdtempSync(join(tmpdir(), "fleet-tests-"));
  chmodSync(tmp, 0o755);
  process.env["FLEET_TEST_TMP"] = tmp;
  // Systemd rig machines of a test worker that was killed (ADR 100) go with the run.
  return () => {
    try {
      rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.warn(`test temporary directories: removing ${tmp} failed: ${String(e)}`);
    }
    try {
      sweepStaleRuns();
    } catch (e) {
      console.warn(`systemd rig: sweep after the run failed: ${String(e)}`);
    }
  };
}
