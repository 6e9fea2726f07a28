import { describe } from "vitest";
import { execFileSync } from "node:child_process";
import { SshTransport } from "../../src/transport/ssh-transport.js";
import { startSshd, type Sshd, type SshdOptions } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "../ssh/sshd-guard.js";
import { transportConformance } from "./conformance.js";

requireSshdUnderCi();

/**
 * The same contract three ways: root over SFTP (the fast path); a fish login shell with a
 * greeting on a server without the sftp subsystem (every file operation on the remote shell);
 * and a non-root user whose bash prints a banner, with every step through `sudo -n` into a
 * root-owned directory the user itself cannot write.
 */
describe.skipIf(!HAVE_SSHD)("SshTransport", () => {
  const variant = (name: string, sshdOptions: SshdOptions, sudo: boolean): void => {
    let sshd: Sshd | undefined;
    const open = (d: Sshd): Promise<SshTransport> =>
      SshTransport.connect({ target: d.target, key: d.clientKeyPath, knownHosts: d.knownHostsPath, sudo });
    transportConformance(name, async () => {
      const d = (sshd = await startSshd(sshdOptions));
      const transport = await open(d);
      const base = `${d.dir}/target`;
      // The sudo user cannot write the root-owned base itself; any other login user owns it.
      if (!sudo && d.user !== "root") {
        execFileSync("/bin/mkdir", ["-p", base]);
        execFileSync("/bin/chown", [`${d.user}:`, base]);
      }
      return {
        transport,
        base,
        other: () => open(d),
        cleanup: async () => {
          await transport.close();
          await sshd?.stop();
        },
      };
    });
  };
  variant("SshTransport (root over a real sshd)", {}, false);
  variant("SshTransport (fish login shell with a greeting, no sftp subsystem)", { user: "fleetfish", loginShell: "/usr/bin/fish", greeting: "Welcome to fish", noSftp: true }, false);
  variant("SshTransport (bash with a banner, every step through sudo -n)", { user: "fleetsudo", loginShell: "/bin/bash", greeting: "Welcome to bash", sudo: "nopasswd" }, true);
});
