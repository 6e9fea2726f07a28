/**
 * What a refused `sudo -n` means, in one sentence that says what to configure (ADR 107). sudo
 * runs before fleet's marker is printed, so everything it said is in the channel's preamble.
 */
import { FleetError } from "../fleet-error.js";
import { fleetMessages } from "../fleet-messages.js";
import { lastLines } from "./ssh-wrap.js";

export function sudoRefusal(target: string, user: string, said: string): FleetError {
  const o = { host: target };
  if (/password is required|terminal is required|askpass/i.test(said)) {
    return new FleetError(fleetMessages.sudoAsksPasswordAllow(target, user), o);
  }
  if (/not in the sudoers|not allowed to (run|execute)|may not run sudo/i.test(said)) {
    return new FleetError(fleetMessages.mayUseSudoAdd(user, target), o);
  }
  if (/sudo: (command )?not found|sudo: No such file/i.test(said)) {
    return new FleetError(fleetMessages.sudoInstalledInstallAllow(target, user), o);
  }
  const why = lastLines(said) || "no output";
  return new FleetError(fleetMessages.cannotStartRootShell(target, why, user), o);
}
