/**
 * What follows a host's flip (SPEC §7, seed): `--enable`/`--activate` through Transport.run (as
 * root on a sudo host; only reported under --transport-root), then health checks. Activation problems are warnings (the flip already succeeded); a failing health
 * check is reported to the caller, which rolls the host back.
 */
import type { ComposedStack } from "../stack/types.js";
import { LocalTransport } from "../transport/local.js";
import type { Transport } from "../transport/transport.js";

export interface ActivationOptions {
  readonly activate: boolean;
  readonly enable: boolean;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The systemctl calls of the step, in order: daemon-reload, every enable, every restart. */
export function activationCalls(stack: ComposedStack, options: ActivationOptions): string[][] {
  if (!options.activate && !options.enable) return [];
  const units = stack.services.filter((s) => s.enable).map((s) => `${s.name}.service`);
  const calls = [["daemon-reload"]];
  if (options.enable) for (const u of units) calls.push(["enable", u]);
  if (options.activate) for (const u of units) calls.push(["restart", u]);
  return calls;
}

/**
 * The shell script run on the target, one exec for the whole step. Services with enable=false are
 * left alone. Each call's output is captured so a failure can say why (its last line), on one
 * tab-separated `FLEET-FAIL` line: argv, exit code, reason.
 */
export function activationScript(stack: ComposedStack, options: ActivationOptions): string | undefined {
  const calls = activationCalls(stack, options);
  if (calls.length === 0) return undefined;
  const lines = [`call() { out=$(systemctl "$@" 2>&1) || printf 'FLEET-FAIL %s\\t%s\\t%s\\n' "$*" "$?" "$(printf '%s' "$out" | tail -n 1)"; }`];
  for (const c of calls) lines.push(`call ${c.map(shQuote).join(" ")}`);
  return lines.join("\n");
}

/**
 * Under --transport-root nothing runs on this machine (issue 10): the step is reported instead,
 * as one `⚠` line naming every call it would have made, grouped by verb.
 */
export function hermeticActivationNote(stack: ComposedStack, options: ActivationOptions): string | undefined {
  const calls = activationCalls(stack, options);
  if (calls.length === 0) return undefined;
  const groups: string[][] = [];
  for (const [verb = "", ...args] of calls) {
    const last = groups[groups.length - 1];
    if (last && last[0] === verb && args.length > 0) last.push(...args);
    else groups.push([verb, ...args]);
  }
  const would = groups.map((g) => `systemctl ${g.join(" ")}`).join("; ");
  return `not activated: --transport-root runs nothing on this machine; a real host would run ${would}`;
}

/** `systemctl restart web.service failed (exit 1): Job for web.service failed …` */
function failureWarning(line: string): string {
  const [call = "", code = "", reason = ""] = line.slice("FLEET-FAIL ".length).split("\t");
  const why = reason.trim();
  return `systemctl ${call} failed (exit ${code})${why ? `: ${why}` : ""}`;
}

/** Run activation; returns one warning per failed systemctl call. */
export async function activate(transport: Transport, stack: ComposedStack, options: ActivationOptions): Promise<string[]> {
  if (transport instanceof LocalTransport) {
    const note = hermeticActivationNote(stack, options);
    return note === undefined ? [] : [note];
  }
  const script = activationScript(stack, options);
  if (script === undefined) return [];
  const r = await transport.run(script, { timeoutMs: 300_000, privileged: true });
  const warnings = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("FLEET-FAIL "))
    .map(failureWarning);
  if (r.code !== 0) warnings.push(`activation script exited ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").pop()}` : ""}`);
  return warnings;
}

/** The first failing health check's name, or undefined when all pass. */
export async function runHealthChecks(transport: Transport, stack: ComposedStack): Promise<{ name: string; detail: string } | undefined> {
  for (const check of stack.healthChecks) {
    const r = await transport.run(check.command, { timeoutMs: check.timeout * 1000 });
    if (r.code !== 0) {
      return { name: check.name, detail: r.code === 124 ? `timed out after ${check.timeout}s` : `exit ${r.code}` };
    }
  }
  return undefined;
}
