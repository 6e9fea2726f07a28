/**
 * Nix's base32 (ADR 020): the alphabet drops e, o, t, u so hashes never spell words, and bytes
 * are read from the end, so a 32-byte digest becomes 52 characters exactly as `nix hash` prints
 * it. Store hashes encode the first 20 bytes (160 bits) of the sha256, which gives 32 characters.
 */
export const NIX_BASE32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

export function nixBase32(bytes: Uint8Array): string {
  const len = Math.ceil((bytes.length * 8) / 5);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = Math.floor(b / 8);
    const j = b % 8;
    const lo = (bytes[i] ?? 0) >> j;
    const hi = j > 3 && i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0;
    out += NIX_BASE32_ALPHABET[(lo | hi) & 0x1f];
  }
  return out;
}
