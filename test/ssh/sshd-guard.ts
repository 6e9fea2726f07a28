/** Shared guard: without sshd, SSH tests skip locally but FAIL under CI=true. */
import { it } from "vitest";
import { sshdAvailable, SSHD_BIN } from "../support/sshd.js";

export const HAVE_SSHD = sshdAvailable();

export function requireSshdUnderCi(): void {
  if (!HAVE_SSHD) {
    const why = `${SSHD_BIN} is missing or tests do not run as root; install openssh-server and run as root`;
    if (process.env.CI === "true") {
      it("needs a real sshd", () => {
        throw new Error(why);
      });
    } else {
      console.warn(`skipping SSH tests: ${why}`);
    }
  }
}
