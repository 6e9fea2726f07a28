/**
 * A fake `systemctl` for activation tests. LocalTransport runs target commands with the fleet
 * process's PATH, so a script named `systemctl` in a directory prepended to that PATH stands in
 * for the target's. It appends each call's argv (one line) to a log and can be told to fail.
 *
 * LocalTransport clears the environment of target commands (as SSH would), so the log path and
 * the failure rule are baked into the script when it is written rather than read from env vars.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./fleet-fixture.js";

export interface FakeSystemctlOptions {
  /**
   * Calls to fail (exit 1 with a message on stderr): either a whole argv line
   * (`"restart api.service"`) or a verb (`"restart"`), matched against every call.
   */
  readonly failOn?: readonly string[];
}

export interface FakeSystemctl {
  readonly binDir: string;
  readonly logPath: string;
  /** Environment for `runFleet` that puts the fake first on PATH. */
  env(): Record<string, string>;
  /** Every call so far, one argv string per call, in order. */
  calls(): string[];
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function installFakeSystemctl(options: FakeSystemctlOptions = {}): FakeSystemctl {
  const dir = tempDir("fleet-fake-systemctl-");
  const binDir = join(dir, "bin");
  mkdirSync(binDir);
  const logPath = join(dir, "systemctl.log");
  const failCases = (options.failOn ?? []).map((f) => `  ${shQuote(f)}) echo "fake systemctl: $* refused" >&2; exit 1 ;;`);
  const script = [
    "#!/bin/sh",
    `printf '%s\\n' "$*" >> ${shQuote(logPath)}`,
    'case "$*" in',
    ...failCases,
    "esac",
    'case "$1" in',
    ...failCases,
    "esac",
    "exit 0",
    "",
  ].join("\n");
  const path = join(binDir, "systemctl");
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return {
    binDir,
    logPath,
    env: () => ({ PATH: `${binDir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` }),
    calls: () => (existsSync(logPath) ? readFileSync(logPath, "utf8").split("\n").filter((l) => l !== "") : []),
  };
}
