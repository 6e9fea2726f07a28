import { describe } from "vitest";
import { SshTransport } from "../../src/transport/ssh-transport.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "../ssh/sshd-guard.js";
import { transportConformance } from "./conformance.js";

requireSshdUnderCi();

describe.skipIf(!HAVE_SSHD)("SshTransport", () => {
  let sshd: Sshd | undefined;
  const open = (d: Sshd): Promise<SshTransport> =>
    SshTransport.connect({ target: d.target, key: d.clientKeyPath, knownHosts: d.knownHostsPath });

  transportConformance("SshTransport (root over a real sshd)", async () => {
    const d = (sshd = await startSshd());
    const transport = await open(d);
    const base = `${d.dir}/target`;
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
});
