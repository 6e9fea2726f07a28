/** Turns the per-host pipeline's events into what an orchestrator reports: `⚠` warnings and progress stages. */
import { phaseAfter, type HostEvent, type PhaseSizes } from "./host-events.js";

/** Turns pipeline events into `⚠` warnings (takeovers, recoveries) and progress stages in words. */
export function hostEventSink(warnings: string[], progress: (stage: string) => void, sizes?: PhaseSizes): (e: HostEvent) => void {
  return (e) => {
    if (e.kind === "warning") warnings.push(e.message);
    else if (e.kind === "recovered") warnings.push(e.outcome.message);
    else progress(phaseAfter(e.step, sizes));
  };
}
