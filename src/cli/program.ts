/** The commander program: every command and flag, built once (also read by completion and man page). */
import { Command, Option } from "commander";
import { registerCommands } from "./commands/index.js";
import { COLOR_CHOICES, setColorChoice, type ColorChoice } from "./output.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("fleet")
    .description("Typed fleet configuration (PCL): check, build, deploy and roll back hosts atomically.")
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("--color <when>", "colour and live progress: auto (on a terminal, unless NO_COLOR or TERM=dumb), always, never")
        .choices(COLOR_CHOICES)
        .default("auto"),
    )
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  // A program option, taken before or after the command name (`fleet apply F --color never`).
  program.hook("preAction", () => setColorChoice(program.opts<{ color: ColorChoice }>().color));
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
