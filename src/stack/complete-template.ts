/**
 * Completing artifact templates (SPEC §1.3, §6): a Str of a stack may interpolate values that
 * other hosts produce; they are known only after the producer deployed.
 */
import { FleetError } from "../fleet-error.js";
import { ArtifactRef, Template } from "../lang/index.js";
import { fleetMessages } from "../fleet-messages.js";
import type { StackStr } from "./types.js";

/** Produced artifact values of the fleet, keyed by `machine/name`. */
export type ArtifactValues = ReadonlyMap<string, string>;

export function artifactMissing(ref: ArtifactRef): FleetError {
  return new FleetError(fleetMessages.artifactHasNoValue(ref.id, ref.machine, ref.artifact));
}

/** The final string; throws ARTIFACT-MISSING naming the first reference without a value. */
export function completeStr(value: StackStr, artifacts: ArtifactValues): string {
  if (typeof value === "string") return value;
  const parts = value instanceof Template ? value.parts : [value];
  let out = "";
  for (const part of parts) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const v = artifacts.get(part.id);
    if (v === undefined) throw artifactMissing(part);
    out += v;
  }
  return out;
}

/** The artifact references a Str consumes, in order. */
export function artifactRefsOf(value: StackStr): ArtifactRef[] {
  if (value instanceof ArtifactRef) return [value];
  if (value instanceof Template) return value.parts.filter((p): p is ArtifactRef => p instanceof ArtifactRef);
  return [];
}
