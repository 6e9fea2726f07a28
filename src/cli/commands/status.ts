import type { Command } from "commander";
import { fleetStatus, type HostState } from "../../deploy/fleet-status.js";
import { ExitCode } from "../exit-code.js";
import { stateStatus, statesJson } from "../json-report.js";
import { writeJsonDocument } from "../json-contract.js";
import { addJobsFlag, addJsonFlag, addOnlyFlag, addScenarioFlag, addTargetFlags, transportOptions, type TargetFlagValues } from "../options.js";
import { processOutput } from "../output.js";
import { liveProgress } from "../progress.js";
import { handleRefusal } from "../refusal.js";
import { reportStatus, reportVerified } from "../state-report.js";

interface StateFlags extends TargetFlagValues {
  json?: boolean;
  jobs: number;
  only?: string[];
  scenario: string[];
}

/** `fleet status` and `fleet verify` share their flags and their read of every host. */
export function addStateCommand(program: Command, name: "status" | "verify", description: string): void {
  const cmd = program.command(name).description(description).argument("<file>", "fleet file (defines module Fleet)");
  addTargetFlags(cmd);
  addScenarioFlag(cmd);
  addOnlyFlag(cmd);
  addJsonFlag(cmd);
  addJobsFlag(cmd, "read");
  cmd.action(async (file: string, flags: StateFlags) => {
    const json = Boolean(flags.json);
    const progress = liveProgress({ title: `fleet ${name}` });
    const out = progress.wrap(processOutput());
    let states: HostState[];
    try {
      states = await fleetStatus({
        fleetFile: file,
        scenarios: flags.scenario,
        ...(flags.storeRoot !== undefined ? { storeRoot: flags.storeRoot } : {}),
        ...(flags.deploymentsRoot !== undefined ? { deploymentsRoot: flags.deploymentsRoot } : {}),
        ...transportOptions(flags),
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        checkStorePaths: name === "verify",
        history: name === "status",
        jobs: flags.jobs,
        onProgress: (e) => progress.update(e),
        onHostDone: (host) => progress.done(host),
      });
    } catch (e) {
      progress.stop();
      handleRefusal(out, e);
    }
    progress.stop();
    if (json) {
      const good = name === "status" ? states.every((s) => !s.error) : states.every((s) => stateStatus(name, s) === "verified");
      writeJsonDocument(name, good, statesJson(name, states));
    } else if (name === "status") {
      for (const s of states) reportStatus(out, s);
    } else {
      for (const s of states) reportVerified(out, s);
    }
    if (name === "status") {
      if (states.some((s) => s.error)) throw new ExitCode(1);
      return;
    }
    const verified = states.filter((s) => s.current && !s.error && s.drift.length === 0 && s.missingStorePaths.length === 0).length;
    if (!json) out.out(`fleet: ${verified}/${states.length} host(s) verified`);
    if (verified !== states.length) throw new ExitCode(1);
  });
}

export function registerStatus(program: Command): void {
  addStateCommand(program, "status", "show each host's current generation (when, by whom), the previous one, the last attempt that did not become current, whether the fleet's PCL would change it, its tags, last health result and drift");
}
