/**
 * Pre and post hooks around one host's operation (ADR 234, pleme-fleet's semantics): a failing
 * pre hook aborts that host's operation, a failing post hook only warns. Each hook's output is
 * captured as apply's and rollback's are (hooks.ts). Emits results; never prints.
 */
import type { CapturedOutput } from "../captured-output.js";
import type { FleetModel, HookOperation, HostRecord } from "../plan/fleet-model.js";
import { runHook } from "./hooks.js";
import type { OutputChunk } from "./outcome.js";

export interface Hooked<T> {
  /** Absent when the pre hook failed (the operation did not run). */
  readonly result?: T;
  /** `build pre hook failed (exit 3: …)`. */
  readonly aborted?: string;
  /** `build post hook failed (exit 1)`. */
  readonly warning?: string;
  readonly output: readonly CapturedOutput[];
}

export async function withHooks<T>(
  op: HookOperation,
  model: FleetModel,
  host: HostRecord,
  cwd: string,
  run: () => Promise<T>,
  /** A post hook runs only after an operation that succeeded (a failed exec, reboot… skips it). */
  succeeded: (r: T) => boolean = () => true,
  onOutput?: (c: OutputChunk) => void,
): Promise<Hooked<T>> {
  const output: CapturedOutput[] = [];
  const { pre, post } = model.hooks[op];
  if (pre !== undefined) {
    const r = await runHook(pre, host, cwd, `${op} pre hook`, onOutput);
    output.push(r.output);
    if (!r.ok) return { aborted: `${op} pre hook failed (${r.detail})`, output };
  }
  const result = await run();
  if (post !== undefined && succeeded(result)) {
    const r = await runHook(post, host, cwd, `${op} post hook`, onOutput);
    output.push(r.output);
    if (!r.ok) return { result, warning: `${op} post hook failed (${r.detail})`, output };
  }
  return { result, output };
}
