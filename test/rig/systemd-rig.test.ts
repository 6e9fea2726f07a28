/**
 * Smoke test of the real-hosts rig (test/support/systemd-rig.ts): one shared set of machines,
 * one per variant, checked from the outside with the OpenSSH client as a user would.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BANNER_STDERR,
  BANNER_STDOUT,
  FISH_GREETING_STDOUT,
  rigSkipReason,
  startSystemdRig,
  useSystemdRig,
  type RigMachine,
} from "../support/systemd-rig.js";
import { mountsUnder, ownerFile, runCgroupDirs, sweepStaleRuns } from "../support/systemd-rig-host.js";
import { tempDir } from "../support/temp-dir.js";

const rig = useSystemdRig([
  { name: "web" },
  { name: "banner", banner: true },
  { name: "fish", loginShell: "fish" },
  { name: "nosftp", noSftp: true },
  { name: "sudopw", sudoPassword: true },
  { name: "bastion", bastion: true },
  { name: "inner", behindBastion: "bastion" },
]);

const work = tempDir("fleet-rig-test-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A private ssh_config: the rig's key and known_hosts, strict host key checking, no prompts. */
function sshConfig(): string {
  const path = join(work, "ssh_config");
  writeFileSync(
    path,
    [
      "Host *",
      `  IdentityFile ${rig.keyPath}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${rig.knownHostsPath}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  ConnectTimeout 10",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], input = ""): Run {
  const r = spawnSync(cmd, args, { encoding: "utf8", input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function ssh(m: RigMachine, command: string, extra: readonly string[] = [], user = m.user): Run {
  return run("ssh", ["-F", sshConfig(), ...extra, "-p", String(m.port), `${user}@${m.host}`, command]);
}

describe.skipIf(rigSkipReason)("systemd rig", { timeout: 120_000 }, () => {
  it("boots real systemd on every machine, each with its own identity", async () => {
    const ids = new Set<string>();
    for (const m of rig.rig.machines) {
      expect((await m.exec("systemctl is-system-running")).stdout.trim(), m.name).toBe("running");
      expect((await m.exec(["readlink", "/proc/1/exe"])).stdout.trim()).toMatch(/\/systemd$/);
      expect((await m.readFile("/etc/hostname")).trim()).toBe(m.name);
      expect((await m.exec("hostname")).stdout.trim()).toBe(m.name);
      expect((await m.exec("readlink -f /bin/sh")).stdout.trim()).toBe("/usr/bin/dash");
      ids.add((await m.readFile("/etc/machine-id")).trim());
      expect(await m.journal(["-b", "-u", "ssh.service", "-o", "cat"])).toMatch(/Server listening on 127\.0\.0\.1 port/);
    }
    expect(ids.size).toBe(rig.rig.machines.length);
    console.log(`systemd rig: ${rig.rig.machines.length} machines booted in ${rig.rig.bootMs} ms`);
  });

  it("lets deploy in over ssh with the rig key and strict host key checking, and root with the root key", () => {
    const web = rig.get("web");
    expect(web.target).toBe(`ssh://deploy@127.0.0.1:${web.port}`);
    const r = ssh(web, "id -un; hostname");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("deploy\nweb\n");
    expect(readFileSync(web.knownHostsPath, "utf8")).toBe(`[127.0.0.1]:${web.port} ${web.hostPubKey}\n`);
    const asRoot = run("ssh", ["-F", sshConfig(), "-i", rig.rootKeyPath, "-p", String(web.port), "root@127.0.0.1", "id -u"]);
    expect(asRoot.stdout).toBe("0\n");
    // The deploy key is not root's, and another machine's host key does not pass for this one's.
    const wrongKey = run("ssh", ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", rig.keyPath,
      "-o", `UserKnownHostsFile=${web.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes", "-p", String(web.port), "root@127.0.0.1", "true"]);
    expect(wrongKey.code).toBe(255);
    const other = rig.get("banner");
    const wrongHost = run("ssh", ["-F", "/dev/null", "-o", "BatchMode=yes", "-i", rig.keyPath,
      "-o", `UserKnownHostsFile=${web.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes", "-p", String(other.port), "deploy@127.0.0.1", "true"]);
    expect(wrongHost.code).toBe(255);
    expect(wrongHost.stderr).toMatch(/Host key verification failed|No ED25519 host key is known/);
  });

  it("gives deploy passwordless sudo, except on the sudoPassword machine", () => {
    expect(ssh(rig.get("web"), "sudo -n true && sudo -n id -u")).toMatchObject({ code: 0, stdout: "0\n" });
    const pw = ssh(rig.get("sudopw"), "sudo -n true");
    expect(pw.code).not.toBe(0);
    expect(pw.stderr).toMatch(/a password is required/);
  });

  it("prints the banner on stdout and stderr on the banner machine only", () => {
    const b = ssh(rig.get("banner"), "true");
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(`${BANNER_STDOUT}\n`);
    expect(b.stderr).toBe(`${BANNER_STDERR}\n`);
    expect(ssh(rig.get("web"), "true")).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("runs fish as deploy's login shell on the fish machine", async () => {
    const f = rig.get("fish");
    expect((await f.exec("getent passwd deploy | cut -d: -f7")).stdout.trim()).toBe("/usr/bin/fish");
    const r = ssh(f, "echo $FISH_VERSION; test -n \"$FISH_VERSION\"; and echo is-fish");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${FISH_GREETING_STDOUT}\n`);
    expect(r.stdout).toMatch(/\n\d+\.\d+\.\d+\nis-fish\n$/);
  });

  it("refuses sftp on the noSftp machine and serves it elsewhere", () => {
    const cfg = sshConfig();
    const ok = run("sftp", ["-F", cfg, "-b", "-", "-P", String(rig.get("web").port), "deploy@127.0.0.1"], "pwd\n");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("/home/deploy");
    const no = run("sftp", ["-F", cfg, "-b", "-", "-P", String(rig.get("nosftp").port), "deploy@127.0.0.1"], "pwd\n");
    expect(no.code).not.toBe(0);
    expect(no.stderr).toMatch(/subsystem request failed/);
  });

  it("reaches the machine behind the bastion only through the bastion", () => {
    const inner = rig.get("inner");
    const bastion = rig.get("bastion");
    expect(inner.jump).toEqual({
      host: "127.0.0.1",
      port: bastion.port,
      user: "deploy",
      spec: `deploy@127.0.0.1:${bastion.port}`,
      target: bastion.target,
    });
    const direct = ssh(inner, "hostname");
    expect(direct.code).toBe(255);
    expect(direct.stderr).toMatch(/Connection refused/);
    expect(ssh(bastion, "hostname").stdout).toBe("bastion\n");
    // Both host keys are checked: rig.knownHostsPath holds the bastion's and the target's.
    const jumped = ssh(inner, "hostname; id -un", ["-J", inner.jump!.spec]);
    expect(jumped).toMatchObject({ code: 0, stdout: "inner\ndeploy\n" });
    const unknownTarget = run("ssh", ["-F", sshConfig(), "-o", `UserKnownHostsFile=${bastion.knownHostsPath}`, "-J", inner.jump!.spec,
      "-p", String(inner.port), "deploy@127.0.0.1", "true"]);
    expect(unknownTarget.code).toBe(255);
  });

  it("starts a unit written under the machine's root after daemon-reload", async () => {
    const web = rig.get("web");
    writeFileSync(
      web.path("/etc/systemd/system/rig-hello.service"),
      "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo hello from $$(hostname) > /run/rig-hello'\n",
    );
    expect((await web.exec("systemctl daemon-reload && systemctl start rig-hello.service")).code).toBe(0);
    expect((await web.exec("systemctl is-active rig-hello.service")).stdout.trim()).toBe("active");
    expect(await web.readFile("/run/rig-hello")).toBe("hello from web\n");
    expect(existsSync(web.path("/run/rig-hello"))).toBe(false); // /run is the machine's own tmpfs
  });

  it("mounts a small tmpfs inside a machine that fills up", async () => {
    const web = rig.get("web");
    await web.mountTmpfs("/srv/small", 64, { owner: "deploy:deploy" });
    expect((await web.exec("findmnt -n -o FSTYPE,SIZE /srv/small")).stdout.trim().split(/\s+/)).toEqual(["tmpfs", "64K"]);
    const fill = ssh(web, "head -c 200000 /dev/zero > /srv/small/fill");
    expect(fill.code).not.toBe(0);
    expect(fill.stderr).toMatch(/No space left on device/);
    expect(ssh(web, "findmnt -n -o TARGET /srv/small").stdout).toBe("/srv/small\n");
  });

  it("writes files inside with owner and mode, and drops ssh sessions like a broken link", async () => {
    const web = rig.get("web");
    await web.writeFile("/srv/owned", "data\n", { owner: "deploy:deploy", mode: "0640" });
    expect((await web.exec("stat -c '%U:%G %a' /srv/owned")).stdout).toBe("deploy:deploy 640\n");
    expect(await web.readFile("/srv/owned")).toBe("data\n");
    const session = spawn("ssh", ["-F", sshConfig(), "-p", String(web.port), "deploy@127.0.0.1", "echo up; sleep 60"]);
    const out: Buffer[] = [];
    session.stdout.on("data", (d: Buffer) => out.push(d));
    const exited = new Promise<number | null>((r) => session.on("exit", (code) => r(code)));
    while (!Buffer.concat(out).toString().includes("up")) await new Promise((r) => setTimeout(r, 50));
    expect(await web.dropSshSessions()).toBeGreaterThan(0);
    expect(await exited).toBe(255);
    expect(ssh(web, "echo again").stdout).toBe("again\n"); // the listener is still there
  });

  it("boots a rebooted machine again on the same root and port, with a new boot id", async () => {
    const web = rig.get("web");
    const before = await web.bootId();
    const pidBefore = web.pid();
    writeFileSync(web.path("/etc/rig-survives-reboot"), "yes\n");
    const after = await web.reboot();
    expect(after).not.toBe(before);
    expect(web.pid()).not.toBe(pidBefore);
    expect(await web.bootId()).toBe(after);
    expect((await web.exec("systemctl is-system-running")).stdout.trim()).toBe("running");
    expect(ssh(web, "cat /etc/rig-survives-reboot; findmnt -n /srv/small || echo no-tmpfs").stdout).toBe("yes\nno-tmpfs\n");
    const boots = await web.journal(["--list-boots", "-q"]);
    expect(boots.trim().split("\n")).toHaveLength(2);
  });
});

/** Live processes (not zombies) whose command line names the run. */
function processesOf(runId: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(runId)) out.push(`${p}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

function leftovers(runId: string, dir: string): string[] {
  return [
    ...mountsUnder(dir).map((m) => `mount ${m}`),
    ...processesOf(runId),
    ...runCgroupDirs(runId).filter(existsSync).map((c) => `cgroup ${c}`),
    ...(existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.includes(runId)).map((n) => `netns ${n}`) : []),
    ...(existsSync(dir) ? [`dir ${dir}`] : []),
  ];
}

describe.skipIf(rigSkipReason)("systemd rig teardown", { timeout: 180_000 }, () => {
  it("leaves no mount, process, cgroup, netns or directory behind", async () => {
    const r = await startSystemdRig([{ name: "gw", bastion: true }, { name: "app", behindBastion: "gw" }]);
    expect(leftovers(r.runId, r.dir).length).toBeGreaterThan(0);
    const locks = r.machines.map((m) => {
      const st = statSync(m.root);
      return `/run/systemd/nspawn/locks/inode-${st.dev}:${st.ino}`;
    });
    expect(locks.filter(existsSync)).toEqual(locks);
    await r.stop();
    expect(leftovers(r.runId, r.dir)).toEqual([]);
    expect(locks.filter(existsSync)).toEqual([]);
    await r.stop(); // idempotent
  });

  it("sweeps the machines of a run whose owner died", async () => {
    const r = await startSystemdRig([{ name: "orphan" }]);
    const owner = JSON.parse(readFileSync(ownerFile(r.runId), "utf8")) as { pid: number; start: string };
    // Pretend the owning test worker was killed: same pid, another process start time.
    writeFileSync(ownerFile(r.runId), JSON.stringify({ ...owner, start: "0" }));
    expect(sweepStaleRuns()).toContain(r.runId);
    expect(leftovers(r.runId, r.dir)).toEqual([]);
    await r.stop();
  });
});
