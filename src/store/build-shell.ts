/**
 * `std.shell`: `/bin/sh -eu -c COMMAND` in an empty build directory with a cleared environment
 * (SPEC §2): only PATH, HOME=/homeless, `out` and, with a source, `src`. Nothing of the caller's
 * environment leaks in, so a build cannot depend on who runs it.
 */
import { spawn } from "node:child_process";
import { FleetError } from "../fleet-error.js";

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
const STDERR_TAIL_LINES = 10;
const STDERR_KEEP_BYTES = 64 * 1024;

export interface ShellBuild {
  readonly command: string;
  readonly cwd: string;
  readonly out: string;
  readonly src?: string;
  /** "package 'Foo' (<base>)", for the error. */
  readonly describe: string;
}

export async function buildShell(b: ShellBuild): Promise<void> {
  const env: Record<string, string> = { PATH: process.env["PATH"] || DEFAULT_PATH, HOME: "/homeless", out: b.out };
  if (b.src !== undefined) env["src"] = b.src;
  const child = spawn("/bin/sh", ["-eu", "-c", b.command], { cwd: b.cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = Buffer.alloc(0);
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = Buffer.concat([stderr, chunk]);
    if (stderr.length > STDERR_KEEP_BYTES) stderr = stderr.subarray(stderr.length - STDERR_KEEP_BYTES);
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c, s) => resolve({ code: c, signal: s }));
  });
  if (code === 0) return;
  const how = code !== null ? `exited with code ${code}` : `was killed by ${signal ?? "a signal"}`;
  const tail = stderr.toString("utf8").trimEnd().split("\n").slice(-STDERR_TAIL_LINES);
  const shown = tail.length === 1 && tail[0] === "" ? " (no stderr output)" : `; last lines of stderr:\n${tail.map((l) => `    ${l}`).join("\n")}`;
  throw new FleetError(undefined, `build of ${b.describe} failed: its command ${how}${shown}`, {
    hint: "fix the package's command and build again; nothing of the failed build was kept",
  });
}
