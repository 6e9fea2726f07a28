import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FLEET_BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a `fleet` child of this process: a crash-test kill point named by
 * FLEET_TEST_DIE_AT is armed by naming this process as the parent (ADR 135).
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  if (env["FLEET_TEST_DIE_AT"]) env["FLEET_TEST_DIE_AT_PARENT"] = String(process.pid);
  return env;
}

/** Run the built `fleet` CLI as a child process, as a user would. */
export function runFleet(args: readonly string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [FLEET_BIN, ...args], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    ...options,
    env: childEnv(options.env ?? {}),
  });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
