/**
 * Code-point order (SPEC's order for record keys and everything rendered or hashed): independent
 * of locale and ICU version. JavaScript's `<` on strings compares UTF-16 code units, which puts
 * U+E000–U+FFFF after every character above U+FFFF (their surrogates are D800–DFFF); this does not.
 */
export function codePointCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

/**
 * A code unit's rank at the first difference of two strings: surrogates (the start of a character
 * above U+FFFF, or the second half of one whose first half matched) rank above U+E000–U+FFFF.
 */
function unitRank(c: number): number {
  if (c < 0xd800) return c;
  return c <= 0xdfff ? c + 0x2000 : c - 0x800;
}
