/**
 * Artifacts a stack produces (SPEC §6), computed locally before the host is touched so that a
 * dry-run and `fleet plan` know them too.
 */
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { completeStr } from "./complete-template.js";
import type { ArtifactValues } from "./complete-template.js";
import { tlsaDigest } from "./tls.js";
import type { TlsReader } from "./tls.js";
import type { ComposedStack } from "./types.js";

export interface ArtifactContext {
  /** Values of artifacts this stack consumes (a literal may interpolate them). */
  readonly artifacts: ArtifactValues;
  /** Reads under `--tls-certs`; absent when the flag was not given. */
  readonly readTls?: TlsReader;
}

/**
 * Artifact name → value, in declaration order. Throws FleetError when a tlsa certificate is
 * missing or unreadable, or ARTIFACT-MISSING when a literal interpolates an unknown artifact.
 */
export function producedArtifacts(stack: ComposedStack, ctx: ArtifactContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const decl of stack.producesArtifacts) {
    if (decl.kind === "literal") {
      out[decl.name] = completeStr(decl.value ?? "", ctx.artifacts);
      continue;
    }
    const rel = `${decl.fromCert ?? ""}/fullchain.pem`;
    if (ctx.readTls === undefined) {
      throw new FleetError(fleetMessages.tlsaNeedsTlsCerts(decl.name, stack.name, rel));
    }
    const pem = ctx.readTls(rel);
    if (pem === undefined) {
      throw new FleetError(fleetMessages.tlsaCertificateMissing(decl.name, stack.name, rel));
    }
    out[decl.name] = tlsaDigest(pem.toString("utf8"), `'${rel}' (tlsa artifact '${decl.name}')`);
  }
  return out;
}
