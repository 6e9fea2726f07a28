import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { grammarRuleNames } from "../../src/lang/parser.js";
import { REPO_ROOT } from "../support/cli.js";

describe("grammar/pcl.ebnf", () => {
  it("has exactly the parser's rules", () => {
    const ebnf = readFileSync(`${REPO_ROOT}/grammar/pcl.ebnf`, "utf8");
    const ebnfRules = [...ebnf.matchAll(/^([A-Za-z]+)\s*::=/gm)].map((m) => m[1]).sort();
    expect(ebnfRules).toEqual(grammarRuleNames().sort());
  });

  it("keeps the syntax diagrams and the TextMate grammar committed", () => {
    const html = readFileSync(`${REPO_ROOT}/grammar/diagrams.html`, "utf8");
    for (const rule of grammarRuleNames()) expect(html).toContain(`"${rule}"`);
    const tm = JSON.parse(readFileSync(`${REPO_ROOT}/grammar/pcl.tmLanguage.json`, "utf8")) as { scopeName: string };
    expect(tm.scopeName).toBe("source.pcl");
  });
});
