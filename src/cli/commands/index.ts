import type { Command } from "commander";
import { registerBuild } from "./build.js";
import { registerCheck } from "./check.js";
import { registerEval } from "./eval.js";
import { registerWhy } from "./why.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  void program;
  registerBuild(program);
  registerCheck(program);
  registerEval(program);
  registerWhy(program);
}
