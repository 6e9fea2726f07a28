import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { fileURLToPath } from "node:url";
import { validateJsonOutput } from "./json-schema.js";

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

/** Was the run asked for `--json` (so its stdout must be one document valid against its schema)? */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  return own.includes("--json") && !own.includes("--help") && !own.includes("-h");
}

/**
 * Run the built `fleet` CLI as a child process, as a user would. Every `--json` run's stdout is
 * validated against schemas/ (ADR 140): a document that breaks the contract fails the test.
 */
export function runFleet(args: readonly string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [FLEET_BIN, ...args], {
    encoding: "utf8",
    cwd: REPO_ROOT,
    ...options,
    env: childEnv(options.env ?? {}),
  });
  const result = { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (wantsJson(args) && r.signal === null) validateJsonOutput(result.stdout, ` (fleet ${args.join(" ")}; exit ${result.code})`);
  return result;
}
