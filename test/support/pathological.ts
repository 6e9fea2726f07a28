/**
 * The families of pathological PCL programs of issue 12 (items 5–7), by size: shared by the
 * pathological-input suite (test/lang/pathological.test.ts) and bench/pathological.ts.
 */

const rows = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i + 1)).join("\n");
const pad = (i: number): string => String(i).padStart(6, "0");

/** Item 5: nesting n deep. */
export const deepFamilies: Record<string, (n: number) => string> = {
  lists: (n) => `module M { x = ${"[".repeat(n)}1${"]".repeat(n)} }\n`,
  "lists with a syntax error": (n) => `module M { x = ${"[".repeat(n)}1${"]".repeat(n)} y = = }\n`,
  "unclosed lists": (n) => `module M { x = ${"[".repeat(n)}1 }\n`,
  "|| chain": (n) => `module M { x = ${Array(n).fill("true").join(" || ")} }\n`,
  "&& and || chain": (n) => `module M { x = ${Array.from({ length: n }, (_, i) => (i % 2 ? "true" : "false")).join(" && true || ")} }\n`,
  records: (n) => `module M { x = ${"{ a = ".repeat(n)}1${" }".repeat(n)} }\n`,
  parens: (n) => `module M { x = ${"(".repeat(n)}1${")".repeat(n)} }\n`,
  "!": (n) => `module M { x = ${"!".repeat(n)}true }\n`,
  "==": (n) => `module M { x = ${"(".repeat(n)}true${" == true)".repeat(n)} }\n`,
  if: (n) => `module M { x = ${"if true then 1 else ".repeat(n)}1 }\n`,
  for: (n) => `module M { x = ${"[for x in [1] => ".repeat(n)}1${"]".repeat(n)} }\n`,
  interpolation: (n) => `module M { x = ${'"${'.repeat(n)}"a"${'}"'.repeat(n)} }\n`,
  "type arguments": (n) => `module M { x = Setting<${"List<".repeat(n)}Int${">".repeat(n)}>([], priority = 1) }\n`,
  "field selections": (n) => `module M { r = { a = 1 } x = M.r${".a".repeat(n)} }\n`,
  "module reference chain": (n) => `module M {\n${rows(n, (i) => `a${pad(i)} = M.a${pad(i + 1)}`)}\na${pad(n + 1)} = 1 }\n`,
  "records built along a reference chain": (n) => `module M { a${pad(0)} = 1\n${rows(n, (i) => `a${pad(i)} = { v = M.a${pad(i - 1)} }`)} }\n`,
  "field cycle": (n) => `module M {\n${rows(n, (i) => `a${i} = M.a${(i % n) + 1}`)} }\n`,
  "package dependency chain": (n) => rows(n, (i) => `module P${i} { pname = "p${i}" version = "1" recipe = "std.files" files = [] deps = [${i < n ? `"P${i + 1}"` : ""}] }`) + "\n",
};

/** Item 6: a small program whose values double with every line (n lines). */
export const sharingFamilies: Record<string, { text: (n: number) => string; scenarios?: readonly string[] }> = {
  records: { text: (n) => `module M { r0 = 1\n${rows(n, (i) => `r${i} = { a = M.r${i - 1} b = M.r${i - 1} }`)} }\n` },
  if: { text: (n) => `module M { c = true r0 = { a = 1 }\n${rows(n, (i) => `r${i} = { a = if M.c then M.r${i - 1} else M.r${i - 1} b = M.r${i - 1} }`)} }\n` },
  "if over two shared trees": {
    text: (n) => `module M { r0 = 1 s0 = 1\n${rows(n, (i) => `r${i} = { a = M.r${i - 1} b = M.r${i - 1} } s${i} = { a = M.s${i - 1} b = M.s${i - 1} } e${i} = if true then M.r${i} else M.s${i}`)} }\n`,
  },
  "==": { text: (n) => `module M { r0 = 1 s0 = 1\n${rows(n, (i) => `r${i} = { a = M.r${i - 1} b = M.r${i - 1} } s${i} = { a = M.s${i - 1} b = M.s${i - 1} } e${i} = M.r${i} == M.s${i}`)} }\n` },
  scenarios: {
    text: (n) => `module M { r0 = { a = 1 b = 1 }\n${rows(n, (i) => `r${i} = { a = M.r${i - 1} b = M.r${i - 1} }`)} }\nscenario S {\n${rows(n, (i) => `M.r${i}.a = M.r${i - 1}`)} }\n`,
    scenarios: ["S"],
  },
  "list doubling": { text: (n) => `module M { l0 = [1]\n${rows(n, (i) => `l${i} = [for x in M.l${i - 1} => x for y in M.l${i - 1} => y]`)} }\n` },
  "string doubling": { text: (n) => `module M { s0 = "ab"\n${rows(n, (i) => `s${i} = "\${M.s${i - 1}}\${M.s${i - 1}}"`)} }\n` },
};

/** Item 7: a module with n undefined references. */
export function undefinedReferences(n: number): string {
  return `module M {\n${rows(n, (i) => `  f${i} = Undefined${i}.x`)}\n}\n`;
}
