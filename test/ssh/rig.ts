/**
 * One scenario, two transports. A `Rig` runs `fleet` against three hosts either over real SSH
 * (three sshd instances on 127.0.0.1, logging in as the non-root TEST_USER) or hermetically under
 * `--transport-root`, with the SAME target strings, fleet files and target paths. Tests read what
 * a host holds through `onHost(i, targetPath)`: the path itself over SSH (the sshd runs on this
 * machine), or the path under that host's --transport-root directory.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll } from "vitest";
import { appendFileSync, chownSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { tempDir } from "../support/temp-dir.js";

export type TransportKind = "local" | "ssh";

export interface Rig {
  readonly kind: TransportKind;
  /** `ssh://fleetops@127.0.0.1:PORT` of each host, identical for both kinds. */
  readonly targets: readonly string[];
  /** A directory the target user may write: put config file paths under it. */
  readonly managed: string;
  /** Where target path `p` of host `i` is on this machine. */
  onHost(i: number, p: string): string;
  /** `fleet apply|rollback|… FILE` with this rig's transport flags and a deployments root per `state`. */
  fleet(args: readonly string[], state: string, env?: Record<string, string>): CliResult;
  /** Deployments directory of `stack` on host `i` for `state`, as a local path. */
  deployments(i: number, state: string, stack: string): string;
  readonly uid: number;
  readonly gid: number;
  stop(): Promise<void>;
}

export const HOME = `/home/${TEST_USER}`;

function idOf(flag: "-u" | "-g"): number {
  return Number(execFileSync("id", [flag, TEST_USER]).toString().trim());
}

/** The three sshd hosts shared by both rigs of a test file (targets must be the same strings). */
export interface Hosts {
  readonly sshds: readonly Sshd[];
  readonly key: string;
  readonly knownHosts: string;
  readonly work: string;
  stop(): Promise<void>;
}

/**
 * Drop every connection to `sshd` the way a network failure would: SIGKILL the whole tree of
 * per-connection processes (monitor, session process, the commands they run). Killing only the
 * monitor (Sshd.killSessions) lets the session process send a last exit status first, which is
 * not what a lost connection looks like.
 */
export function dropConnections(sshd: Sshd): number {
  const main = Number(readFileSync(join(sshd.dir, "sshd.pid"), "utf8").trim());
  const children = (pid: number): number[] => {
    const out = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).toString();
    return out.split("\n").filter(Boolean).map(Number);
  };
  const tree = (pid: number): number[] => {
    let kids: number[] = [];
    try {
      kids = children(pid);
    } catch {
      /* pgrep exits 1 when there are none */
    }
    return kids.flatMap((k) => [k, ...tree(k)]);
  };
  const pids = tree(main);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

export async function startHosts(count = 3): Promise<Hosts> {
  const sshds = await Promise.all(Array.from({ length: count }, () => startSshd({ user: TEST_USER })));
  const first = sshds[0]!;
  // One key and one known_hosts for every host, as an operator would have.
  for (const s of sshds.slice(1)) appendFileSync(join(s.dir, "authorized_keys"), readFileSync(`${first.clientKeyPath}.pub`));
  const work = tempDir("fleet-ssh-rig-");
  const knownHosts = join(work, "known_hosts");
  writeFileSync(knownHosts, sshds.map((s) => readFileSync(s.knownHostsPath, "utf8")).join(""));
  return {
    sshds,
    key: first.clientKeyPath,
    knownHosts,
    work,
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * A rig of `kind` over `hosts`. `tag` names this rig's store and deployments under the target
 * user's home (`~/.TAG/…`), so rigs never share state on a host.
 */
export function makeRig(kind: TransportKind, hosts: Hosts, tag: string): Rig {
  const uid = idOf("-u");
  const gid = idOf("-g");
  const targets = hosts.sshds.map((s) => s.target);
  // Owned by the target user so SFTP can create the managed tree; the same path string serves the
  // hermetic rig, where it lands under each host's --transport-root directory.
  const managed = tempDir(`fleet-ssh-managed-${kind}-`);
  execFileSync("/bin/chmod", ["0755", managed]);
  chownSync(managed, uid, gid);
  const root = tempDir(`fleet-ssh-root-${kind}-`);
  const hostDir = (i: number): string => join(root, targets[i]!.replace(/^ssh:\/\//, "").replace(/[^A-Za-z0-9._@-]/g, "_"));
  const onHost = (i: number, p: string): string => (kind === "ssh" ? p : join(hostDir(i), p));
  const localStore = `/root/.${tag}`;
  return {
    kind,
    targets,
    managed,
    uid,
    gid,
    onHost,
    deployments: (i, state, stack) => onHost(i, `${HOME}/.${tag}/${state}/deployments/${stack}`),
    fleet(args, state, env = {}) {
      const transport =
        kind === "ssh" ? sshFlags({ key: hosts.key, knownHosts: hosts.knownHosts, connectTimeout: 10 }) : ["--transport-root", root];
      return runFleet([...args, ...transport, "--store-root", `~/.${tag}/store`, "--deployments-root", `~/.${tag}/${state}/deployments`], {
        env,
      });
    },
    async stop() {
      for (const d of [managed, root, localStore, `${HOME}/.${tag}`]) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** One sshd host, its SSH rig and a scratch directory, set up before and torn down after a describe block. */
export interface OneHost {
  hosts: Hosts;
  rig: Rig;
  dir: string;
}

export function useOneSshHost(tag: string, dirPrefix: string): OneHost {
  const ctx = {} as OneHost;
  beforeAll(async () => {
    ctx.hosts = await startHosts(1);
    ctx.rig = makeRig("ssh", ctx.hosts, tag);
    ctx.dir = tempDir(dirPrefix);
  });
  afterAll(async () => {
    await ctx.rig?.stop();
    await ctx.hosts?.stop();
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
