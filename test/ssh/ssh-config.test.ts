/**
 * OpenSSH client configuration and ssh-agent through the built CLI, against real sshds: a target
 * that only a bastion can reach deploys through ProxyJump from ~/.ssh/config (or -F FILE), with
 * the host keys of both hops checked; agent authentication with no --key; configuration mistakes
 * and faults of a hop as per-host ✗ lines naming the hop, a malformed -F file as exit 2.
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBastionTopology, type BastionTopology } from "../support/bastion.js";
import { runFleet, type CliResult } from "../support/cli.js";
import { TEST_USER } from "../support/sshd.js";
import { treeHash } from "../support/tree-hash.js";
import { writeFleetDir } from "./pcl.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, "127.0.0.1", () => r((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

describe.skipIf(!HAVE_SSHD)("ssh_config and ssh-agent through the CLI (bastion in front of a namespaced target)", () => {
  let topo: BastionTopology;
  let home: string;
  let work: string;
  let managed: string;
  let knownHosts: string;
  const tag = `fleet-sshcfg-${process.pid}`;
  const remoteHome = `/home/${TEST_USER}`;

  /** The ~/.ssh/config an operator would write: the bastion by alias, the target behind it. */
  function sshConfig(extra: { bastionPort?: number; knownHosts?: string; identities?: boolean } = {}): string {
    const ids = extra.identities ?? true;
    return [
      "# fleet test configuration",
      "Host bastion",
      "  HostName 127.0.0.1",
      `  Port ${extra.bastionPort ?? topo.bastion.port}`,
      `  User ${TEST_USER}`,
      ...(ids ? [`  IdentityFile ${topo.bastion.clientKeyPath}`] : []),
      "",
      "Host web web-*",
      "  HostName 127.0.0.1",
      `  Port ${topo.target.port}`,
      "  ProxyJump bastion",
      ...(ids ? [`  IdentityFile ${topo.target.clientKeyPath}`] : []),
      "",
      "Host *",
      `  UserKnownHostsFile ${extra.knownHosts ?? knownHosts}`,
      "  IdentitiesOnly no",
      "",
    ].join("\n");
  }

  function fleet(args: readonly string[], env: Record<string, string> = {}): CliResult {
    return runFleet([...args, "--store-root", `~/.${tag}/store`, "--deployments-root", `~/.${tag}/deployments`], {
      env: { HOME: home, SSH_AUTH_SOCK: "", ...env },
    });
  }

  beforeAll(async () => {
    topo = await startBastionTopology({ user: TEST_USER });
    home = tempDir("fleet-sshcfg-home-");
    work = tempDir("fleet-sshcfg-work-");
    managed = tempDir("fleet-sshcfg-managed-");
    execFileSync("/bin/chmod", ["0755", managed]);
    chownSync(managed, Number(execFileSync("id", ["-u", TEST_USER]).toString()), Number(execFileSync("id", ["-g", TEST_USER]).toString()));
    knownHosts = join(work, "known_hosts");
    writeFileSync(knownHosts, readFileSync(topo.bastion.knownHostsPath, "utf8") + readFileSync(topo.target.knownHostsPath, "utf8"));
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".ssh", "config"), sshConfig());
    const file = (v: string) => [{ path: `${managed}/etc/app.conf`, content: `${v}\\n` }];
    writeFleetDir(join(work, "v1"), [{ stack: "Web", target: `ssh://${TEST_USER}@web`, pkg: { version: "1" }, files: file("v1") }]);
    writeFleetDir(join(work, "v2"), [{ stack: "Web", target: `ssh://${TEST_USER}@web`, pkg: { version: "1" }, files: file("v2") }]);
    writeFleetDir(join(work, "direct"), [{ stack: "Web", target: `ssh://${TEST_USER}@127.0.0.1:${topo.target.port}`, files: file("direct") }]);
  });
  afterAll(async () => {
    await topo?.stop();
    for (const d of [home, work, managed, `${remoteHome}/.${tag}`]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("the target cannot be reached directly, from here or with fleet", async () => {
    expect(await tcpRefused(topo.target.port)).toBe(true);
    const r = fleet(["apply", join(work, "direct", "fleet.pcl"), "--key", topo.target.clientKeyPath, "-F", "none"]);
    expect(r.stderr).toBe(
      `✗ Web → ssh://${TEST_USER}@127.0.0.1:${topo.target.port}: cannot connect to ssh://${TEST_USER}@127.0.0.1:${topo.target.port}: connection refused; check that sshd listens on that port\n`,
    );
    expect(r.code).toBe(1);
  });

  it("deploys through ProxyJump from ~/.ssh/config, then a change, then rolls back byte for byte", () => {
    const jumpsBefore = existsSync(topo.bastion.logPath) ? (readFileSync(topo.bastion.logPath, "utf8").match(/Accepted publickey/g) ?? []).length : 0;
    const first = fleet(["apply", join(work, "v1", "fleet.pcl")]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(`✓ Web → ssh://${TEST_USER}@web\nfleet: 1/1 host(s) deployed\n`);
    expect(first.code).toBe(0);
    expect(readFileSync(join(managed, "etc/app.conf"), "utf8")).toBe("v1\n");
    // The bastion authenticated the bastion's own key (IdentityFile of Host bastion) once.
    const bastionLog = readFileSync(topo.bastion.logPath, "utf8");
    expect((bastionLog.match(/Accepted publickey/g) ?? []).length).toBe(jumpsBefore + 1);
    const tree1 = treeHash(managed);

    const second = fleet(["apply", join(work, "v2", "fleet.pcl")]);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(readFileSync(join(managed, "etc/app.conf"), "utf8")).toBe("v2\n");
    const status = fleet(["verify", join(work, "v2", "fleet.pcl")]);
    expect(status.stdout).toContain("fleet: 1/1 host(s) verified\n");
    expect(status.code).toBe(0);

    const back = fleet(["rollback", join(work, "v2", "fleet.pcl")]);
    expect(back.stderr).toBe("");
    expect(back.stdout).toBe(`↩ Web → gen-001 (was gen-002); 1 restored, 0 removed\nfleet: 1/1 host(s) rolled back\n`);
    expect(treeHash(managed)).toBe(tree1);
  });

  it("checks the bastion's host key: a wrong one in known_hosts refuses, naming the jump host; nothing changes", () => {
    const tree = treeHash(managed);
    const wrong = join(work, "wrong_bastion");
    const stranger = readFileSync(`${topo.target.hostKeyPath}.pub`, "utf8").split(" ");
    writeFileSync(wrong, `[127.0.0.1]:${topo.bastion.port} ${stranger[0]} ${stranger[1]}\n${readFileSync(topo.target.knownHostsPath, "utf8")}`);
    const cfg = join(work, "wrong_bastion.config");
    writeFileSync(cfg, sshConfig({ knownHosts: wrong }));
    const r = fleet(["apply", join(work, "v1", "fleet.pcl"), "-F", cfg]);
    expect(r.stderr).toMatch(
      new RegExp(
        `^✗ Web → ssh://${TEST_USER}@web: jump host bastion \\(${TEST_USER}@127\\.0\\.0\\.1:${topo.bastion.port}\\): host key for \\[127\\.0\\.0\\.1\\]:${topo.bastion.port} does not match: offered ssh-ed25519 SHA256:[A-Za-z0-9+/]+; if the host was legitimately re-keyed, replace line 1 of ${esc(wrong)}\\n$`,
      ),
    );
    expect(r.code).toBe(1);
    expect(treeHash(managed)).toBe(tree);
  });

  it("checks the target's host key too, under its own name and port", () => {
    const onlyBastion = join(work, "only_bastion");
    writeFileSync(onlyBastion, readFileSync(topo.bastion.knownHostsPath, "utf8"));
    const cfg = join(work, "only_bastion.config");
    writeFileSync(cfg, sshConfig({ knownHosts: onlyBastion }));
    const r = fleet(["status", join(work, "v1", "fleet.pcl"), "--ssh-config", cfg]);
    expect(r.stderr + r.stdout).toMatch(
      new RegExp(`host key for \\[127\\.0\\.0\\.1\\]:${topo.target.port} is unknown: offered ssh-ed25519 SHA256:[A-Za-z0-9+/]+; pass --accept-new-host-keys`),
    );
    expect(r.stderr + r.stdout).not.toContain("jump host");
    expect(r.code).toBe(1);
  });

  it("an unreachable bastion is a ✗ line naming the jump host", async () => {
    const port = await closedPort();
    const cfg = join(work, "dead_bastion.config");
    writeFileSync(cfg, sshConfig({ bastionPort: port }));
    const r = fleet(["apply", join(work, "v1", "fleet.pcl"), "-F", cfg]);
    expect(r.stderr).toBe(
      `✗ Web → ssh://${TEST_USER}@web: cannot connect to jump host bastion (${TEST_USER}@127.0.0.1:${port}): connection refused; check that sshd listens on that port\n`,
    );
    expect(r.code).toBe(1);
  });

  it("ConnectTimeout of ssh_config applies when --connect-timeout is not given, and the flag wins", async () => {
    const silent = createServer(() => undefined);
    const port = await new Promise<number>((r) => silent.listen(0, "127.0.0.1", () => r((silent.address() as { port: number }).port)));
    try {
      const cfg = join(work, "slow.config");
      writeFileSync(cfg, `Host bastion\n  ConnectTimeout 1\n${sshConfig({ bastionPort: port })}`);
      const r = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", cfg]);
      expect(r.stderr).toContain(`cannot reach jump host bastion (${TEST_USER}@127.0.0.1:${port}): no SSH session within 1000 ms`);
      const flag = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", cfg, "--connect-timeout", "2"]);
      expect(flag.stderr).toContain(`no SSH session within 2000 ms`);
    } finally {
      silent.close();
    }
  });

  it("a configuration line fleet cannot honour fails the hosts it applies to, located file:line", () => {
    const cfg = join(work, "lax.config");
    writeFileSync(cfg, `Host web-lax\n  StrictHostKeyChecking no\n${sshConfig()}`);
    writeFleetDir(join(work, "lax"), [{ stack: "Lax", target: `ssh://${TEST_USER}@web-lax`, files: [{ path: `${managed}/lax.conf`, content: "x" }] }]);
    const r = fleet(["apply", join(work, "lax", "fleet.pcl"), "-F", cfg]);
    expect(r.stderr).toBe(
      `✗ Lax → ssh://${TEST_USER}@web-lax: ${cfg}:2: StrictHostKeyChecking no is refused for ssh://${TEST_USER}@web-lax: fleet never trusts an unchecked host key; use accept-new (or --accept-new-host-keys) to record new keys\n`,
    );
    expect(r.code).toBe(1);
  });

  it("a malformed -F file is a usage error located file:line, before any host", () => {
    const cfg = join(work, "broken.config");
    writeFileSync(cfg, `${sshConfig()}Host extra\n  Port twenty-two\n`);
    const line = sshConfig().split("\n").length + 1;
    const r = fleet(["apply", join(work, "v1", "fleet.pcl"), "-F", cfg]);
    expect(r.stderr).toBe(`fleet: error: ${cfg}:${line}: error: Port must be a number from 1 to 65535, not 'twenty-two'\n`);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(2);
    const missing = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", join(work, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--ssh-config ${join(work, "nope")}: no such file`);
  });

  it("authenticates every hop through a real ssh-agent when no key is named anywhere", () => {
    const sock = join(work, "agent.sock");
    const out = execFileSync("/usr/bin/ssh-agent", ["-a", sock, "-s"], { encoding: "utf8" });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      const cfg = join(work, "agent.config");
      writeFileSync(cfg, sshConfig({ identities: false }));
      // An empty agent: both hops are refused, and the message says what was offered.
      const empty = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", cfg], { SSH_AUTH_SOCK: sock });
      expect(empty.stderr + empty.stdout).toContain(
        `jump host bastion (${TEST_USER}@127.0.0.1:${topo.bastion.port}) refused the keys of ssh-agent (publickey authentication failed)`,
      );
      expect(empty.code).toBe(1);
      for (const k of [topo.bastion.clientKeyPath, topo.target.clientKeyPath]) {
        execFileSync("/usr/bin/ssh-add", [k], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
      }
      const r = fleet(["apply", join(work, "v2", "fleet.pcl"), "-F", cfg], { SSH_AUTH_SOCK: sock });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`✓ Web → ssh://${TEST_USER}@web\nfleet: 1/1 host(s) deployed\n`);
      expect(r.code).toBe(0);
      expect(readFileSync(join(managed, "etc/app.conf"), "utf8")).toBe("v2\n");

      // IdentitiesOnly: the agent offers only keys named by IdentityFile (here by their .pub alone).
      const only = (keys: readonly string[]): string => {
        const f = join(work, `only-${keys.length}.config`);
        const ids = keys.map((k, i) => {
          const pubOnly = join(work, `pub-only-${keys.length}-${i}`);
          writeFileSync(`${pubOnly}.pub`, readFileSync(`${k}.pub`));
          return `  IdentityFile ${pubOnly}`;
        });
        writeFileSync(f, `Host *\n  IdentitiesOnly yes\n${ids.join("\n")}\n${sshConfig({ identities: false })}`);
        return f;
      };
      const wrong = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", only([topo.target.strangerKeyPath])], { SSH_AUTH_SOCK: sock });
      expect(wrong.stderr + wrong.stdout).toContain(`jump host bastion (${TEST_USER}@127.0.0.1:${topo.bastion.port}) refused the keys of ssh-agent`);
      expect(wrong.code).toBe(1);
      const right = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", only([topo.bastion.clientKeyPath, topo.target.clientKeyPath])], {
        SSH_AUTH_SOCK: sock,
      });
      expect(right.stderr).toBe("");
      expect(right.code).toBe(0);
    } finally {
      process.kill(pid);
    }
  });

  it("--accept-new-host-keys (or StrictHostKeyChecking accept-new) records both hops' keys in UserKnownHostsFile", () => {
    const fresh = join(work, "fresh_known_hosts");
    const cfg = join(work, "tofu.config");
    writeFileSync(cfg, `Host bastion web\n  StrictHostKeyChecking accept-new\n${sshConfig({ knownHosts: fresh })}`);
    const r = fleet(["status", join(work, "v1", "fleet.pcl"), "-F", cfg]);
    expect(r.code).toBe(0);
    const lines = readFileSync(fresh, "utf8").trim().split("\n").sort();
    const key = (p: string): string => readFileSync(p, "utf8").split(" ").slice(0, 2).join(" ");
    expect(lines).toEqual(
      [`[127.0.0.1]:${topo.bastion.port} ${key(`${topo.bastion.hostKeyPath}.pub`)}`, `[127.0.0.1]:${topo.target.port} ${key(`${topo.target.hostKeyPath}.pub`)}`].sort(),
    );
  });
});
