/** Test certificates made with the local openssl (no network); tests that need them fail without it. */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../support/temp-dir.js";

export interface TestCert {
  readonly pem: string;
  readonly key: string;
  /** sha256 of the DER SPKI, computed by openssl itself as an independent oracle. */
  readonly digest: string;
}

export function hasOpenssl(): boolean {
  return spawnSync("openssl", ["version"]).status === 0;
}

export function makeCert(cn: string): TestCert {
  const dir = tempDir("fleet-cert-");
  const openssl = (args: string[], input?: string | Buffer): Buffer =>
    execFileSync("openssl", args, { cwd: dir, input, stdio: ["pipe", "pipe", "pipe"] });
  try {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "c.key", "-out", "c.pem", "-days", "1", "-subj", `/CN=${cn}`]);
    const spki = openssl(["x509", "-in", "c.pem", "-pubkey", "-noout"]);
    const der = openssl(["pkey", "-pubin", "-outform", "DER"], spki);
    const digest = openssl(["dgst", "-sha256", "-r"], der).toString().split(" ")[0] ?? "";
    return { pem: readFileSync(join(dir, "c.pem"), "utf8"), key: readFileSync(join(dir, "c.key"), "utf8"), digest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
