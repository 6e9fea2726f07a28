/**
 * editors/vscode is a well-formed extension (issue 16): its manifest points at files that exist,
 * the grammar it ships is copied from the one source (grammar/pcl.tmLanguage.json), the language
 * configuration knows PCL's comments and brackets, and the client starts `fleet lsp --stdio`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

const EXT = join(REPO_ROOT, "editors/vscode");
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(EXT, p), "utf8")) as Record<string, unknown>;

describe("editors/vscode", () => {
  it("declares the pcl language, its configuration and grammar, and ships the grammar from grammar/", () => {
    const manifest = json("package.json") as { contributes: { languages: { id: string; extensions: string[]; configuration: string }[]; grammars: { language: string; scopeName: string; path: string }[] }; main: string };
    const [lang] = manifest.contributes.languages;
    expect(lang).toMatchObject({ id: "pcl", extensions: [".pcl"] });
    expect(existsSync(join(EXT, lang?.configuration ?? "missing"))).toBe(true);
    expect(existsSync(join(EXT, manifest.main))).toBe(true);
    const [grammar] = manifest.contributes.grammars;
    expect(grammar).toMatchObject({ language: "pcl", scopeName: "source.pcl" });
    rmSync(join(EXT, "syntaxes"), { recursive: true, force: true });
    execFileSync(process.execPath, ["copy-grammar.mjs"], { cwd: EXT });
    expect(readFileSync(join(EXT, grammar?.path ?? "missing"), "utf8")).toBe(readFileSync(join(REPO_ROOT, "grammar/pcl.tmLanguage.json"), "utf8"));
    rmSync(join(EXT, "syntaxes"), { recursive: true, force: true });
  });

  it("configures # comments, brackets and auto-closing quotes and interpolations", () => {
    const conf = json("language-configuration.json") as { comments: { lineComment: string }; brackets: string[][]; autoClosingPairs: { open: string; close: string }[]; wordPattern: string };
    expect(conf.comments.lineComment).toBe("#");
    expect(conf.brackets).toEqual(expect.arrayContaining([["{", "}"], ["[", "]"], ["(", ")"]]));
    expect(conf.autoClosingPairs.map((p) => p.open + p.close)).toEqual(expect.arrayContaining(['""', "${}", "{}", "[]"]));
    expect(new RegExp(`^(?:${conf.wordPattern})$`).test("in-flight")).toBe(true);
  });

  it("starts the language server as `fleet lsp --stdio` through vscode-languageclient", () => {
    const src = readFileSync(join(EXT, "extension.js"), "utf8");
    execFileSync(process.execPath, ["--check", join(EXT, "extension.js")]);
    expect(src).toContain('require("vscode-languageclient/node")');
    expect(src).toContain('args: ["lsp", "--stdio"]');
    expect(json("package.json")["dependencies"]).toHaveProperty("vscode-languageclient");
  });
});
