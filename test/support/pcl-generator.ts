/**
 * Random PCL programs drawn from the grammar (SPEC §1.2), for the fuzz suite: "valid" ones are
 * syntactically well formed (they may still have type or name errors), "soup" ones are streams of
 * PCL tokens with no structure at all. Deterministic for a given generator.
 */

const NAMES = ["A", "B", "C", "Fleet", "x", "y", "z", "hosts", "backend", "recipe", "from_env", "a-b", "_c"];
const TOKENS = ["module", "scenario", "{", "}", "[", "]", "(", ")", "=", "==", "!=", "!", "&&", "||", ".", ",", ";", ":", "<", ">", "=>", "if", "then", "else", "for", "in", "true", "false", "Setting", "priority", '"s"', '"${', "1", "-2", "A", "x", "List", "Int", "Str"];

export function generateProgram(r: () => number, kind: "valid" | "soup"): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  if (kind === "soup") {
    const n = 1 + Math.floor(r() * 60);
    return Array.from({ length: n }, () => pick(TOKENS)).join(r() < 0.5 ? " " : "");
  }
  const expr = (depth: number): string => {
    const leaf = depth <= 0 || r() < 0.3;
    if (leaf) {
      switch (Math.floor(r() * 6)) {
        case 0:
          return String(Math.floor(r() * 100) - 50);
        case 1:
          return r() < 0.5 ? "true" : "false";
        case 2:
          return `"${pick(["", "a", "x-y", "\\n", "$"])}"`;
        case 3:
          return pick(NAMES);
        case 4:
          return `${pick(NAMES)}.${pick(NAMES)}`;
        default:
          return `{ ${pick(["from_env", "from_file", "from_vault", "from_artifact"])} = "${pick(["X", "m/a", "/k"])}" }`;
      }
    }
    const d = depth - 1;
    switch (Math.floor(r() * 10)) {
      case 0:
        return `[${Array.from({ length: Math.floor(r() * 4) }, () => expr(d)).join(pick([" ", ", "]))}]`;
      case 1:
        return `{ ${Array.from({ length: Math.floor(r() * 4) }, () => `${pick(NAMES)} = ${expr(d)}`).join(pick([" ", "; ", ", "]))} }`;
      case 2:
        return `if ${expr(d)} then ${expr(d)} else ${expr(d)}`;
      case 3:
        return `[for ${pick(NAMES)} in ${expr(d)}${r() < 0.3 ? ` if ${expr(d)}` : ""} => ${expr(d)}]`;
      case 4:
        return `${expr(d)} ${pick(["==", "!=", "&&", "||"])} ${expr(d)}`;
      case 5:
        return `!${expr(d)}`;
      case 6:
        return `(${expr(d)})`;
      case 7:
        return `"a\${${expr(d)}}b"`;
      case 8:
        return `Setting<${pick(["Int", "Str", "Bool", "List<Str>", "Rec<a: Int>"])}>(${expr(d)}, priority = ${Math.floor(r() * 20)})`;
      default:
        return `${expr(d)}.${pick(NAMES)}`;
    }
  };
  const decls: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    if (r() < 0.2) {
      decls.push(`scenario ${pick(["Prod", "Dev"])} { ${pick(NAMES)}.${pick(NAMES)} = ${expr(2)} }`);
      continue;
    }
    const fields = Array.from({ length: 1 + Math.floor(r() * 4) }, () => `  ${pick(NAMES)} = ${expr(3)}`);
    decls.push(`module ${pick(NAMES)} {\n${fields.join("\n")}\n}`);
  }
  return decls.join("\n") + "\n";
}
