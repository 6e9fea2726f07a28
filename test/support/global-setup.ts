import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sweepStaleRuns } from "./systemd-rig-host.js";

/** End-to-end tests run the built CLI; build it once per test run so it is never stale. */
export default function setup(): () => void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  // Systemd rig machines of a test worker that was killed (ADR 100) go with the run.
  return () => {
    try {
      sweepStaleRuns();
    } catch (e) {
      console.warn(`systemd rig: sweep after the run failed: ${String(e)}`);
    }
  };
}
