/**
 * Secret files are recorded by an HMAC, never a plain hash (a plain sha256 of a short password is
 * a dictionary lookup away from the password). The key is random per host, created once, and
 * kept beside the deployments with mode 0600; it never leaves the target except in memory.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Transport } from "../transport/transport.js";
import { hmacKeyPath } from "./layout.js";

export async function loadOrCreateHmacKey(transport: Transport, deploymentsRoot: string): Promise<Buffer> {
  const path = hmacKeyPath(deploymentsRoot);
  const existing = await transport.readFile(path);
  if (existing !== null && existing.length >= 32) return existing;
  await transport.writeFileAtomic(path, randomBytes(32), 0o600);
  // Re-read: what is on disk is the key every later run uses.
  return (await transport.readFile(path)) ?? Buffer.alloc(0);
}

export function secretDigest(key: Buffer, content: Buffer): string {
  return createHmac("sha256", key).update(content).digest("hex");
}
