/**
 * Operational errors (everything that is not a located language diagnostic). The CLI renders
 * `message` as-is after the host prefix; `code` is the SPEC §1.5 code when one applies.
 */
export class FleetError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly options: { hint?: string; host?: string; cause?: unknown } = {},
  ) {
    super(message);
    this.name = "FleetError";
  }

  /** `[E12] no previous generation` — the form every per-host error line uses. */
  get headline(): string {
    return this.code ? `[${this.code}] ${this.message}` : this.message;
  }
}

/** A mistake in how the command was called: exit 2, detected before any host is contacted. */
export class UsageError extends FleetError {
  constructor(message: string) {
    super(undefined, message);
    this.name = "UsageError";
  }
}
