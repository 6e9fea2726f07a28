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
    env: { ...process.env, NO_COLOR: "1", ...(options.env ?? {}) },
  });
  const result = { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (wantsJson(args) && r.signal === null) validateJsonOutput(result.stdout, ` (fleet ${args.join(" ")}; exit ${result.code})`);
  return result;
}
