/**
 * Priorities (SPEC §1.4): every contribution to a field has one (0 for the base, 10 for a
 * scenario override, or what a `Setting<τ>(…, priority = N)` written there says); the highest
 * wins, and equal winners must agree (`[E4]`). The chain of contributions, winner last, is what
 * `fleet why` shows.
 */
import type { Expr, Field } from "./ast.js";
import type { Contribution } from "./program-types.js";
import type { ActiveOverride } from "./declarations.js";
import type { DiagnosticSink } from "./diagnostics/sink.js";
import { messages } from "./messages.js";
import type { Span } from "./source.js";
import { deepEqual } from "./value-equality.js";
import type { Value } from "./value.js";

export interface Candidate extends Contribution {
  readonly value: Value;
}

/** Contribution chains by dotted path, for `fleet why`. */
export type Chains = Map<string, Candidate[]>;

export interface PickContext {
  readonly sink: DiagnosticSink;
  readonly chains: Chains;
  /** Whether span `a` comes before `b` (file order, then offset): later contributions sort last. */
  readonly before: (a: Span, b: Span) => boolean;
  readonly where: (span: Span) => string;
}

/** Highest priority wins; equal winners must agree (`[E4]`). The chain is recorded winner last. */
export function pick(ctx: PickContext, path: string, candidates: readonly Candidate[]): Candidate | undefined {
  const sorted = [...candidates].sort((a, b) => a.priority - b.priority || (ctx.before(a.span, b.span) ? -1 : ctx.before(b.span, a.span) ? 1 : 0));
  const winner = sorted[sorted.length - 1];
  if (!winner) return undefined;
  const top = sorted.filter((c) => c.priority === winner.priority);
  const firstTop = top[0] as Candidate;
  ctx.chains.set(path, sorted);
  for (const c of top.slice(1)) {
    if (!deepEqual(firstTop.value, c.value)) {
      ctx.sink.error("E4", messages.priorityConflict(path, winner.priority, ctx.where(firstTop.span)), c.span, [{ span: firstTop.span, message: messages.otherContribution }]);
      return undefined;
    }
  }
  return winner;
}

/** The expression the winner was written as (its `Setting` unwrapped), for nested overrides. */
export function winnerExpr(f: Field, winner: Candidate, active: readonly ActiveOverride[]): Expr | undefined {
  if (winner.origin === "base" || winner.origin === "Setting") return f.value.kind === "setting" ? f.value.value : f.value;
  const o = active.find((a) => a.override === winner.span)?.override.value;
  return o?.kind === "setting" ? o.value : o;
}
