/**
 * The commands and flags of the commander program as plain data, read through commander's own
 * Help (the text `--help` prints), so completions and the man page follow every command or flag
 * added later without being edited.
 */
import type { Command, Option } from "commander";

export interface OptionSpec {
  readonly long: string | undefined;
  readonly short: string | undefined;
  /** The flag's term as `--help` prints it, e.g. `--scenario <name>`. */
  readonly term: string;
  readonly description: string;
  readonly takesValue: boolean;
  /** The value is a file or directory path (completed as one). */
  readonly takesPath: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  /** `fleet apply [options] <fleet-file>` without the program name. */
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  readonly arguments: readonly { readonly term: string; readonly description: string; readonly choices: readonly string[] }[];
}

export interface ProgramSpec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly commands: readonly CommandSpec[];
}

function optionSpec(cmd: Command, o: Option): OptionSpec {
  const help = cmd.createHelp();
  const takesValue = o.required || o.optional;
  return {
    long: o.long,
    short: o.short,
    term: help.optionTerm(o),
    description: help.optionDescription(o),
    takesValue,
    takesPath: takesValue && /<(path|file|dir|fleet-file)>|\[(path|file)\]/.test(o.flags),
  };
}

export function programSpec(program: Command): ProgramSpec {
  const help = program.createHelp();
  const commands = help
    .visibleCommands(program)
    .filter((c) => c.name() !== "help")
    .map((c) => {
      const h = c.createHelp();
      const subs = c.commands.filter((s) => s.name() !== "help");
      if (subs.length > 0) {
        // A command with subcommands (`flow list|run`): its words are the subcommands, its flags theirs.
        const seen = new Set<string>();
        const options = subs.flatMap((s) => s.createHelp().visibleOptions(s).map((o) => optionSpec(s, o))).filter((o) => {
          const key = o.long ?? o.short ?? o.term;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        return {
          name: c.name(),
          description: `${c.description()} (${subs.map((s) => `${c.name()} ${s.name()}: ${s.description()}`).join("; ")})`,
          usage: subs.map((s) => `${c.name()} ${s.name()} ${s.usage()}`).join(" | "),
          options,
          arguments: [{ term: "<command>", description: subs.map((s) => s.name()).join(", "), choices: subs.map((s) => s.name()) }],
        };
      }
      return {
        name: c.name(),
        description: c.description(),
        usage: `${c.name()} ${c.usage()}`,
        options: h.visibleOptions(c).map((o) => optionSpec(c, o)),
        arguments: h.visibleArguments(c).map((a) => ({ term: h.argumentTerm(a), description: h.argumentDescription(a), choices: a.argChoices ?? [] })),
      };
    });
  return { name: program.name(), description: program.description(), options: help.visibleOptions(program).map((o) => optionSpec(program, o)), commands };
}
