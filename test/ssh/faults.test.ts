/** Connection and host-key failures against real sshd instances: clean, one-sentence FleetErrors. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/fleet-error.js";
import { SshTransport, type SshConnectOptions } from "../../src/transport/ssh-transport.js";
import { startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";

requireSshdUnderCi();

async function refusal(opts: SshConnectOptions): Promise<FleetError> {
  const e = await SshTransport.connect(opts).then(
    async (t) => {
      await t.close();
      return null;
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FleetError);
  return e as FleetError;
}

/** ssh-keygen's own fingerprint of a public key file, the ground truth for our messages. */
function keygenFingerprint(pubPath: string): string {
  const out = execFileSync("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", pubPath], { encoding: "utf8" });
  return /(SHA256:[A-Za-z0-9+/]+)/.exec(out)![1]!;
}

describe.skipIf(!HAVE_SSHD)("SSH faults", () => {
  let a: Sshd;
  let b: Sshd;
  let ops: Sshd;
  beforeAll(async () => {
    [a, b, ops] = await Promise.all([startSshd(), startSshd(), startSshd({ user: TEST_USER })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), ops?.stop()]);
  });

  it("two sshd instances are separate hosts with their own host keys", () => {
    expect(a.port).not.toBe(b.port);
    expect(a.hostPubKey).not.toBe(b.hostPubKey);
  });

  it("authenticates with ed25519 and RSA keys", async () => {
    for (const key of [a.clientKeyPath, a.rsaKeyPath]) {
      const t = await SshTransport.connect({ target: a.target, key, knownHosts: a.knownHostsPath });
      expect((await t.run("id -un")).stdout).toBe("root\n");
      await t.close();
    }
  });

  it("a key the server does not accept is refused naming target and key", async () => {
    const e = await refusal({ target: a.target, key: a.strangerKeyPath, knownHosts: a.knownHostsPath });
    expect(e.message).toBe(
      `${a.target} refused key ${a.strangerKeyPath} (publickey authentication failed); authorise its public key for that user or pass another --key`,
    );
  });

  it("a passphrase-protected key gets its own message", async () => {
    const e = await refusal({ target: a.target, key: a.encryptedKeyPath, knownHosts: a.knownHostsPath });
    expect(e.message).toBe(`key ${a.encryptedKeyPath} is passphrase-protected; use ssh-agent`);
  });

  it("an unknown host key is refused with its OpenSSH fingerprint", async () => {
    const empty = join(a.dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const e = await refusal({ target: a.target, key: a.clientKeyPath, knownHosts: empty });
    expect(e.message).toBe(
      `host key for [127.0.0.1]:${a.port} is unknown: offered ssh-ed25519 ${keygenFingerprint(`${a.hostKeyPath}.pub`)}; pass --accept-new-host-keys to trust it on first contact`,
    );
    expect(readFileSync(empty, "utf8")).toBe("");
  });

  it("a changed host key is refused, even with --accept-new-host-keys, and nothing is appended", async () => {
    // b's known_hosts pins b's key; point it at a's port: a now offers a "changed" key.
    const kh = join(a.dir, "changed_known_hosts");
    const [type, blob] = b.hostPubKey.split(" ");
    writeFileSync(kh, `# pinned\n[127.0.0.1]:${a.port} ${type} ${blob}\n`);
    const before = readFileSync(kh, "utf8");
    for (const accept of [false, true]) {
      const e = await refusal({ target: a.target, key: a.clientKeyPath, knownHosts: kh, acceptNewHostKeys: accept });
      expect(e.message).toBe(
        `host key for [127.0.0.1]:${a.port} does not match: offered ssh-ed25519 ${keygenFingerprint(`${a.hostKeyPath}.pub`)}; if the host was legitimately re-keyed, replace line 2 of ${kh}`,
      );
    }
    expect(readFileSync(kh, "utf8")).toBe(before);
  });

  it("a revoked host key is refused even with --accept-new-host-keys", async () => {
    const kh = join(a.dir, "revoked_known_hosts");
    const [type, blob] = a.hostPubKey.split(" ");
    writeFileSync(kh, `@revoked * ${type} ${blob}\n`);
    const e = await refusal({ target: a.target, key: a.clientKeyPath, knownHosts: kh, acceptNewHostKeys: true });
    expect(e.message).toMatch(new RegExp(`^host key for \\[127\\.0\\.0\\.1\\]:${a.port} is revoked: offered ssh-ed25519 SHA256:`));
    expect(readFileSync(kh, "utf8")).toBe(`@revoked * ${type} ${blob}\n`);
  });

  it("--accept-new-host-keys records the key on first contact; later runs need no flag", async () => {
    const kh = join(b.dir, "tofu", "known_hosts");
    const t = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: kh, acceptNewHostKeys: true });
    await t.close();
    const [type, blob] = b.hostPubKey.split(" ");
    expect(readFileSync(kh, "utf8")).toBe(`[127.0.0.1]:${b.port} ${type} ${blob}\n`);
    const again = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: kh });
    await again.close();
    expect(readFileSync(kh, "utf8").split("\n")).toHaveLength(2);
  });

  it("a port nobody listens on is a clean refusal", async () => {
    const srv = createServer();
    const port = await new Promise<number>((r) => srv.listen(0, "127.0.0.1", () => r((srv.address() as { port: number }).port)));
    await new Promise((r) => srv.close(r));
    const e = await refusal({ target: `ssh://root@127.0.0.1:${port}`, key: a.clientKeyPath, knownHosts: a.knownHostsPath });
    expect(e.message).toBe(`cannot connect to ssh://root@127.0.0.1:${port}: connection refused; check that sshd listens on that port`);
  });

  it("a server that never speaks SSH hits the connect timeout", async () => {
    const silent: Server = createServer(() => undefined);
    const port = await new Promise<number>((r) => silent.listen(0, "127.0.0.1", () => r((silent.address() as { port: number }).port)));
    try {
      const e = await refusal({
        target: `ssh://root@127.0.0.1:${port}`,
        key: a.clientKeyPath,
        knownHosts: a.knownHostsPath,
        connectTimeoutMs: 400,
      });
      expect(e.message).toBe(
        `cannot reach ssh://root@127.0.0.1:${port}: no SSH session within 400 ms; check the host and port or raise --connect-timeout`,
      );
    } finally {
      silent.close();
    }
  });

  it("no key and no agent is a clear error", async () => {
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const e = await refusal({ target: a.target, knownHosts: a.knownHostsPath });
      expect(e.message).toBe(`no SSH key for ${a.target}: pass --key or start ssh-agent (SSH_AUTH_SOCK)`);
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it("authenticates through ssh-agent when no --key is given", async () => {
    const sock = join(a.dir, "agent.sock");
    const out = execFileSync("/usr/bin/ssh-agent", ["-a", sock, "-s"], { encoding: "utf8" });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      execFileSync("/usr/bin/ssh-add", [a.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
      const t = await SshTransport.connect({ target: a.target, knownHosts: a.knownHostsPath, agent: sock });
      expect((await t.run("echo via-agent")).stdout).toBe("via-agent\n");
      await t.close();
    } finally {
      process.kill(pid);
    }
  });

  it("uses one connection for many operations", async () => {
    const count = (): number => (readFileSync(b.logPath, "utf8").match(/Accepted publickey/g) ?? []).length;
    const before = count();
    const t = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: b.knownHostsPath });
    const base = `${b.dir}/reuse`;
    for (let i = 0; i < 5; i++) await t.writeFileAtomic(`${base}/f${i}`, Buffer.from(String(i)), 0o644);
    await t.digestFiles([`${base}/f0`, `${base}/f4`]);
    await t.run("true");
    await t.readdir(base);
    await t.close();
    expect(count() - before).toBe(1);
  });

  it("digestFiles stays in order across several xargs batches (thousands of long paths)", async () => {
    const dir = join(b.dir, "many", "x".repeat(150));
    mkdirSync(dir, { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = join(dir, `file-${i}-${"y".repeat(60)}`);
      if (i % 7 !== 0) writeFileSync(p, `n${i}`);
      paths.push(p);
    }
    const t = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: b.knownHostsPath });
    try {
      const ds = await t.digestFiles(paths);
      const { createHash } = await import("node:crypto");
      ds.forEach((d, i) => {
        if (i % 7 === 0) expect(d).toBeNull();
        else expect(d?.sha256).toBe(createHash("sha256").update(`n${i}`).digest("hex"));
      });
      const present = await t.storePathsPresent(paths.slice(0, 10));
      expect(present).toEqual(Array(10).fill(false));
    } finally {
      await t.close();
    }
  });

  it("a non-root user gets the target's own permission error for /etc, and its own $HOME", async () => {
    const t = await SshTransport.connect({ target: ops.target, key: ops.clientKeyPath, knownHosts: ops.knownHostsPath });
    try {
      expect(await t.home()).toBe(`/home/${TEST_USER}`);
      const e = await t.writeFileAtomic("/etc/fleet-ssh-test/app.conf", Buffer.from("x"), 0o644).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(FleetError);
      expect((e as FleetError).message).toBe(
        `cannot create directory /etc/fleet-ssh-test on ${ops.target}: Permission denied`,
      );
      expect(existsSync("/etc/fleet-ssh-test")).toBe(false);
      // Where the user may write, it works.
      await t.writeFileAtomic(`/home/${TEST_USER}/.fleet-test/x`, Buffer.from("ok"), 0o600);
      expect(statSync(`/home/${TEST_USER}/.fleet-test/x`).mode & 0o777).toBe(0o600);
      await t.removeTree(`/home/${TEST_USER}/.fleet-test`);
    } finally {
      await t.close();
    }
  });

  it("killing the sshd session mid-push fails cleanly; a re-run completes the store path", async () => {
    const local = join(a.dir, "local-store", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-big-1.0");
    mkdirSync(join(local, "data"), { recursive: true });
    const blob = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < blob.length; i += 4096) blob[i] = i & 0xff;
    writeFileSync(join(local, "data", "blob"), blob);
    writeFileSync(join(local, ".fleet-built"), "");
    const remote = `${a.dir}/remote-store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-big-1.0`;
    const item = { localPath: local, remotePath: remote };

    const t = await SshTransport.connect({ target: a.target, key: a.clientKeyPath, knownHosts: a.knownHostsPath });
    const push = t.pushStorePaths([item]).then(
      () => null,
      (e: unknown) => e,
    );
    while (t.bytesSent < 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
    expect(a.killSessions()).toBeGreaterThan(0);
    const e = await push;
    expect(e).toBeInstanceOf(FleetError);
    expect((e as FleetError).message).toMatch(new RegExp(`^connection to ${a.target.replace(/[.]/g, "\\.")} dropped \\(.*\\) during push 1 store path\\(s\\) to [^;]+; the next apply or rollback finishes it$`));
    // Absent or complete, never half there.
    expect(existsSync(remote)).toBe(false);
    // Later calls on the dead transport fail the same clean way.
    await expect(t.stat(remote)).rejects.toThrow(/dropped/);
    await t.close();

    const again = await SshTransport.connect({ target: a.target, key: a.clientKeyPath, knownHosts: a.knownHostsPath });
    const { bytes } = await again.pushStorePaths([item]);
    expect(bytes).toBeGreaterThan(blob.length);
    expect(await again.storePathsPresent([remote])).toEqual([true]);
    expect(readFileSync(join(remote, "data", "blob")).equals(blob)).toBe(true);
    await again.close();
    expect(readdirSync(`${a.dir}/remote-store`).filter((n) => !n.startsWith(".fleet-push-"))).toEqual([
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-big-1.0",
    ]);
  });

  it("a lock held by a dropped connection is free for the next run", async () => {
    const dir = `${b.dir}/deployments/DbStack`;
    const holder = { host: "deployer", pid: 4242, startedAt: "2026-11-25T09:00:00.000Z" };
    const t1 = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: b.knownHostsPath });
    await t1.acquireLock(dir, holder);
    const t2 = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: b.knownHostsPath });
    await expect(t2.acquireLock(dir, { ...holder, pid: 1 })).rejects.toThrow(
      `${b.target}/DbStack is locked by pid 4242 on host deployer since 2026-11-25T09:00:00.000Z; wait for it to finish`,
    );
    await t2.close();
    b.killSessions();
    const t3 = await SshTransport.connect({ target: b.target, key: b.clientKeyPath, knownHosts: b.knownHostsPath });
    let lock;
    for (let i = 0; i < 50; i++) {
      lock = await t3.acquireLock(dir, { ...holder, pid: 2 }).catch(() => undefined);
      if (lock) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(lock).toBeDefined();
    await lock!.release();
    await t3.close();
    await t1.close();
  });
});
