/**
 * Fleet hooks (SPEC §7): `hooks = { apply = { pre post } rollback = { pre post } }`, run on the
 * machine running fleet, once per host, with FLEET_NODE, FLEET_HOST and FLEET_USER set. Their
 * output is captured, bounded (off a TTY nothing but the report is printed; a failure shows its
 * last lines, `-v` streams it, `--json` and the run log carry it).
 */
import { spawn } from "node:child_process";
import { captured, OutputTail, type CapturedOutput } from "../captured-output.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { hostNode } from "../plan/fleet-model.js";
import { targetHost, targetUser } from "../transport/target.js";
import type { OutputChunk } from "./outcome.js";

export interface HookResult {
  readonly ok: boolean;
  /** `exit 3: last line of stderr` when it failed. */
  readonly detail: string;
  readonly output: CapturedOutput;
}

export function hookEnv(host: HostRecord): Record<string, string> {
  return { FLEET_NODE: hostNode(host), FLEET_HOST: targetHost(host.target), FLEET_USER: targetUser(host.target) };
}

/** Run one hook; `step` names it (`apply pre hook`); `onOutput` sees each chunk as it arrives. */
export function runHook(command: string, host: HostRecord, cwd: string, step = "hook", onOutput?: (c: OutputChunk) => void): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env: { ...process.env, ...hookEnv(host) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = new OutputTail();
    const err = new OutputTail();
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      onOutput?.({ host, step, stream: "stdout", text: d.toString("utf8") });
    });
    child.stderr.on("data", (d: Buffer) => {
      err.push(d);
      onOutput?.({ host, step, stream: "stderr", text: d.toString("utf8") });
    });
    const result = (code: number | null, failed: boolean): CapturedOutput => ({
      ...captured(step, out.text(), err.text(), code, failed),
      truncated: out.truncated || err.truncated,
    });
    child.on("error", (e) => resolve({ ok: false, detail: e.message, output: result(null, true) }));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ ok: true, detail: "", output: result(0, false) });
      const last = err.text().trim().split("\n").pop() ?? "";
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      resolve({ ok: false, detail: last ? `${how}: ${last}` : how, output: result(code, true) });
    });
  });
}
