/**
 * The crash-test kill points (FLEET_TEST_DIE_AT) are armed only when a second, test-only
 * condition holds too (ADR 135): FLEET_TEST_DIE_AT_PARENT must name the pid of the process that
 * started this `fleet`. A test harness knows that pid (its own); a variable left in an operator's
 * environment or copied from a CI log does not match it, so a real run is never killed halfway.
 */
export function armedDieAt(env: NodeJS.ProcessEnv = process.env, parentPid: number = process.ppid): string | undefined {
  const step = env["FLEET_TEST_DIE_AT"];
  if (step === undefined || step === "") return undefined;
  if (env["FLEET_TEST_DIE_AT_PARENT"] !== String(parentPid)) {
    process.stderr.write("⚠ FLEET_TEST_DIE_AT is set but not armed (it is a crash-test hook); ignoring it\n");
    return undefined;
  }
  return step;
}

/** `{ dieAt }` for the orchestrators' options, or nothing. */
export function dieAtOption(): { dieAt?: string } {
  const step = armedDieAt();
  return step === undefined ? {} : { dieAt: step };
}
