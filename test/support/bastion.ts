/**
 * A target reachable only through a bastion, from real sshds: a network namespace of the test's
 * own holds the target's sshd on the namespace's 127.0.0.1 (nothing outside can connect to it),
 * and the bastion is an inetd-style sshd that runs inside the namespace but accepts connections
 * on this machine's 127.0.0.1, so it can forward to the target as a real jump host does.
 */
import { execFileSync } from "node:child_process";
import { startSshd, type Sshd, type SshdOptions } from "./sshd.js";

export interface BastionTopology {
  readonly netns: string;
  /** Reachable from here on 127.0.0.1:bastion.port. */
  readonly bastion: Sshd;
  /** Listening on 127.0.0.1:target.port inside `netns` only. */
  readonly target: Sshd;
  stop(): Promise<void>;
}

let counter = 0;

export async function startBastionTopology(options: Pick<SshdOptions, "user"> = {}): Promise<BastionTopology> {
  counter += 1;
  const netns = `fleet-bastion-${process.pid}-${counter}`;
  execFileSync("/usr/sbin/ip", ["netns", "add", netns]);
  const started: Sshd[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
    execFileSync("/usr/sbin/ip", ["netns", "delete", netns]);
  };
  try {
    execFileSync("/usr/sbin/ip", ["netns", "exec", netns, "/usr/sbin/ip", "link", "set", "lo", "up"]);
    const target = await startSshd({ ...options, netns });
    started.push(target);
    const bastion = await startSshd({ ...options, netns, inetd: true });
    started.push(bastion);
    return { netns, bastion, target, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
