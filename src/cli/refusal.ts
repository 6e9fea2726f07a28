/** Prints a fleet-level refusal (SPEC §6): diagnostics as §1.5, plain errors one per line. */
import { FleetRefusal } from "../deploy/fleet-load.js";
import { renderDiagnostics } from "../lang/index.js";
import { ExitCode } from "./exit-code.js";
import type { Output } from "./output.js";

export function handleRefusal(out: Output, e: unknown): never {
  if (e instanceof FleetRefusal) {
    if (e.diagnostics.length > 0) out.errRaw(renderDiagnostics(e.diagnostics, e.sources));
    for (const err of e.errors) out.err(`fleet: error: ${err.headline}`);
    throw new ExitCode(1);
  }
  throw e;
}
