import { beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { isPlainHostname, tlsaDigest, tlsFiles } from "../../src/stack/tls.js";
import { hasOpenssl, makeCert } from "./certs.js";
import type { TestCert } from "./certs.js";

let leaf: TestCert;
let ca: TestCert;

beforeAll(() => {
  expect(hasOpenssl(), "openssl is required to generate test certificates").toBe(true);
  leaf = makeCert("leaf.example.com");
  ca = makeCert("ca.example.com");
});

describe("tlsaDigest", () => {
  it("is the sha256 of the DER SubjectPublicKeyInfo of the first certificate, in lowercase hex", () => {
    expect(leaf.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(tlsaDigest(leaf.pem)).toBe(leaf.digest);
    expect(tlsaDigest(leaf.pem + ca.pem)).toBe(leaf.digest);
    expect(tlsaDigest(ca.pem + leaf.pem)).toBe(ca.digest);
  });

  it("refuses text without a certificate, naming the file", () => {
    expect(() => tlsaDigest("hello", "'a.com/fullchain.pem'")).toThrow(FleetError);
    expect(() => tlsaDigest("hello", "'a.com/fullchain.pem'")).toThrow(/'a\.com\/fullchain\.pem' holds no PEM certificate/);
    expect(() => tlsaDigest("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")).toThrow(/not start with a valid X\.509 certificate/);
  });
});

describe("isPlainHostname", () => {
  it.each(["example.com", "www.example.com", "localhost", "a-b.c0.io", "xn--bcher-kva.example"])("accepts %s", (d) => {
    expect(isPlainHostname(d)).toBe(true);
  });
  it.each(["", ".", "..", "a..b", "-a.com", "a-.com", "*.a.com", "a.com.", "a/b", "a b", "a.com:443", "https://a.com", `${"a".repeat(64)}.com`, `${"a.".repeat(127)}a`])(
    "refuses %j",
    (d) => {
      expect(isPlainHostname(d)).toBe(false);
    },
  );
});

describe("tlsFiles", () => {
  const read = (have: Record<string, string>) => (rel: string) => (have[rel] === undefined ? undefined : Buffer.from(have[rel] ?? ""));

  it("maps each domain to fullchain.pem (0644) and a secret privkey.pem (0600), sorted by path", () => {
    const files = tlsFiles(["www.b.com", "a.com"], read({ "a.com/fullchain.pem": "A-CHAIN", "a.com/privkey.pem": "A-KEY", "www.b.com/fullchain.pem": "B-CHAIN", "www.b.com/privkey.pem": "B-KEY" }));
    expect(files).toEqual([
      { path: "/etc/fleet/tls/a.com/fullchain.pem", content: Buffer.from("A-CHAIN"), mode: 0o644, secret: false },
      { path: "/etc/fleet/tls/a.com/privkey.pem", content: Buffer.from("A-KEY"), mode: 0o600, secret: true },
      { path: "/etc/fleet/tls/www.b.com/fullchain.pem", content: Buffer.from("B-CHAIN"), mode: 0o644, secret: false },
      { path: "/etc/fleet/tls/www.b.com/privkey.pem", content: Buffer.from("B-KEY"), mode: 0o600, secret: true },
    ]);
  });

  it("names every missing file", () => {
    const r = tlsFiles(["a.com", "b.com"], read({ "a.com/fullchain.pem": "x", "b.com/privkey.pem": "k" }));
    expect(r).toBeInstanceOf(FleetError);
    expect((r as FleetError).message).toBe(
      "TLS files 'a.com/privkey.pem', 'b.com/fullchain.pem' not found in the --tls-certs directory; add the certificate chain and key for each domain",
    );
  });

  it("refuses a domain that is not a plain hostname before reading anything", () => {
    const reads: string[] = [];
    const r = tlsFiles(["../etc"], (rel) => {
      reads.push(rel);
      return Buffer.from("");
    });
    expect(r).toBeInstanceOf(FleetError);
    expect(reads).toEqual([]);
  });
});
