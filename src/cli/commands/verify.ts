import type { Command } from "commander";
import { addStateCommand } from "./status.js";

export function registerVerify(program: Command): void {
  addStateCommand(program, "verify", "re-hash every managed file and check every pinned store path; exit 1 on any drift");
}
