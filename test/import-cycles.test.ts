import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/cli.js";

/**
 * No import circle in src/ (ADR 210): every relative `import`, `import type`, `export … from` and
 * literal `import("…")` counts, because a circle hidden behind a dynamic import or a type-only
 * import is still a circle a reader has to untangle.
 */
type Graph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function importGraph(root: string): Graph {
  const files = sourceFiles(join(root, "src")).sort();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(f, "utf8"), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith("."))
      .map((s) => resolve(dirname(f), s.replace(/\.js$/, ".ts")));
    for (const d of deps) if (!known.has(d)) throw new Error(`${relative(root, f)} imports ${relative(root, d)}, which is not a file of src/`);
    graph.set(relative(root, f), [...new Set(deps.map((d) => relative(root, d)))].sort());
  }
  return graph;
}

/** Every circle, each as a path `a → b → … → a`, found by a depth-first walk in file order. */
function cycles(graph: Graph): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, "open");
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === "open") found.push([...stack.slice(stack.indexOf(d)), d].join(" → "));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe("imports in src/", () => {
  it("form no circle", () => {
    const graph = importGraph(REPO_ROOT);
    // The walk sees the imports it must (a walk that saw none would pass vacuously).
    expect(graph.get("src/cli/commands/apply.ts")).toContain("src/deploy/fleet-apply.ts");
    expect(graph.get("src/deploy/fleet-apply.ts")).toContain("src/deploy/run-options.ts");
    expect(cycles(graph)).toEqual([]);
  });

  it("a circle, through any kind of import, is named", () => {
    const graph = new Map([
      ["src/a.ts", ["src/b.ts"]],
      ["src/b.ts", ["src/c.ts"]],
      ["src/c.ts", ["src/a.ts"]],
      ["src/d.ts", ["src/a.ts"]],
    ]);
    expect(cycles(graph)).toEqual(["src/a.ts → src/b.ts → src/c.ts → src/a.ts"]);
    const src = `import type { A } from "./a.js";\nexport { B } from "./b.js";\nconst c = await import("./c.js");\nimport "node:fs";\n`;
    expect(ts.preProcessFile(src, true, true).importedFiles.map((i) => i.fileName)).toEqual(["./a.js", "./b.js", "./c.js", "node:fs"]);
  });
});
