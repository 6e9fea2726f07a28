/**
 * TLS material (SPEC §3, §6): which files a stack's `tls.domains` become on the target, and the
 * TLSA digest a producer publishes. Pure: the caller injects a reader rooted at `--tls-certs`.
 */
import { codePointCompare } from "../lang/index.js";
import { createHash, X509Certificate } from "node:crypto";
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import type { RenderedFile } from "./types.js";

/** Reads `<relPath>` under the `--tls-certs` directory; undefined when it does not exist. */
export type TlsReader = (relPath: string) => Buffer | undefined;

export const TLS_TARGET_DIR = "/etc/fleet/tls";

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A plain hostname: dot-separated labels of letters, digits and inner hyphens, at most 253
 * characters, no trailing dot, no wildcard. The domain becomes a directory name both under
 * `--tls-certs` and on the target, so anything else (`..`, `/`, `*`) must never get through.
 */
export function isPlainHostname(d: string): boolean {
  if (typeof d !== "string" || d.length === 0 || d.length > 253) return false;
  return d.split(".").every((label) => LABEL.test(label));
}

/**
 * `/etc/fleet/tls/<domain>/fullchain.pem` (0644) and `privkey.pem` (0600, secret) for every
 * domain, sorted by path; or one error naming every missing file.
 */
export function tlsFiles(domains: readonly string[], read: TlsReader): RenderedFile[] | FleetError {
  const files: RenderedFile[] = [];
  const missing: string[] = [];
  for (const domain of domains) {
    if (!isPlainHostname(domain)) {
      return new FleetError(fleetMessages.tlsDomainNotHostname(domain));
    }
    for (const [name, mode, secret] of [
      ["fullchain.pem", 0o644, false],
      ["privkey.pem", 0o600, true],
    ] as const) {
      const rel = `${domain}/${name}`;
      const content = read(rel);
      if (content === undefined) missing.push(rel);
      else files.push({ path: `${TLS_TARGET_DIR}/${rel}`, content, mode, secret });
    }
  }
  if (missing.length > 0) {
    const list = missing.map((m) => `'${m}'`).join(", ");
    return new FleetError(fleetMessages.tlsFilesMissing(missing.length > 1 ? "s" : "", list));
  }
  return files.sort((a, b) => codePointCompare(a.path, b.path));
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/**
 * Lowercase hex sha256 of the DER SubjectPublicKeyInfo of the first certificate of a PEM chain
 * (a DANE "3 1 1" TLSA record). `what` names the file in the error.
 */
export function tlsaDigest(fullchainPem: string, what = "certificate chain"): string {
  const first = PEM_CERT.exec(fullchainPem);
  if (!first) throw new FleetError(fleetMessages.noPemCertificate(what));
  let spki: Buffer;
  try {
    spki = new X509Certificate(first[0]).publicKey.export({ type: "spki", format: "der" });
  } catch {
    throw new FleetError(fleetMessages.notAnX509Certificate(what));
  }
  return createHash("sha256").update(spki).digest("hex");
}
