/**
 * What follows a host's flip (SPEC §7, seed): `--enable`/`--activate` by the plan of ADR 190,
 * through Transport.run (as root on a sudo host; only reported under --transport-root), then
 * health checks. Activation problems are warnings (the flip already succeeded); a failing health
 * check is reported to the caller, which rolls the host back.
 */
import type { Manifest } from "../manifest/manifest.js";
import { LocalTransport } from "../transport/local.js";
import type { Transport } from "../transport/transport.js";
import {
  EMPTY_ACTIVATION,
  planActivation,
  postFlipCalls,
  preRemovalCalls,
  type ActivationFlags,
  type ActivationPlan,
} from "./activation-plan.js";
import type { ActivationSummary } from "./outcome.js";
import { captured, type CapturedOutput } from "../captured-output.js";

export type ActivationOptions = ActivationFlags;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Verbs whose failure also reports the unit's last journal lines. */
const STARTING = new Set(["start", "restart", "reload"]);
const JOURNAL_LINES = 5;

/**
 * The shell script run on the target for a list of systemctl calls, one exec. Each call's output
 * is captured so a failure can say why (its first line: systemd's "Job for … failed …"), on one tab-separated `FLEET-FAIL` line:
 * argv, exit code, reason; a failed start/restart/reload adds the unit's last journal lines on
 * `FLEET-JOURNAL` lines. Later calls still run.
 */
export function activationScript(calls: readonly (readonly string[])[]): string | undefined {
  if (calls.length === 0) return undefined;
  const lines = [
    `call() { out=$(systemctl "$@" 2>&1) || printf 'FLEET-FAIL %s\\t%s\\t%s\\n' "$*" "$?" "$(printf '%s' "$out" | head -n 1)"; }`,
    `jcall() { out=$(systemctl "$@" 2>&1) || { printf 'FLEET-FAIL %s\\t%s\\t%s\\n' "$*" "$?" "$(printf '%s' "$out" | head -n 1)"; journalctl -u "$2" -n ${JOURNAL_LINES} --no-pager -o cat 2>/dev/null | sed 's/^/FLEET-JOURNAL /'; }; }`,
  ];
  for (const c of calls) lines.push(`${STARTING.has(c[0] ?? "") ? "jcall" : "call"} ${c.map(shQuote).join(" ")}`);
  return lines.join("\n");
}

/**
 * Under --transport-root nothing runs on this machine (ADR 109): the step is reported instead, as
 * one `⚠` line naming every call a real host would get, in order, grouped by verb.
 */
export function hermeticActivationNote(calls: readonly (readonly string[])[]): string | undefined {
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

/** `systemctl restart web.service failed (exit 1): Job for web.service failed …; journal: a | b` */
function failureWarnings(stdout: string): string[] {
  const out: string[] = [];
  for (const l of stdout.split("\n")) {
    if (l.startsWith("FLEET-FAIL ")) {
      const [call = "", code = "", reason = ""] = l.slice("FLEET-FAIL ".length).split("\t");
      const why = reason.trim();
      out.push(`systemctl ${call} failed (exit ${code})${why ? `: ${why}` : ""}`);
    } else if (l.startsWith("FLEET-JOURNAL ") && out.length > 0) {
      const line = l.slice("FLEET-JOURNAL ".length).trim();
      if (line === "") continue;
      const i = out.length - 1;
      out[i] = out[i]!.includes("; journal: ") ? `${out[i]} | ${line}` : `${out[i]}; journal: ${line}`;
    }
  }
  return out;
}

/**
 * What the activation script printed, readable (ADR 143, 237): fleet's `FLEET-FAIL` protocol lines
 * become the `⚠` text, each `FLEET-JOURNAL` line the journal line itself, indented.
 */
function readableOutput(stdout: string): string {
  return stdout
    .split("\n")
    .map((l) => {
      if (l.startsWith("FLEET-FAIL ")) return failureWarnings(l)[0] ?? l;
      if (l.startsWith("FLEET-JOURNAL ")) return `  ${l.slice("FLEET-JOURNAL ".length)}`;
      return l;
    })
    .join("\n");
}

/**
 * Run systemctl calls on a real target: one warning per failed call, and what the script printed
 * as the `activation` step's captured output. Runs nothing locally (no output then).
 */
export async function runSystemctlCaptured(
  transport: Transport,
  calls: readonly (readonly string[])[],
): Promise<{ warnings: string[]; output?: CapturedOutput }> {
  if (transport instanceof LocalTransport) return { warnings: [] };
  const script = activationScript(calls);
  if (script === undefined) return { warnings: [] };
  const r = await transport.run(script, { timeoutMs: 300_000, privileged: true });
  const warnings = failureWarnings(r.stdout);
  if (r.code !== 0) warnings.push(`activation script exited ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").pop()}` : ""}`);
  return { warnings, output: captured("activation", readableOutput(r.stdout), r.stderr, r.code, warnings.length > 0) };
}

/** Run systemctl calls on a real target; returns one warning per failed call. Runs nothing locally. */
export async function runSystemctl(transport: Transport, calls: readonly (readonly string[])[]): Promise<string[]> {
  return (await runSystemctlCaptured(transport, calls)).warnings;
}

/**
 * Activation of one generation over the one it replaces, in two halves around the flip (ADR 190):
 * `beforeStaleDeletion` is handed to applyHost/rollbackHost (plans, then stops and disables what
 * leaves while its unit file exists), `afterFlip` reloads the daemon and starts, restarts or
 * reloads. Under --transport-root both only collect the calls, reported as one note.
 */
export class Activation {
  plan: ActivationPlan = EMPTY_ACTIVATION;
  private pre: string[][] = [];
  readonly warnings: string[] = [];
  /** What each activation script run printed (stops before the flip, starts after), in order. */
  readonly output: CapturedOutput[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly flags: ActivationFlags,
  ) {}

  readonly beforeStaleDeletion = async (replaced: Manifest | null, next: Manifest): Promise<void> => {
    this.plan = planActivation(replaced, next, this.flags);
    this.pre = preRemovalCalls(this.plan);
    this.record(await runSystemctlCaptured(this.transport, this.pre));
  };

  private record(r: { warnings: string[]; output?: CapturedOutput }): void {
    this.warnings.push(...r.warnings);
    if (r.output !== undefined) this.output.push(r.output);
  }

  async afterFlip(): Promise<string[]> {
    const post = postFlipCalls(this.plan);
    if (this.transport instanceof LocalTransport) {
      const note = hermeticActivationNote([...this.pre, ...post]);
      if (note !== undefined) this.warnings.push(note);
    } else this.record(await runSystemctlCaptured(this.transport, post));
    return this.warnings;
  }

  /**
   * What was done, for the per-host result (`--json` lists, the `activation:` line). `ran` is
   * false under --transport-root, where the same lists say what a real host would get.
   */
  summary(): ActivationSummary {
    const p = this.plan;
    return {
      started: [...p.started],
      restarted: [...p.restarted],
      reloaded: [...p.reloaded],
      stopped: [...p.stopped],
      unchanged: [...p.unchanged],
      enabled: [...p.enable],
      disabled: [...p.disable],
      ran: !(this.transport instanceof LocalTransport),
    };
  }
}

export { runHealthChecks } from "./health-checks.js";
