/**
 * Regression: a quick command's exit status must never be lost. ssh2 handles every packet of one
 * TCP read synchronously, so the exit-status of `exit 3` can arrive in the same read as the
 * channel confirmation; listeners attached one microtask later missed it (status 255, which made
 * `fleet apply` fail a host with "cannot read $HOME …: exit status 255" about once in 40 runs).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshTransport } from "../../src/transport/ssh-transport.js";
import { startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";

requireSshdUnderCi();

describe.skipIf(!HAVE_SSHD)("exec exit statuses over one connection", () => {
  let s: Sshd;
  let t: SshTransport;
  beforeAll(async () => {
    s = await startSshd({ user: TEST_USER });
    t = await SshTransport.connect({ target: s.target, key: s.clientKeyPath, knownHosts: s.knownHostsPath });
  });
  afterAll(async () => {
    await t?.close();
    await s?.stop();
  });

  it("300 immediate exits all report their own status and output", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const r = await t.run(`printf ${i}; exit ${i % 7}`);
      const key = `${r.code}:${r.stdout === String(i) ? "ok" : r.stdout}`;
      expect(key, `run ${i}`).toBe(`${i % 7}:ok`);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(7);
  });

  it("many concurrent quick commands each get their own status", async () => {
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => t.run(`exit ${i + 1}`)));
    expect(rs.map((r) => r.code)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
