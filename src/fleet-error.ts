/**
 * Operational errors (everything that is not a located language diagnostic). Their text comes
 * from the catalogue in fleet-messages.ts; `id` names the entry. The CLI renders `message` as-is
 * after the host prefix; `code` is the SPEC §1.5 code when one applies.
 */
import type { FleetErrorCode, FleetErrorText } from "./fleet-messages.js";

export interface FleetErrorOptions {
  readonly hint?: string;
  readonly host?: string;
  readonly cause?: unknown;
}

export class FleetError extends Error {
  /** The catalogue entry this error was made from. */
  readonly id: FleetErrorCode;
  readonly code: string | undefined;
  readonly options: FleetErrorOptions;

  constructor(text: FleetErrorText, options: Omit<FleetErrorOptions, "hint"> = {}) {
    super(text.message);
    this.name = "FleetError";
    this.id = text.id;
    this.code = text.code;
    this.options = text.hint !== undefined ? { ...options, hint: text.hint } : options;
  }

  /** The same error (id, code, message) reported for `host`. */
  onHost(host: string): FleetError {
    return new FleetError({ id: this.id, ...(this.code !== undefined ? { code: this.code } : {}), message: this.message }, { host });
  }

  /** `[E12] no previous generation` — the form every per-host error line uses. */
  get headline(): string {
    return this.code ? `[${this.code}] ${this.message}` : this.message;
  }
}

/** A mistake in how the command was called: exit 2, detected before any host is contacted. */
export class UsageError extends FleetError {
  constructor(text: FleetErrorText) {
    super(text);
    this.name = "UsageError";
  }
}

/**
 * Why an operation failed when the world made it fail: a FleetError's headline, or a system
 * error's code (ENOSPC, EACCES…). Anything else is a bug, and is thrown on.
 */
export function worldFaultReason(e: unknown): string {
  if (e instanceof FleetError) return e.headline;
  const sys = e as NodeJS.ErrnoException | undefined;
  if (sys instanceof Error && typeof sys.code === "string") return sys.code;
  throw e;
}
