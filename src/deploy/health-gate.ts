/**
 * A host's health gate (SPEC §7): run its checks and, when one fails, roll the host back under the
 * lock the caller holds, re-activating the restored generation when the apply activated. One
 * implementation for the check right after the flip and for the soak re-check of a rollout
 * (ADR 160), so both end a failing host the same way.
 */
import type { HostRecord } from "../plan/fleet-model.js";
import type { ComposedStack } from "../stack/types.js";
import type { LockHandle, LockHolder, Transport } from "../transport/transport.js";
import type { HostEvent } from "./host-events.js";
import { rollbackHost } from "./host-rollback.js";
import { genName, type HostOutcome } from "./outcome.js";
import { Activation, runHealthChecks, type ActivationOptions } from "./post-deploy.js";
import type { CapturedOutput } from "../captured-output.js";
import { stackDir } from "../manifest/layout.js";
import { tryUpdateRecord, type HealthRecord } from "../manifest/records.js";

export interface HealthGateInput {
  readonly transport: Transport;
  readonly host: HostRecord;
  readonly stack: ComposedStack;
  readonly deploymentsRoot: string;
  readonly holder: LockHolder;
  /** The host's lock, held by the caller for the whole gate. */
  readonly lock: LockHandle;
  readonly options: ActivationOptions & { readonly autoRollback: boolean };
  /** The outcome when every check passes: ok, at the generation just made current. */
  readonly passed: HostOutcome;
  /** The outcome's warnings, added to as activation warns. */
  readonly warnings: string[];
  readonly onEvent: (e: HostEvent) => void;
  readonly progress: (stage: string) => void;
  /** Said after "health check 'x' failed": "" right after the flip, " after 30s soak" later. */
  readonly when: string;
  /** Receives each check's captured output (ADR 143). */
  readonly output?: CapturedOutput[];
  readonly onOutput?: (c: CapturedOutput) => void;
  /** Applied to what is recorded on the target for `fleet status` (ADR 220): secret values out. */
  readonly redact?: (text: string) => string;
  /** `user@machine` recorded as who rolled the host back (ADR 221). */
  readonly by?: string;
}

export async function healthGate(input: HealthGateInput): Promise<HostOutcome> {
  const { transport, stack, passed, options } = input;
  const checks = stack.healthChecks.length;
  // `health: http (attempt 3)`; with several checks (they run at once) also which one of them.
  const health = await runHealthChecks(transport, stack, (name, attempt, i) =>
    input.progress(checks === 1 ? `health: ${name} (attempt ${attempt})` : `health: ${name} (check ${i + 1} of ${checks}, attempt ${attempt})`),
  );
  for (const c of health.output) {
    input.output?.push(c);
    input.onOutput?.(c);
  }
  // Each check's attempts and last result (ADR 238), when the host has checks.
  const reports = health.checks.length > 0 ? { health: health.checks } : {};
  const check = health.failed;
  const redact = input.redact ?? ((t: string) => t);
  const dir = stackDir(input.deploymentsRoot, stack.name);
  const record: HealthRecord = {
    ok: check === undefined,
    at: new Date().toISOString(),
    checks,
    failed_check: check?.name ?? null,
    detail: check ? redact(check.detail + input.when) : null,
  };
  const recordHealth = async (): Promise<void> => {
    if (checks === 0 || passed.generation === undefined) return;
    const problem = await tryUpdateRecord(transport, dir, passed.generation, { health: record });
    if (problem !== undefined) input.warnings.push(problem);
  };
  if (!check) {
    await recordHealth();
    return { ...passed, ...reports };
  }
  const what = `health check '${check.name}' ${check.detail}${input.when}`;
  if (!options.autoRollback) {
    await recordHealth();
    return { ...passed, ...reports, status: "failed", reason: what };
  }
  if (passed.previous === null || passed.previous === undefined) {
    await recordHealth();
    return { ...passed, ...reports, status: "failed", reason: `${what}; no previous generation` };
  }
  input.progress(`rolling back (health check '${check.name}' failed)`);
  // The restored generation is re-activated by the same rules (ADR 190): the old version runs.
  const activating = options.activate || options.enable;
  const back = new Activation(transport, { activate: options.activate, enable: options.enable });
  const rb = await rollbackHost({
    ...(activating ? { beforeStaleDeletion: back.beforeStaleDeletion } : {}),
    transport,
    stack: stack.name,
    target: input.host.target,
    deploymentsRoot: input.deploymentsRoot,
    holder: input.holder,
    heldLock: input.lock,
    onEvent: input.onEvent,
    record: { reason: redact(what), health: record, ...(input.by !== undefined ? { by: input.by } : {}) },
  });
  if (activating) {
    input.warnings.push(...(await back.afterFlip()));
    for (const c of back.output) {
      input.output?.push(c);
      input.onOutput?.(c);
    }
  }
  return {
    ...passed,
    ...reports,
    ...(activating ? { activation: back.summary() } : {}),
    status: "rolled-back",
    reason: `rolled back to ${genName(rb.generation)} (${what})`,
    generation: rb.generation,
    previous: rb.was,
  };
}
