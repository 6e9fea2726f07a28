/**
 * How a staged rollout reads (ADR 160): `wave K/N: M host(s)` on stdout before each wave's host
 * lines, the rollback on halt (`↩` lines on stdout, `✗` on stderr), the halt line on stderr after
 * the summary, and the `rollout` part of `apply --json`.
 */
import type { RolloutEvent, RolloutHalt, RolloutSummary } from "../deploy/rollout-events.js";
import { genName, type HostOutcome } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { hostCountText } from "../plan/rollout.js";
import type { Output } from "./output.js";

export function haltLine(h: RolloutHalt): string {
  return `rollout halted after wave ${h.afterWave}: ${h.failed} failed > budget ${h.budget}`;
}

/** Prints rollout events as they come; `finish` prints the halt line (after the summary). */
export function rolloutPrinter(out: Output, json: boolean, done: (host: HostRecord) => void) {
  let summary: RolloutSummary | undefined;
  let shared = new Set<string>();
  const onRollout = (e: RolloutEvent): void => {
    if (e.kind === "end") {
      summary = e.summary;
      return;
    }
    if (e.kind === "halt-rolled-back") done(e.outcome.host);
    if (json) return;
    switch (e.kind) {
      case "wave":
        out.out(`wave ${e.wave}/${e.waves}: ${e.hosts.length} host(s)`);
        break;
      case "halt-rollback": {
        const seen = new Map<string, number>();
        for (const h of e.hosts) seen.set(h.stack, (seen.get(h.stack) ?? 0) + 1);
        shared = new Set([...seen].filter(([, n]) => n > 1).map(([s]) => s));
        out.out(`rollback on halt: ${e.hosts.length} host(s)`);
        break;
      }
      case "halt-rolled-back": {
        const o = e.outcome;
        if (e.ok) {
          const name = shared.has(o.host.stack) ? `${o.host.stack} (${o.host.target})` : o.host.stack;
          const skipped = o.secretSkipped ? `, ${o.secretSkipped} secret-skipped` : "";
          out.out(`${out.yellow("↩")} ${name} → ${genName(o.generation!)} (was ${genName(o.previous as number)}); ${o.restored ?? 0} restored, ${o.removed ?? 0} removed${skipped}`);
        } else {
          out.err(`${out.red("✗")} ${o.host.stack} → ${o.host.target}: rollback on halt failed: ${e.reason ?? "failed"}`);
        }
        break;
      }
    }
  };
  return {
    onRollout,
    summary: (): RolloutSummary | undefined => summary,
    finish(): void {
      if (!json && summary?.halt) out.err(haltLine(summary.halt));
    },
  };
}

type JsonHost = Record<string, unknown>;

/** `apply --json` of a rollout: each host gains its `wave`, the document a `rollout` object. */
export function withRolloutJson(doc: unknown, outcomes: readonly HostOutcome[], s: RolloutSummary, rollbackOnHalt: boolean): unknown {
  const base = doc as { hosts: JsonHost[] } & Record<string, unknown>;
  const waveOf = new Map(s.waves.flatMap((w, k) => w.map((h) => [h.index, k + 1] as const)));
  const statusOf = new Map(outcomes.map((o) => [o.host.index, o.status]));
  return {
    ...base,
    hosts: base.hosts.map((h, i) => ({ ...h, wave: waveOf.get(outcomes[i]!.host.index) ?? null })),
    rollout: {
      sizes: s.spec.waves.map(hostCountText),
      max_failed: hostCountText(s.spec.maxFailed),
      budget: s.budget,
      soak: s.spec.soak,
      rollback_on_halt: rollbackOnHalt,
      waves: s.waves.map((w, k) => ({
        wave: k + 1,
        hosts: w.map((h) => ({ stack: h.stack, target: h.target, status: statusOf.get(h.index) ?? null })),
      })),
      halt: s.halt ? { after_wave: s.halt.afterWave, failed: s.halt.failed, budget: s.halt.budget, message: haltLine(s.halt) } : null,
    },
  };
}
