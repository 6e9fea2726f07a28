/**
 * The reference kinds of SPEC §1.3: `{ from_env = "X" }` and friends. The list itself is the
 * grammar's (`REF_KIND_NAMES` in ast.ts); this module names the secret subset.
 */
import { REF_KIND_NAMES, REF_KINDS } from "./ast.js";

/** Kinds of a secret reference (resolved at deploy time, never stored). */
export const SECRET_KINDS: ReadonlySet<string> = new Set(REF_KIND_NAMES.filter((k) => k !== "from_artifact"));

export { REF_KINDS };
