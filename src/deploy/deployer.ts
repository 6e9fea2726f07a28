/**
 * Who runs this fleet command, as `fleet status` shows it (ADR 221): `user@machine` of the
 * controller, or `FLEET_DEPLOYER` when set (CI jobs name themselves; tests stay deterministic).
 * Only printable characters, at most 200, so a record can never carry a control sequence.
 */
import { hostname, userInfo } from "node:os";

function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 200);
}

export function deployerName(env: NodeJS.ProcessEnv = process.env): string {
  const given = env["FLEET_DEPLOYER"];
  if (given !== undefined && given.trim() !== "") return clean(given.trim());
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    user = env["USER"] ?? env["LOGNAME"] ?? "unknown";
  }
  return clean(`${user}@${hostname()}`);
}
