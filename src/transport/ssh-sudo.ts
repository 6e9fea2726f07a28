/**
 * What a refused `sudo -n` means, in one sentence that says what to configure (ADR 107). sudo
 * runs before fleet's marker is printed, so everything it said is in the channel's preamble.
 */
import { FleetError } from "../fleet-error.js";
import { lastLines } from "./ssh-wrap.js";

export function sudoRefusal(target: string, user: string, said: string): FleetError {
  const o = { host: target };
  if (/password is required|terminal is required|askpass/i.test(said)) {
    return new FleetError(
      undefined,
      `sudo on ${target} asks ${user} for a password; allow passwordless sudo for ${user} (a NOPASSWD rule in /etc/sudoers.d/) or deploy this host without sudo`,
      o,
    );
  }
  if (/not in the sudoers|not allowed to (run|execute)|may not run sudo/i.test(said)) {
    return new FleetError(undefined, `${user} may not use sudo on ${target}; add a NOPASSWD rule for ${user} in /etc/sudoers.d/ or deploy this host without sudo`, o);
  }
  if (/sudo: (command )?not found|sudo: No such file/i.test(said)) {
    return new FleetError(undefined, `sudo is not installed on ${target}; install it and allow ${user} passwordless sudo, or deploy this host without sudo`, o);
  }
  const why = lastLines(said) || "no output";
  return new FleetError(undefined, `cannot start a root shell with 'sudo -n' on ${target} (${why}); allow ${user} passwordless sudo or deploy this host without sudo`, o);
}
