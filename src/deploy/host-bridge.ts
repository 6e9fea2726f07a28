/** Glue between the orchestrators and the per-host pipeline: events → warnings/progress, manifest reads. */
import { readCurrent } from "../manifest/generations.js";
import { stackDir } from "../manifest/layout.js";
import type { Manifest } from "../manifest/manifest.js";
import type { Transport } from "../transport/transport.js";
import { phaseAfter, type HostEvent, type PhaseSizes } from "./host-events.js";

/** The current manifest of a stack on a target, or null when it was never deployed. */
export function readCurrentManifest(transport: Transport, deploymentsRoot: string, stack: string): Promise<Manifest | null> {
  return readCurrent(transport, stackDir(deploymentsRoot, stack));
}

/** Turns pipeline events into `⚠` warnings (takeovers, recoveries) and progress stages in words. */
export function hostEventSink(warnings: string[], progress: (stage: string) => void, sizes?: PhaseSizes): (e: HostEvent) => void {
  return (e) => {
    if (e.kind === "warning") warnings.push(e.message);
    else if (e.kind === "recovered") warnings.push(e.outcome.message);
    else progress(phaseAfter(e.step, sizes));
  };
}
