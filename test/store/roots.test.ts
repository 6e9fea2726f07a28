import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/fleet-error.js";
import { chooseRoot, expandRoot, resolveRoot } from "../../src/store/roots.js";

const names = { flag: "--store-root", env: "FLEET_STORE_DIR" };

describe("resolveRoot", () => {
  it("prefers the flag, then the environment variable, then the default", () => {
    expect(resolveRoot("/flag", "/env", "~/.fleet/store", "/home/u")).toBe("/flag");
    expect(resolveRoot(undefined, "/env", "~/.fleet/store", "/home/u")).toBe("/env");
    expect(resolveRoot(undefined, undefined, "~/.fleet/store", "/home/u")).toBe("/home/u/.fleet/store");
    expect(resolveRoot("", "", "~/.fleet/store", "/home/u")).toBe("/home/u/.fleet/store");
  });

  it("expands a leading ~ with the given home and normalises", () => {
    expect(resolveRoot("~", undefined, "/d", "/root")).toBe("/root");
    expect(resolveRoot("~/s/../store/", undefined, "/d", "/home/ops")).toBe("/home/ops/store");
  });

  it("refuses a relative root with a usage error naming where it came from", () => {
    expect(() => resolveRoot("store", undefined, "/d", "/h", names)).toThrow(UsageError);
    expect(() => resolveRoot(undefined, "rel/dir", "/d", "/h", names)).toThrow(/FLEET_STORE_DIR 'rel\/dir' is not an absolute path/);
    expect(() => resolveRoot("~ops/x", undefined, "/d", "/h", names)).toThrow(/--store-root '~ops\/x'/);
  });

  it("keeps the chosen string unexpanded so each side can expand it with its own home", () => {
    const c = chooseRoot(undefined, "~/st", "~/.fleet/store", names);
    expect(c).toEqual({ raw: "~/st", origin: "FLEET_STORE_DIR" });
    expect(expandRoot(c.raw, "/home/a")).toBe("/home/a/st");
    expect(expandRoot(c.raw, "/root")).toBe("/root/st");
  });
});
