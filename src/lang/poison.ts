/**
 * The value of a sub-expression that failed (its error already reported): it propagates silently,
 * so that one mistake gives one diagnostic.
 */
import type { Value } from "./value.js";

export class Poison {
  /** A brand, so that no other object is structurally a Poison. */
  readonly isPoison = true;
}
export const POISON = new Poison();
export type V = Value | Poison;
