/**
 * `fleet completion bash|zsh|fish` prints a completion script (ADR 151); the hidden
 * `fleet __only-names FILE` prints what `--only` accepts for that fleet file, one per line:
 * machine names, stack names and `@tags`, sorted.
 */
import { Argument, type Command } from "commander";
import { loadFleetFile } from "../../load/fleet-load.js";
import { programSpec } from "../command-spec.js";
import { completionScript, SHELLS, type Shell } from "../completion-scripts.js";

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script (commands, flags, and --only names from the fleet file)")
    .addArgument(new Argument("<shell>", "the shell to complete for").choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell, programSpec(program)));
    });
  program
    .command("__only-names", { hidden: true })
    .argument("<fleet-file>")
    .action((file: string) => {
      let names: string[];
      try {
        const { model } = loadFleetFile(file, []);
        names = model.hosts.flatMap((h) => [h.stack, ...(h.machine !== null ? [h.machine] : []), ...h.tags.map((t) => `@${t}`)]);
      } catch {
        return; // A fleet file that does not load completes nothing; `check` explains why.
      }
      process.stdout.write([...new Set(names)].sort().map((n) => `${n}\n`).join(""));
    });
}
