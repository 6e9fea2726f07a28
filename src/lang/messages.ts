/**
 * Every message text of the front end, in one place (like Pkl's catalogue). Messages are one
 * sentence, lower-case, name the thing and, where a fix is obvious, say it.
 */
const q = (s: string): string => `'${s}'`;
const list = (xs: readonly string[]): string => xs.map(q).join(", ");

export const messages = {
  // E8 — lexical and syntax
  unexpectedCharacter: (ch: string) => `unexpected character ${q(ch)}`,
  intOutOfRange: (image: string) => `integer ${image} is outside ±(2^53−1)`,
  badEscape: (esc: string) => `unknown escape ${q(esc)} in string; use one of \\" \\\\ \\n \\t \\r \\$ \\u{…}`,
  badUnicodeEscape: (esc: string) => `invalid unicode escape ${q(esc)}; write \\u{H…} with 1–6 hex digits naming a Unicode scalar value`,
  unterminatedString: "unterminated string: expected a closing '\"' before the end of the file",
  openedHere: (opener: string) => `the ${q(opener)} it closes is here`,
  syntaxExpected: (expected: string, found: string) => `expected ${expected} but found ${found}`,
  syntaxUnexpected: (found: string) => `unexpected ${found}; expected 'module' or 'scenario'`,
  syntaxNoAlternative: (rule: string, expected: readonly string[], found: string) =>
    `expected ${ruleDescription(rule)}${expected.length > 0 ? ` (${expected.slice(0, 6).join(", ")}${expected.length > 6 ? ", …" : ""})` : ""} but found ${found}`,

  // E1 — types
  typeMismatch: (what: string, expected: string, actual: string) => `${what} must be ${expected}, not ${actual}`,
  mixedList: (first: string, other: string) => `list elements must have one type, but this element is ${other} and the first is ${first}`,
  mixedRecordValues: (first: string, other: string) => `a 'for' over a record needs values of one type, but this value is ${other} and the first is ${first}`,
  count: (min: number) => `a whole number ≥ ${min}`,
  countOrPercent: (min: number) => `a whole number ≥ ${min} or a percentage from "${min}%" to "100%"`,
  badCount: (what: string, expected: string, actual: string) => `${what} must be ${expected}, not ${actual}`,
  emptyList: (what: string) => `${what} must not be empty`,
  notRelativePath: (value: string) => `path ${JSON.stringify(value)} must be absolute or start with './'`,
  cannotSelect: (field: string, actual: string) => `cannot select field ${q(field)} of ${actual}`,
  cannotInterpolate: (actual: string) => `cannot interpolate ${actual}; only Str, Int, Bool, Path or List<Str> can appear inside \${…}`,
  cannotCompare: (left: string, right: string) => `cannot compare ${left} with ${right}`,
  cannotIterate: (actual: string) => `'for' iterates a list or a record, not ${actual}`,
  overrideType: (path: string, expected: string, actual: string) => `override of ${q(path)} must be ${expected} like its base value, not ${actual}`,

  // E2 — names
  unknownModule: (name: string) => `unknown module ${q(name)}`,
  unknownField: (field: string, on: string) => `unknown field ${q(field)} on ${on}`,
  unknownType: (name: string) => `unknown type ${q(name)}; use Bool, Int, Str, Path, List<τ> or Rec<…>`,
  notOneOf: (what: string, v: string, values: readonly string[]) => `${what} is ${q(v)}; it must be one of ${values.map(q).join(", ")}`,
  didYouMean: (name: string) => `did you mean ${q(name)}?`,

  // E3 — missing or duplicate
  missingField: (field: string, on: string) => `missing required field ${q(field)} on ${on}`,
  duplicateModule: (name: string) => `module ${q(name)} is defined twice; rename or merge one of them`,
  duplicateScenario: (name: string) => `scenario ${q(name)} is defined twice; rename or merge one of them`,
  duplicateField: (field: string) => `field ${q(field)} is assigned twice; remove one assignment`,
  duplicateOverride: (path: string) => `${q(path)} is assigned twice in one scenario; remove one assignment`,
  firstDefinedHere: "first defined here",

  // E4 — priorities
  priorityConflict: (path: string, priority: number, other: string) =>
    `conflicting values for ${q(path)} at priority ${priority}: this one and the one at ${other}; raise one priority with Setting<…>(…, priority = N)`,
  otherContribution: "conflicting contribution here",

  // E5 — conditionals
  nonBoolCondition: (actual: string) => `condition must be Bool, not ${actual}`,
  branchMismatch: (thenT: string, elseT: string) => `'if' branches must have one type, but 'then' is ${thenT} and 'else' is ${elseT}`,

  // E6 — other shapes
  cycle: (fields: readonly string[]) => `reference cycle: ${fields.join(" → ")}`,
  cycleMember: (field: string) => `${q(field)} is part of the cycle`,
  secretMisplaced: (where: string) =>
    `a secret reference cannot be used ${where}; secrets may only be values of a service's 'environment' or the whole 'content' of a 'configFiles' entry`,
  artifactInPackage: (module: string) => `an artifact reference cannot be used in package module ${q(module)}; artifacts are completed at deploy time and never enter a build`,
  secretInPackage: (module: string) => `a secret reference cannot be used in package module ${q(module)}; secrets never enter a build`,
  referenceHere: "the reference is here",
  badArtifactName: (name: string) => `artifact reference ${JSON.stringify(name)} must have the form 'machine/name'`,
  unknownRecipe: (recipe: string) => `unknown recipe ${q(recipe)}; supported recipes: 'std.files', 'std.shell'`,
  unknownBackend: (backend: string) => `unknown backend ${q(backend)}; supported backends: 'systemd'`,
  wholeModuleNotRecord: (name: string) => `module ${q(name)} is a whole record here; select one of its fields with ${name}.field`,

  // E7 — package graph
  depNotPackage: (dep: string) => `dependency ${q(dep)} is not a package (it has no 'recipe' field)`,
  depCycle: (names: readonly string[]) => `package dependency cycle: ${names.join(" → ")}`,

  // scenario and why
  unknownOverrideTarget: (path: string) => `scenario assigns ${q(path)}, which does not exist`,
} as const;

function ruleDescription(rule: string): string {
  switch (rule) {
    case "primary":
    case "unary":
    case "postfix":
      return "an expression";
    case "program":
      return "'module' or 'scenario'";
    case "typeExpr":
      return "a type";
    default:
      return `a ${rule.replace(/([A-Z])/g, " $1").toLowerCase()}`;
  }
}

export { list as quoteList };
