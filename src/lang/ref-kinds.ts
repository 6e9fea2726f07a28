/** The reference kinds of SPEC §1.3, in one place: `{ from_env = "X" }` and friends. */

/** Kinds of a secret reference (resolved at deploy time, never stored). */
export const SECRET_KINDS: ReadonlySet<string> = new Set(["from_env", "from_file", "from_vault"]);

/** Every reference kind a one-field record may be: the secret kinds and `from_artifact`. */
export const REF_KINDS: ReadonlySet<string> = new Set([...SECRET_KINDS, "from_artifact"]);
