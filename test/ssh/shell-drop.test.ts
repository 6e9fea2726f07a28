/**
 * The remote-shell path (no sftp subsystem, ADR 106) under a lost connection (ADR 108): every one
 * of many pipelined file operations settles — rejected with the "dropped … during …" error — when
 * the session is killed, and when it is SIGSTOPped (through the keepalives); the next connection
 * works.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { SshTransport } from "../../src/transport/ssh-transport.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";

requireSshdUnderCi();

function sessionTree(s: Sshd): number[] {
  const main = Number(readFileSync(join(s.dir, "sshd.pid"), "utf8").trim());
  const tree = (pid: number): number[] => {
    let kids: number[] = [];
    try {
      kids = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
    } catch {
      /* none */
    }
    return kids.flatMap((k) => [k, ...tree(k)]);
  };
  return tree(main);
}

const signal = (pids: readonly number[], sig: NodeJS.Signals): void => {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* gone */
    }
  }
};

describe.skipIf(!HAVE_SSHD)("pipelined remote-shell operations on a lost connection", () => {
  let s: Sshd;
  beforeAll(async () => {
    s = await startSshd({ noSftp: true });
    mkdirSync(join(s.dir, "t"), { recursive: true });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const open = () => SshTransport.connect({ target: s.target, key: s.clientKeyPath, knownHosts: s.knownHostsPath, keepaliveIntervalMs: 500 });

  async function flood(t: SshTransport): Promise<Promise<unknown>[]> {
    expect(await t.fileOpsKind()).toBe("shell");
    // 300 writes in flight on the one remote shell; the cut comes while they are answered.
    return Array.from({ length: 300 }, (_, i) =>
      t.writeFileAtomic(`${s.dir}/t/d${i % 7}/f${i}`, Buffer.alloc(20_000, i), 0o644).then(
        () => "ok",
        (e: unknown) => e,
      ),
    );
  }

  for (const how of ["SIGKILL", "SIGSTOP"] as const) {
    it(`every pending operation settles when the session gets ${how}`, async () => {
      const t = await open();
      const pending = await flood(t);
      await pending[20];
      signal(sessionTree(s), how);
      const results = await Promise.all(pending);
      signal(sessionTree(s), "SIGKILL");
      const errors = results.filter((r) => r !== "ok");
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e).toBeInstanceOf(FleetError);
        expect((e as FleetError).message).toMatch(
          new RegExp(`^connection to ${s.target.replace(/[.]/g, "\\.")} dropped \\((${how === "SIGSTOP" ? "no answer to keepalives" : "[^)]+"})\\) during .*; the next apply or rollback finishes it$`),
        );
      }
      await t.close();
      const again = await open();
      await again.writeFileAtomic(`${s.dir}/t/after`, Buffer.from("x"), 0o600);
      expect(readFileSync(`${s.dir}/t/after`, "utf8")).toBe("x");
      await again.close();
    }, 60_000);
  }
});
