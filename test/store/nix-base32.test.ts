import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nixBase32, NIX_BASE32_ALPHABET } from "../../src/store/nix-base32.js";

describe("nixBase32", () => {
  it("prints sha256 of the empty string as nix does", () => {
    // `nix hash to-base32 sha256:e3b0c442…b855`
    expect(nixBase32(createHash("sha256").update("").digest())).toBe("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
  });

  it("gives 32 characters of the Nix alphabet for 20 bytes", () => {
    const s = nixBase32(createHash("sha256").update("x").digest().subarray(0, 20));
    expect(s).toHaveLength(32);
    expect([...s].every((c) => NIX_BASE32_ALPHABET.includes(c))).toBe(true);
    expect(NIX_BASE32_ALPHABET).not.toMatch(/[eotu]/);
  });
});
