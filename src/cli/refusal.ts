/** Prints a fleet-level refusal (SPEC §6): diagnostics as §1.5, plain errors one per line. */
import { FleetRefusal } from "../load/fleet-load.js";
import { renderDiagnostics } from "../lang/index.js";
import { ExitCode } from "./exit-code.js";
import { jsonCommand } from "./json-contract.js";
import { writeRefusal } from "./json-report.js";
import type { Output } from "./output.js";

/** Under `--json` the refusal is also the command's one document (an error document). */
export function handleRefusal(out: Output, e: unknown): never {
  if (e instanceof FleetRefusal) {
    const command = jsonCommand();
    if (command !== undefined) writeRefusal(command, e);
    if (e.diagnostics.length > 0) out.errRaw(renderDiagnostics(e.diagnostics, e.sources));
    for (const err of e.errors) out.err(`fleet: error: ${err.headline}`);
    throw new ExitCode(1);
  }
  throw e;
}
