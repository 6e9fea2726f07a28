/**
 * Fleet hooks (SPEC §7): `hooks = { apply = { pre post } rollback = { pre post } }`, run on the
 * machine running fleet, once per host, with FLEET_NODE, FLEET_HOST and FLEET_USER set. Their
 * output is captured (off a TTY nothing but the report is printed); a failure is summarised.
 */
import { spawn } from "node:child_process";
import type { HostRecord } from "../plan/fleet-model.js";
import { hostNode } from "../plan/fleet-model.js";
import { targetHost, targetUser } from "../transport/target.js";

export interface HookResult {
  readonly ok: boolean;
  /** `exit 3: last line of stderr` when it failed. */
  readonly detail: string;
}

export function hookEnv(host: HostRecord): Record<string, string> {
  return { FLEET_NODE: hostNode(host), FLEET_HOST: targetHost(host.target), FLEET_USER: targetUser(host.target) };
}

export function runHook(command: string, host: HostRecord, cwd: string): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env: { ...process.env, ...hookEnv(host) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-4096);
    });
    child.on("error", (e) => resolve({ ok: false, detail: e.message }));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ ok: true, detail: "" });
      const last = stderr.trim().split("\n").pop() ?? "";
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      resolve({ ok: false, detail: last ? `${how}: ${last}` : how });
    });
  });
}
