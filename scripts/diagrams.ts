/**
 * `npm run diagrams`: writes grammar/diagrams.html, the railroad diagrams of the PCL parser, with
 * chevrotain's viewer scripts copied beside it (grammar/diagrams/) so the page works offline.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode } from "chevrotain";
import { grammarProductions } from "../src/lang/parser.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const chevrotainDiagrams = join(root, "node_modules/chevrotain/diagrams");
const out = join(root, "grammar/diagrams");
for (const rel of ["diagrams.css", "vendor/railroad-diagrams.js", "src/diagrams_builder.js", "src/diagrams_behavior.js", "src/main.js"]) {
  mkdirSync(dirname(join(out, rel)), { recursive: true });
  copyFileSync(join(chevrotainDiagrams, rel), join(out, rel));
}
const html = createSyntaxDiagramsCode(grammarProductions(), { resourceBase: "diagrams/", css: "diagrams/diagrams.css" });
writeFileSync(join(root, "grammar/diagrams.html"), html);
console.log("wrote grammar/diagrams.html");
