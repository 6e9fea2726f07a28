/**
 * The one temporary-directory helper of the suite. Every directory a test makes lives under one
 * root per test run (made by global-setup.ts, FLEET_TEST_TMP), which the run removes at its end, so
 * no test leaves anything behind in /tmp. Outside a vitest run (a bench, a script) it falls back
 * to the system's temporary directory.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary directory, removed with the test run. */
export function tempDir(prefix = "fleet-test-"): string {
  return mkdtempSync(join(process.env["FLEET_TEST_TMP"] ?? tmpdir(), prefix));
}
