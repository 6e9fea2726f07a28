/**
 * What a PCL program may ask of the front end (issue 12, items 5 and 6; ADR 120, ADR 121). Each
 * limit is far above what a real configuration needs and far below what would exhaust the
 * machine, and going past one is a located `[E6]`, never a stack overflow or a hang.
 */
export const LIMITS = {
  /**
   * How deeply expressions may nest in the source: each `[`, `{`, `(`, `${`, `!`, `if`, `for`
   * body and `Setting` counts one level, and type arguments (`List<List<…>>`) count on their
   * own. Both parsers recurse once per level; the Chevrotain one, with error recovery, uses
   * over a hundred stack frames a level, which is what sets this number.
   */
  nesting: 64,
  /** How deeply a list or record value may nest (references can stack literals). */
  valueDepth: 128,
  /** Expressions and field references being evaluated inside one another at once. */
  evalDepth: 200,
  /**
   * The size of a value, and of all modules of a program together, as canonical JSON (sorted
   * keys, 2-space indent; a string counts its characters plus quotes, escapes as one): 64 MiB.
   * Values are shared, not copied, so a value may be far larger than the memory it takes: the
   * size is worked out from the parts, before anything is written out.
   */
  outputBytes: 64 * 1024 * 1024,
  /** Elements of one list (a comprehension stops building at the next one). */
  listElements: 1024 * 1024,
  /** Evaluation work: one unit per expression evaluated, one per character built by `${…}`. */
  work: 16 * 1024 * 1024,
} as const;

export const limitMessages = {
  nesting: () => `expressions nest more than ${LIMITS.nesting} levels deep here; flatten the expression or split it into fields`,
  typeNesting: () => `type arguments nest more than ${LIMITS.nesting} levels deep here`,
  valueDepth: () => `this value nests lists and records more than ${LIMITS.valueDepth} levels deep; flatten it`,
  evalDepth: () => `evaluation goes more than ${LIMITS.evalDepth} expressions and field references deep here; shorten the chain of references`,
  valueSize: (what: string) => `${what} would be larger than ${LIMITS.outputBytes / 1024 / 1024} MiB as JSON; values are limited to that size`,
  listElements: () => `this list would have more than ${LIMITS.listElements} elements; lists are limited to that`,
  work: () => `evaluation needs more than ${LIMITS.work} steps here; PCL limits the work of one evaluation to that`,
};
