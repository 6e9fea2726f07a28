// Writes man/fleet.1 from the commander program (src/cli/man-page.ts). Run: npm run man
import { mkdirSync, writeFileSync } from "node:fs";
import { programSpec } from "../src/cli/command-spec.js";
import { manPage } from "../src/cli/man-page.js";
import { buildProgram } from "../src/cli/program.js";
import { VERSION } from "../src/cli/version.js";

mkdirSync("man", { recursive: true });
writeFileSync("man/fleet.1", manPage(programSpec(buildProgram()), VERSION));
