import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  appendKnownHost,
  checkHostKey,
  entryMatchesHost,
  fingerprint,
  globMatch,
  hostLookupName,
  keyTypeOf,
  parseKnownHosts,
} from "../../src/transport/known-hosts.js";
import { tempDir } from "../support/temp-dir.js";

/** An ssh-ed25519 public key blob: string "ssh-ed25519", string <32 bytes>. */
function edBlob(seed: number): Buffer {
  const name = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32, seed);
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(name.length), name, len(key.length), key]);
}
const A = edBlob(1);
const B = edBlob(2);
const line = (hosts: string, blob: Buffer, marker = ""): string =>
  `${marker ? `${marker} ` : ""}${hosts} ssh-ed25519 ${blob.toString("base64")}`;

function hashed(name: string, salt = Buffer.alloc(20, 9)): string {
  const mac = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${mac.toString("base64")}`;
}

describe("known_hosts parsing and matching", () => {
  it("skips comments, blanks and malformed lines, keeping line numbers", () => {
    const e = parseKnownHosts(["# comment", "", "garbage", line("web", A), "@bogus web ssh-ed25519 AAAA"].join("\n"));
    expect(e).toHaveLength(1);
    expect(e[0]!.line).toBe(4);
    expect(e[0]!.keyType).toBe("ssh-ed25519");
  });

  it("looks up port 22 by bare name and other ports as [host]:port", () => {
    expect(hostLookupName("Web.Example", 22)).toBe("web.example");
    expect(hostLookupName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
    const [plain, bracketed] = parseKnownHosts([line("127.0.0.1", A), line("[127.0.0.1]:2222", B)].join("\n"));
    expect(entryMatchesHost(plain!, "127.0.0.1", 22)).toBe(true);
    expect(entryMatchesHost(plain!, "127.0.0.1", 2222)).toBe(false);
    expect(entryMatchesHost(bracketed!, "127.0.0.1", 2222)).toBe(true);
    expect(entryMatchesHost(bracketed!, "127.0.0.1", 22)).toBe(false);
  });

  it("matches comma lists case-insensitively", () => {
    const [e] = parseKnownHosts(line("db,WEB.example.com,10.0.0.1", A));
    expect(entryMatchesHost(e!, "web.EXAMPLE.com", 22)).toBe(true);
    expect(entryMatchesHost(e!, "10.0.0.1", 22)).toBe(true);
    expect(entryMatchesHost(e!, "10.0.0.2", 22)).toBe(false);
  });

  it("matches hashed |1|salt|hash entries by HMAC-SHA1 of the lookup name", () => {
    const [e] = parseKnownHosts(line(hashed("[127.0.0.1]:2222"), A));
    expect(e!.patterns).toBeNull();
    expect(entryMatchesHost(e!, "127.0.0.1", 2222)).toBe(true);
    expect(entryMatchesHost(e!, "127.0.0.1", 2223)).toBe(false);
    expect(entryMatchesHost(e!, "127.0.0.1", 22)).toBe(false);
  });

  it("supports * and ? wildcards, also inside [host]:port", () => {
    expect(globMatch("*.example.com", "web.example.com")).toBe(true);
    expect(globMatch("*.example.com", "example.com")).toBe(false);
    expect(globMatch("web?", "web1")).toBe(true);
    expect(globMatch("web?", "web12")).toBe(false);
    expect(globMatch("10.0.0.*", "10.0.0.77")).toBe(true);
    expect(globMatch("web.example.com", "webxexample.com")).toBe(false);
    const [e] = parseKnownHosts(line("[127.0.0.1]:*", A));
    expect(entryMatchesHost(e!, "127.0.0.1", 4000)).toBe(true);
  });

  it("lets a matching !negation veto the whole list", () => {
    const [e] = parseKnownHosts(line("*.example.com,!db.example.com", A));
    expect(entryMatchesHost(e!, "web.example.com", 22)).toBe(true);
    expect(entryMatchesHost(e!, "db.example.com", 22)).toBe(false);
    const [onlyNeg] = parseKnownHosts(line("!db", A));
    expect(entryMatchesHost(onlyNeg!, "web", 22)).toBe(false);
  });
});

describe("host key verdicts", () => {
  it("match, mismatch (with the line), unknown", () => {
    const e = parseKnownHosts([line("other", B), line("web", A)].join("\n"));
    expect(checkHostKey(e, "web", 22, A)).toEqual({ kind: "match", line: 2 });
    expect(checkHostKey(e, "web", 22, B)).toEqual({ kind: "mismatch", line: 2 });
    expect(checkHostKey(e, "db", 22, A)).toEqual({ kind: "unknown" });
  });

  it("any accepting line wins over another line with a different key", () => {
    const e = parseKnownHosts([line("web", B), line("web", A)].join("\n"));
    expect(checkHostKey(e, "web", 22, A).kind).toBe("match");
  });

  it("@revoked refuses the key even when another line accepts it, and only that key", () => {
    const e = parseKnownHosts([line("web", A), line("*", A, "@revoked")].join("\n"));
    expect(checkHostKey(e, "web", 22, A)).toEqual({ kind: "revoked", line: 2 });
    expect(checkHostKey(e, "web", 22, B).kind).toBe("mismatch");
  });

  it("ignores @cert-authority lines (host certificates are not supported)", () => {
    const e = parseKnownHosts(line("*", A, "@cert-authority"));
    expect(e[0]!.marker).toBe("cert-authority");
    expect(checkHostKey(e, "web", 22, A).kind).toBe("unknown");
  });
});

describe("fingerprints and trust on first use", () => {
  it("prints SHA256 fingerprints like ssh-keygen -l (unpadded base64)", () => {
    const fp = fingerprint(A);
    expect(fp).toBe(`SHA256:${createHash("sha256").update(A).digest("base64").replace(/=+$/, "")}`);
    expect(fp).not.toContain("=");
    expect(keyTypeOf(A)).toBe("ssh-ed25519");
  });

  it("fingerprint agrees with ssh-keygen for a real key", async () => {
    const { execFileSync } = await import("node:child_process");
    const dir = tempDir("fleet-kh-");
    const { publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), raw]);
    writeFileSync(join(dir, "k.pub"), `ssh-ed25519 ${blob.toString("base64")} test\n`);
    const out = execFileSync("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "k.pub")], { encoding: "utf8" });
    expect(out).toContain(fingerprint(blob));
  });

  it("appendKnownHost adds a line that then matches, fixing a missing final newline", () => {
    const dir = tempDir("fleet-kh-");
    const p = join(dir, "sub", "known_hosts");
    appendKnownHost(p, "127.0.0.1", 2222, A);
    writeFileSync(p, readFileSync(p, "utf8").trimEnd());
    appendKnownHost(p, "web", 22, B);
    const text = readFileSync(p, "utf8");
    expect(text.split("\n")).toEqual([`[127.0.0.1]:2222 ssh-ed25519 ${A.toString("base64")}`, `web ssh-ed25519 ${B.toString("base64")}`, ""]);
    const e = parseKnownHosts(text);
    expect(checkHostKey(e, "127.0.0.1", 2222, A).kind).toBe("match");
    expect(checkHostKey(e, "web", 22, B).kind).toBe("match");
  });
});
