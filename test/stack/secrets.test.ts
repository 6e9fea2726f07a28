import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { missingSecretsError, missingSecretsMessage, parseVaultFile, resolveSecrets } from "../../src/stack/secrets.js";
import { secret } from "./fixtures.js";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const files = (fs: Record<string, string>) => (p: string) => fs[p];

describe("resolveSecrets", () => {
  it("resolves env, file and vault references keyed by kind:name", () => {
    const r = resolveSecrets([secret("from_env", "TOKEN"), secret("from_file", "/run/k"), secret("from_vault", "db_pw")], {
      env: env({ TOKEN: "t" }),
      readFile: files({ "/run/k": "file-secret\n" }),
      vault: new Map([["db_pw", "v"]]),
    });
    expect(r.missing).toEqual([]);
    expect([...r.values]).toEqual([
      ["from_env:TOKEN", "t"],
      ["from_file:/run/k", "file-secret"],
      ["from_vault:db_pw", "v"],
    ]);
  });

  it("strips exactly one trailing newline from a secret file", () => {
    const read = files({ "/a": "x\n\n", "/b": "x", "/c": "\n", "/d": "x\r\n" });
    const r = resolveSecrets(["/a", "/b", "/c", "/d"].map((p) => secret("from_file", p)), { env: env({}), readFile: read });
    expect([...r.values.values()]).toEqual(["x\n", "x", "", "x\r"]);
  });

  it("treats an empty environment variable as set", () => {
    const r = resolveSecrets([secret("from_env", "EMPTY")], { env: env({ EMPTY: "" }), readFile: files({}) });
    expect(r.values.get("from_env:EMPTY")).toBe("");
    expect(r.missing).toEqual([]);
  });

  it("reports every vault reference missing when no vault was given", () => {
    const refs = [secret("from_vault", "a"), secret("from_vault", "b")];
    const r = resolveSecrets(refs, { env: env({ a: "not-this" }), readFile: files({}) });
    expect(r.missing).toEqual(refs);
  });

  it("lists each missing reference once, in the order given", () => {
    const vault = secret("from_vault", "db_pw");
    const api = secret("from_env", "API_TOKEN");
    const r = resolveSecrets([vault, api, secret("from_vault", "db_pw"), secret("from_file", "/ok")], {
      env: env({}),
      readFile: files({ "/ok": "1" }),
      vault: new Map(),
    });
    expect(r.missing).toEqual([vault, api]);
    expect(missingSecretsMessage(r.missing)).toBe("secret(s) not set: from_vault:db_pw, from_env:API_TOKEN");
  });

  it("builds the [E11] error headline the per-host line prints", () => {
    const e = missingSecretsError([secret("from_env", "X"), secret("from_env", "X")]);
    expect(e.headline).toBe("[E11] secret(s) not set: from_env:X");
  });
});

describe("parseVaultFile", () => {
  it("returns a map of a flat JSON object of strings", () => {
    expect(parseVaultFile('{"db_pw": "hunter2", "b": ""}')).toEqual(new Map([["db_pw", "hunter2"], ["b", ""]]));
  });

  it.each(['["a"]', '"str"', "null", "42", '{"a": 1}', '{"a": {"b": "c"}}', "{not json", ""])("refuses %j", (text) => {
    const r = parseVaultFile(text, "vault.json");
    expect(r).toBeInstanceOf(FleetError);
    expect((r as FleetError).message).toMatch(/^vault\.json is not a flat JSON object of strings/);
  });

  it("never quotes a secret value in its error", () => {
    const r = parseVaultFile('{"ok": "sup3r-s3cret", "bad": ["sup3r-s3cret"]');
    expect((r as FleetError).message).not.toContain("sup3r");
    const r2 = parseVaultFile('{"ok": "sup3r-s3cret", "bad": 5}');
    expect((r2 as FleetError).message).not.toContain("sup3r");
    expect((r2 as FleetError).message).toContain("'bad'");
  });
});
