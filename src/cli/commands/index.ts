import type { Command } from "commander";
import { registerApply } from "./apply.js";
import { registerRollback } from "./rollback.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerApply(program);
  registerRollback(program);
}
