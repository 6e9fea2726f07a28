/**
 * OpenSSH known_hosts: parsing, matching a (host, port) and a offered key against it, and the
 * OpenSSH fingerprint form. Pure apart from `appendKnownHost`, which writes the local file.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export interface KnownHostEntry {
  /** 1-based line in the file (for messages). */
  readonly line: number;
  readonly marker: "revoked" | "cert-authority" | null;
  /** Comma-separated host patterns as written, or null for a hashed entry. */
  readonly patterns: readonly string[] | null;
  readonly hashed: { readonly salt: Buffer; readonly hash: Buffer } | null;
  readonly keyType: string;
  readonly keyBlob: Buffer;
}

export type HostKeyVerdict =
  | { readonly kind: "match"; readonly line: number }
  | { readonly kind: "revoked"; readonly line: number }
  | { readonly kind: "mismatch"; readonly line: number }
  | { readonly kind: "unknown" };

/** Lines that are blank, comments or malformed are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) return;
    let marker: KnownHostEntry["marker"] = null;
    if (fields[0].startsWith("@")) {
      if (fields[0] === "@revoked") marker = "revoked";
      else if (fields[0] === "@cert-authority") marker = "cert-authority";
      else return;
      fields.shift();
    }
    const [hosts, keyType, keyB64] = fields;
    if (hosts === undefined || keyType === undefined || keyB64 === undefined) return;
    const keyBlob = Buffer.from(keyB64, "base64");
    if (keyBlob.length === 0) return;
    let hashed: KnownHostEntry["hashed"] = null;
    let patterns: string[] | null = null;
    if (hosts.startsWith("|1|")) {
      const [salt, hash] = hosts.slice(3).split("|");
      if (salt === undefined || hash === undefined) return;
      hashed = { salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
    } else {
      patterns = hosts.split(",").filter((p) => p !== "");
    }
    entries.push({ line: i + 1, marker, patterns, hashed, keyType, keyBlob });
  });
  return entries;
}

/** The name OpenSSH looks a host up by: `host` on port 22, else `[host]:port`. */
export function hostLookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH glob: `*` any run, `?` one character; whole-string, case-insensitive. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    "s",
  );
  return re.test(name.toLowerCase());
}

/** A negated pattern that matches vetoes the whole list (OpenSSH match_hostname_list). */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (entry.hashed) {
    const mac = createHmac("sha1", entry.hashed.salt).update(name).digest();
    return mac.equals(entry.hashed.hash);
  }
  let positive = false;
  for (const p of entry.patterns ?? []) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) positive = true;
  }
  return positive;
}

/**
 * Judge an offered host key. A revoked key is refused even when another line accepts it. Any
 * line for this host with a different key (of any type) makes an unaccepted key a mismatch,
 * so a changed key is never silently trusted as "new". `@cert-authority` lines are ignored
 * (ADR 051): fleet does not accept host certificates.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  let match: number | null = null;
  let mismatch: number | null = null;
  for (const e of entries) {
    if (e.marker === "cert-authority" || !entryMatchesHost(e, host, port)) continue;
    const same = e.keyBlob.equals(keyBlob);
    if (e.marker === "revoked") {
      if (same) return { kind: "revoked", line: e.line };
      continue;
    }
    if (same) match ??= e.line;
    else mismatch ??= e.line;
  }
  if (match !== null) return { kind: "match", line: match };
  if (mismatch !== null) return { kind: "mismatch", line: mismatch };
  return { kind: "unknown" };
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString("latin1");
}

/** `SHA256:` + unpadded base64 of the sha256 of the key blob, as `ssh-keygen -l` prints. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  return `${hostLookupName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString("base64")}\n`;
}

export function readKnownHosts(path: string): KnownHostEntry[] {
  return existsSync(path) ? parseKnownHosts(readFileSync(path, "utf8")) : [];
}

/** Trust-on-first-use: append one plain line, starting a new line if the file lacks a final one. */
export function appendKnownHost(path: string, host: string, port: number, keyBlob: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  appendFileSync(path, sep + knownHostsLine(host, port, keyBlob), { mode: 0o600 });
}
