/** Thrown by a command to end with a given exit code after it printed its report. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
