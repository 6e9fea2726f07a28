/**
 * Entry point: builds the commander program, maps every error to an exit code. The only module
 * (with the rest of cli/) that prints or exits.
 */
import { CommanderError } from "commander";
import { FleetError, UsageError } from "../fleet-error.js";
import { buildProgram } from "./program.js";
import { ExitCode } from "./exit-code.js";
import { jsonCommand, jsonDocumentWritten, jsonRequested, setJsonCommand, writeJsonError, type ErrorKind } from "./json-contract.js";
import { fleetErrorJson, plainProblem, type JsonProblem } from "./json-problem.js";
import { handleRefusal } from "./refusal.js";
import { processOutput } from "./output.js";
import { FleetRefusal } from "../load/fleet-load.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;


async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (jsonRequested(argv)) {
    const names = new Set(program.commands.map((c) => c.name()));
    const at = argv.findIndex((a) => names.has(a));
    const name = at < 0 ? "fleet" : argv[at]!;
    // A command with subcommands (`flow run`) names its document `flow-run`.
    const parent = program.commands.find((c) => c.name() === name);
    const sub = parent && parent.commands.length > 0 ? parent.commands.find((c) => c.name() === argv[at + 1]) : undefined;
    setJsonCommand(sub ? `${name}-${sub.name()}` : name);
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT_OK;
  } catch (e) {
    return exitCodeFor(e);
  }
}

/** Under `--json`, a run that ends without its document gets an error document (ADR 140). */
function jsonError(kind: ErrorKind, code: number, problems: readonly JsonProblem[]): number {
  const command = jsonCommand();
  if (command !== undefined && !jsonDocumentWritten()) writeJsonError(command === "fleet" ? null : command, kind, code, problems);
  return code;
}

function exitCodeFor(e: unknown): number {
  if (e instanceof ExitCode) return jsonError(e.code === EXIT_USAGE ? "usage" : "failed", e.code, [plainProblem(null, `exit ${e.code}`)]);
  if (e instanceof CommanderError) {
    // --help and --version are "errors" to commander; everything else it raises is a usage error.
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT_OK;
    return jsonError("usage", EXIT_USAGE, [plainProblem(null, e.message.replace(/^error: /, ""))]);
  }
  if (e instanceof FleetRefusal) {
    try {
      handleRefusal(processOutput(), e);
    } catch (x) {
      return exitCodeFor(x);
    }
  }
  if (e instanceof UsageError) {
    process.stderr.write(`fleet: error: ${e.message}\n`);
    return jsonError("usage", EXIT_USAGE, [fleetErrorJson(e)]);
  }
  if (e instanceof FleetError) {
    process.stderr.write(`fleet: error: ${e.headline}\n`);
    if (e.options.hint) process.stderr.write(`  hint: ${e.options.hint}\n`);
    return jsonError("failed", EXIT_FAILED, [fleetErrorJson(e)]);
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`fleet: internal error: this is a bug in fleet, please report it with the trace below\n${stack}\n`);
  return jsonError("internal", 70, [plainProblem(null, "internal error: this is a bug in fleet; run without --json for the trace")]);
}

/**
 * A command whose work never settles (an operation on a lost host that nothing woke) would let
 * Node exit with status 0 and no output once its event loop empties: never a success (ADR 108).
 */
let settled = false;
process.on("beforeExit", () => {
  if (settled) return;
  settled = true;
  process.stderr.write(
    "fleet: internal error: the command stopped with work still pending, so some hosts have no outcome; the next apply or rollback finishes them\n",
  );
  process.exitCode = 70;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (e) => {
    settled = true;
    process.exitCode = exitCodeFor(e);
  },
);
