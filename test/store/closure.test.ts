import { cpSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { SecretRef } from "../../src/lang/value.js";
import { closureFor } from "../../src/store/index.js";
import { modulesOf, tempDir } from "./helpers.js";

const hello = {
  pname: "hello",
  version: "1.0",
  recipe: "std.files",
  files: [{ path: "bin/hello", content: "#!/bin/sh\necho hello\n", mode: "0755" }],
};

async function closureOf(defs: Parameters<typeof modulesOf>[0], roots: string[], extra: { fileDir?: (f: string) => string; sourceText?: (f: string) => string | undefined } = {}) {
  const { modules, moduleSpans } = modulesOf(defs);
  return closureFor({ modules, moduleSpans, roots, fileDir: extra.fileDir ?? (() => "/nonexistent"), system: "x86_64-linux", ...(extra.sourceText ? { sourceText: extra.sourceText } : {}) });
}

describe("closureFor: store path names", () => {
  it("gives a fixed package a known, stable base name (golden)", async () => {
    const r = await closureOf({ Hello: hello }, ["Hello"]);
    expect(r.diagnostics).toEqual([]);
    expect(r.closure?.byModule.get("Hello")).toBe("wi2yzb43xvphkrsq7jf8yqbgn7q15l9v-hello-1.0");
  });

  it("names paths <32 nix-base32 chars>-<pname>-<version>", async () => {
    const r = await closureOf({ Hello: hello }, ["Hello"]);
    expect(r.closure?.paths[0]?.base).toMatch(/^[0-9abcdfghijklmnpqrsvwxyz]{32}-hello-1\.0$/);
  });

  it("changes the hash with the content, the mode, the recipe arguments and the system, not with field order", async () => {
    const base = (await closureOf({ Hello: hello }, ["Hello"])).closure!.byModule.get("Hello");
    const variants = [
      { ...hello, files: [{ ...hello.files[0]!, content: "#!/bin/sh\necho bye\n" }] },
      { ...hello, files: [{ ...hello.files[0]!, mode: "0700" }] },
    ];
    for (const v of variants) {
      expect((await closureOf({ Hello: v }, ["Hello"])).closure!.byModule.get("Hello")).not.toBe(base);
    }
    const { modules, moduleSpans } = modulesOf({ Hello: hello });
    const arm = await closureFor({ modules, moduleSpans, roots: ["Hello"], fileDir: () => "/", system: "aarch64-linux" });
    expect(arm.closure!.byModule.get("Hello")).not.toBe(base);
    const reordered = { files: hello.files, recipe: hello.recipe, version: "1.0", pname: "hello" };
    expect((await closureOf({ Hello: reordered }, ["Hello"])).closure!.byModule.get("Hello")).toBe(base);
    // The default mode is the same as writing it out.
    const implicit = await closureOf({ A: { ...hello, files: [{ path: "f", content: "x" }] } }, ["A"]);
    const explicit = await closureOf({ A: { ...hello, files: [{ path: "f", content: "x", mode: "0644" }] } }, ["A"]);
    expect(implicit.closure!.byModule.get("A")).toBe(explicit.closure!.byModule.get("A"));
  });

  it("hashes dependencies by base name, so a dependency change changes the dependant", async () => {
    const app = { pname: "app", version: "1", recipe: "std.shell", command: "true", deps: ["Hello"] };
    const a = await closureOf({ Hello: hello, App: app }, ["App"]);
    const b = await closureOf({ Hello: { ...hello, version: "1.1" }, App: app }, ["App"]);
    expect(a.closure!.byModule.get("App")).not.toBe(b.closure!.byModule.get("App"));
    const appInfo = a.closure!.paths.find((p) => p.module === "App")!;
    expect(appInfo.deps).toEqual([a.closure!.byModule.get("Hello")]);
    expect(a.closure!.builds!.get(appInfo.base)!.derivationJson).not.toContain("/");
  });

  it("orders the closure dependencies first, ties by base name, and includes transitive deps only", async () => {
    const r = await closureOf(
      {
        Lib: { pname: "lib", version: "1", recipe: "std.shell", command: "true" },
        Mid: { pname: "mid", version: "1", recipe: "std.shell", command: "true", deps: ["Lib"] },
        Top: { pname: "top", version: "1", recipe: "std.shell", command: "true", deps: ["Mid", "Lib"] },
        Other: { pname: "other", version: "1", recipe: "std.shell", command: "true" },
        Zed: { pname: "zed", version: "1", recipe: "std.shell", command: "true" },
      },
      ["Top", "Zed"],
    );
    expect(r.diagnostics).toEqual([]);
    const order = r.closure!.paths.map((p) => p.module);
    expect(new Set(order)).toEqual(new Set(["Lib", "Mid", "Top", "Zed"]));
    expect(order.indexOf("Lib")).toBeLessThan(order.indexOf("Mid"));
    expect(order.indexOf("Mid")).toBeLessThan(order.indexOf("Top"));
    // Lib and Zed are both ready first: the smaller base name comes first.
    const [first, second] = r.closure!.paths;
    const ready = [r.closure!.byModule.get("Lib")!, r.closure!.byModule.get("Zed")!].sort();
    expect(first!.base).toBe(ready[0]);
    if (second!.module === "Lib" || second!.module === "Zed") expect(second!.base).toBe(ready[1]);
  });

  it("hashes a local source by content, not by where it lives", async () => {
    const a = tempDir();
    mkdirSync(path.join(a, "src/sub"), { recursive: true });
    writeFileSync(path.join(a, "src/main.c"), "int main(){}\n");
    writeFileSync(path.join(a, "src/sub/run.sh"), "echo\n");
    chmodSync(path.join(a, "src/sub/run.sh"), 0o755);
    const b = tempDir();
    cpSync(path.join(a, "src"), path.join(b, "src"), { recursive: true });
    const pkg = { pname: "c", version: "1", recipe: "std.shell", command: "true", source: { type: "local", path: "./src" } };
    const ra = await closureOf({ C: pkg }, ["C"], { fileDir: () => a });
    const rb = await closureOf({ C: pkg }, ["C"], { fileDir: () => b });
    expect(ra.diagnostics).toEqual([]);
    expect(ra.closure!.byModule.get("C")).toBe(rb.closure!.byModule.get("C"));
    expect(ra.closure!.builds!.get(ra.closure!.byModule.get("C")!)!.derivationJson).not.toContain(a);

    chmodSync(path.join(b, "src/sub/run.sh"), 0o644);
    const rExec = await closureOf({ C: pkg }, ["C"], { fileDir: () => b });
    expect(rExec.closure!.byModule.get("C")).not.toBe(ra.closure!.byModule.get("C"));
    writeFileSync(path.join(b, "src/new"), "");
    chmodSync(path.join(b, "src/sub/run.sh"), 0o755);
    const rNew = await closureOf({ C: pkg }, ["C"], { fileDir: () => b });
    expect(rNew.closure!.byModule.get("C")).not.toBe(ra.closure!.byModule.get("C"));
  });

  it("puts a url source in by its declared sha256 without fetching", async () => {
    const sha = "a".repeat(64);
    const pkg = { pname: "u", version: "1", recipe: "std.shell", command: "true", source: { type: "url", url: "http://127.0.0.1:9/none.tar.gz", sha256: sha } };
    const r = await closureOf({ U: pkg }, ["U"]);
    expect(r.diagnostics).toEqual([]);
    const moved = await closureOf({ U: { ...pkg, source: { ...pkg.source, url: "http://mirror.invalid/x/none.tar.gz" } } }, ["U"]);
    expect(moved.closure!.byModule.get("U")).toBe(r.closure!.byModule.get("U"));
  });

  it("refuses a missing local source naming the package and path", async () => {
    const pkg = { pname: "c", version: "1", recipe: "std.shell", command: "true", source: { type: "local", path: "./nope" } };
    const dir = tempDir();
    await expect(closureOf({ C: pkg }, ["C"], { fileDir: () => dir })).rejects.toThrow(/package 'C': local source '.*\/nope' does not exist/);
  });
});

describe("closureFor: E7 and other refusals", () => {
  const text = [
    'module A {', //                       0
    '  pname = "a" version = "1" recipe = "std.shell" command = "true"',
    '  deps = [ "B" ]',
    '}',
    'module B {',
    '  pname = "b" version = "1" recipe = "std.shell" command = "true"',
    '  # deps = [ "A" ] is not this one',
    '  deps = [',
    '    "C", "A"',
    '  ]',
    '}',
    'module C { x = 1 }',
  ].join("\n");
  const spans = (name: string) => ({ file: "pkgs.pcl", offset: text.indexOf(`module ${name}`), length: 8 });

  it("reports a dependency cycle at a deps entry, naming the cycle", async () => {
    const { modules } = modulesOf({
      A: { pname: "a", version: "1", recipe: "std.shell", command: "true", deps: ["B"] },
      B: { pname: "b", version: "1", recipe: "std.shell", command: "true", deps: ["A"] },
    });
    const moduleSpans = new Map([["A", spans("A")], ["B", spans("B")]]);
    const r = await closureFor({ modules, moduleSpans, roots: ["A"], fileDir: () => "/", sourceText: () => text });
    expect(r.closure).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe("E7");
    expect(d.message).toBe("package dependency cycle: A → B → A");
    // B's entry "A" closes the cycle: the diagnostic points at that literal, not at the comment.
    expect(text.slice(d.span.offset, d.span.offset + d.span.length)).toBe('"A"');
    expect(d.span.offset).toBe(text.indexOf('"C", "A"') + 5);
    expect(d.labels.map((l) => text.slice(l.span.offset, l.span.offset + l.span.length))).toEqual(['"B"']);
  });

  it("reports a self-dependency as a cycle", async () => {
    const r = await closureOf({ A: { pname: "a", version: "1", recipe: "std.shell", command: "true", deps: ["A"] } }, ["A"]);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["E7", "package dependency cycle: A → A"]]);
  });

  it("reports a dependency without a recipe, located at the entry, with a label at the module", async () => {
    const { modules } = modulesOf({
      B: { pname: "b", version: "1", recipe: "std.shell", command: "true", deps: ["C"] },
      C: { x: 1 },
    });
    const moduleSpans = new Map([["B", spans("B")], ["C", spans("C")]]);
    const r = await closureFor({ modules, moduleSpans, roots: ["B"], fileDir: () => "/", sourceText: () => text });
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect([d.code, d.message]).toEqual(["E7", "dependency 'C' of package 'B' has no recipe"]);
    expect(text.slice(d.span.offset, d.span.offset + d.span.length)).toBe('"C"');
    expect(d.labels[0]!.span).toEqual(spans("C"));
  });

  it("reports a dependency naming no module, at the module span when no source text is given", async () => {
    const r = await closureOf({ B: { pname: "b", version: "1", recipe: "std.shell", command: "true", deps: ["Ghost"] } }, ["B"]);
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span.file, d.span.offset])).toEqual([
      ["E7", "dependency 'Ghost' of package 'B' is not a module", "pkgs.pcl", 0],
    ]);
  });

  it("reports a dependency that is defined but did not evaluate instead of crashing", async () => {
    const { modules, moduleSpans } = modulesOf({ B: { pname: "b", version: "1", recipe: "std.shell", command: "true", deps: ["Broken"] } });
    moduleSpans.set("Broken", { file: "pkgs.pcl", offset: 500, length: 6 });
    const r = await closureFor({ modules, moduleSpans, roots: ["B"], fileDir: () => "/" });
    expect(r.closure).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["E7", "dependency 'Broken' of package 'B' did not evaluate, so its store path is unknown"]]);
  });

  it("reports a root that is not a package", async () => {
    const r = await closureOf({ C: { x: 1 } }, ["C"]);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["E7", "module 'C' is used as a package but has no recipe"]]);
    await expect(closureOf({}, ["Nothing"])).rejects.toBeInstanceOf(FleetError);
  });

  it("refuses a secret reference in a package without crashing and without hashing it", async () => {
    const ref = new SecretRef("from_env", "TOKEN", { file: "pkgs.pcl", offset: 42, length: 20 });
    const r = await closureOf({ S: { pname: "s", version: "1", recipe: "std.shell", command: "true", extra: { token: ref } } }, ["S"]);
    expect(r.closure).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.span.offset])).toEqual([["E6", 42]]);
  });

  it("refuses unknown recipes, escaping file paths, bad modes and unsafe names", async () => {
    const bad = {
      R: { pname: "r", version: "1", recipe: "std.make" },
      P: { pname: "p", version: "1", recipe: "std.files", files: [{ path: "../etc/passwd", content: "" }] },
      M: { pname: "m", version: "1", recipe: "std.files", files: [{ path: "a", content: "", mode: "rwx" }] },
      N: { pname: "my app", version: "1", recipe: "std.files", files: [] },
      K: { pname: "k", version: "1", recipe: "std.files", files: [{ path: ".fleet-built", content: "" }] },
    };
    const r = await closureOf(bad, Object.keys(bad));
    expect(r.closure).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(["E2", "E6", "E6", "E6", "E6"]);
    expect(r.diagnostics.find((d) => d.code === "E2")!.hint).toBe("supported recipes: std.files, std.shell");
  });
});
