/** The commander program: every command and flag, built once (also read by completion and man page). */
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("fleet")
    .description("Typed fleet configuration (PCL): check, build, deploy and roll back hosts atomically.")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerCommands(program);
  program.exitOverride();
  const override = (cmd: Command): void => {
    for (const c of cmd.commands) {
      c.exitOverride();
      override(c);
    }
  };
  override(program);
  return program;
}
