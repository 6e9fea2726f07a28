/** Deterministic mutation of PCL texts, shared by the fuzz and parser-differential tests. */

/** Mulberry32: a deterministic generator, so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Apply 1..maxOps random edits: delete a run, insert a grammar fragment, duplicate a slice of the
 * text elsewhere, or replace one character with a printable one.
 */
export function mutate(text: string, r: () => number, fragments: readonly string[], maxOps: number): string {
  let s = text;
  const n = 1 + Math.floor(r() * maxOps);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 4);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op === 1) s = s.slice(0, at) + (fragments[Math.floor(r() * fragments.length)] ?? "") + s.slice(at);
    else if (op === 2) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 30)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(at + 1);
  }
  return s;
}
