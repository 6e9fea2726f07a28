/**
 * `std.shell`: `/bin/sh -eu -c COMMAND` in an empty build directory with a cleared environment
 * (SPEC §2): only PATH, HOME=/homeless, `out` and, with a source, `src`. Nothing of the caller's
 * environment leaks in, so a build cannot depend on who runs it.
 */
import { spawn } from "node:child_process";
import { FleetError } from "../fleet-error.js";
import { fleetMessages, type FleetErrorText } from "../fleet-messages.js";
import { captured, lastLines, OutputTail, type CapturedOutput } from "../captured-output.js";

/** A failed `std.shell` build, with what its command printed (for `--json`, the run log, `-v`). */
export class BuildFailedError extends FleetError {
  constructor(
    text: FleetErrorText,
    readonly output: CapturedOutput,
  ) {
    super(text);
  }
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
const STDERR_TAIL_LINES = 10;

export interface ShellBuild {
  readonly command: string;
  readonly cwd: string;
  readonly out: string;
  readonly src?: string;
  /** "package 'Foo' (<base>)", for the error. */
  readonly describe: string;
  /** Each chunk the command prints, as it prints it (`-v`). */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}

export async function buildShell(b: ShellBuild): Promise<void> {
  const env: Record<string, string> = { PATH: process.env["PATH"] || DEFAULT_PATH, HOME: "/homeless", out: b.out };
  if (b.src !== undefined) env["src"] = b.src;
  const child = spawn("/bin/sh", ["-eu", "-c", b.command], { cwd: b.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const out = new OutputTail();
  const err = new OutputTail();
  child.stdout.on("data", (chunk: Buffer) => {
    out.push(chunk);
    b.onOutput?.("stdout", chunk.toString("utf8"));
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err.push(chunk);
    b.onOutput?.("stderr", chunk.toString("utf8"));
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c, s) => resolve({ code: c, signal: s }));
  });
  if (code === 0) return;
  const how = code !== null ? `exited with code ${code}` : `was killed by ${signal ?? "a signal"}`;
  const tail = lastLines(err.text(), STDERR_TAIL_LINES);
  const outTail = lastLines(out.text(), STDERR_TAIL_LINES);
  const block = (name: string, lines: string[]) => `last lines of ${name}:\n${lines.map((l) => `    ${l}`).join("\n")}`;
  const parts = [...(outTail.length > 0 ? [block("stdout", outTail)] : []), ...(tail.length > 0 ? [block("stderr", tail)] : [])];
  const shown = parts.length === 0 ? " (no output)" : `; ${parts.join("\n  ")}`;
  throw new BuildFailedError(
    fleetMessages.buildFailed(b.describe, how, shown),
    { ...captured(`build of ${b.describe}`, out.text(), err.text(), code, true), truncated: out.truncated || err.truncated },
  );
}
