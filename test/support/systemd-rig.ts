/**
 * The real-hosts test rig: N `systemd-nspawn` containers running real systemd as PID 1, booted in
 * parallel, each reachable over real OpenSSH as a non-root `deploy` user with sudo. ADR 100 says
 * why it is built this way.
 *
 * Use from a test file (one shared set of machines per file):
 *
 *   import { rigSkipReason, useSystemdRig } from "../support/systemd-rig.js";
 *   const rig = useSystemdRig([{ name: "web" }, { name: "db", banner: true }]);
 *   describe.skipIf(rigSkipReason)("…", () => {
 *     it("…", async () => {
 *       const web = rig.get("web");
 *       await web.exec("systemctl is-system-running");   // as root inside, via nsenter
 *       spawnSync("ssh", ["-i", rig.keyPath, "-o", `UserKnownHostsFile=${rig.knownHostsPath}`,
 *         "-p", String(web.port), `deploy@${web.host}`, "true"]);
 *     });
 *   });
 *
 * `useSystemdRig` boots in `beforeAll` and tears down in `afterAll` (also when a test fails);
 * `startSystemdRig(specs)` does the same by hand and returns a `SystemdRig` with `stop()`.
 * Under CI=true a rig that cannot boot throws (the suite fails); elsewhere `rigSkipReason` names
 * the missing prerequisite and the suite may skip (the reason is printed once).
 *
 * Each machine (`RigMachine`):
 *  - `host` "127.0.0.1", `port`, `user` "deploy", `target` "ssh://deploy@127.0.0.1:PORT",
 *    `rootTarget` "ssh://root@127.0.0.1:PORT"; the rig's `keyPath` (deploy) and `rootKeyPath`
 *    (root) are authorised on every machine; `knownHostsPath` holds the machine's host key as
 *    `[127.0.0.1]:PORT` (the rig's `knownHostsPath` holds every machine's); `hostPubKey`.
 *  - `exec(cmd)` / `execSync(cmd)`: a shell string (run by /bin/sh -c) or an argv array, as root
 *    in all the machine's namespaces; resolves to { code, stdout, stderr } and never throws for a
 *    non-zero exit. `readFile(path)` reads through exec (sees tmpfs mounts too); `root` is the
 *    overlay on the host and `path(p)` maps a machine path under it (write units there, then
 *    `systemctl daemon-reload`).
 *  - `mountTmpfs(path, sizeKb, { owner, mode })`: a small tmpfs at `path` inside the machine (a
 *    full disk on demand); gone at reboot.
 *  - `bootId()`, `reboot()` (→ new boot id) and `waitForBoot(previousBootId)`: `systemctl
 *    reboot` inside makes nspawn exit 133; the rig's supervisor boots the same root again, same
 *    port, same upper dir, so whoever rebooted the machine (a test, `fleet reboot`) can wait for
 *    the new boot.
 *  - `writeFile(path, content, { owner, mode })` inside; `dropSshSessions()` SIGKILLs every ssh
 *    session process inside (the listener stays): a dropped link.
 *  - `journal(args)`: `journalctl --no-pager …` inside.
 *  - With the fleet CLI: target `machine.target`, `--key rig.keyPath --known-hosts
 *    rig.knownHostsPath`; hash managed trees under `machine.path("/etc/…")` (tree-hash.ts).
 *
 * Variants, chosen per machine in its spec:
 *  - `banner`: deploy's ~/.bashrc and ~/.profile print BANNER_STDOUT / BANNER_STDERR first.
 *  - `loginShell: "fish"`: deploy's login shell is /usr/bin/fish, whose config prints
 *    FISH_GREETING_STDOUT / FISH_GREETING_STDERR in every session.
 *  - `noSftp`: sshd has no sftp Subsystem.
 *  - `sudoPassword`: deploy's sudo wants SUDO_PASSWORD (`sudo -n` fails).
 *  - `bastion: true` on one machine and `behindBastion: "<its name>"` on others: they share a
 *    private network namespace created by the rig; only the bastion is reachable from the host
 *    (its port is forwarded into the namespace). A target's `port` is where its sshd listens on
 *    127.0.0.1 *inside* that namespace (nothing listens there on the host, so a direct attempt is
 *    refused); `jump` describes the bastion to hop through (`ssh -J deploy@127.0.0.1:BPORT`).
 *  - /bin/sh is dash on every machine (Debian's default, enforced).
 *
 * Every machine also has its own /etc/machine-id, host key, hostname (its spec name) and journal;
 * units of the base image that tests do not need are masked. Everything is named after a
 * run-unique id; each start first sweeps what killed earlier runs left (systemd-rig-host.ts).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import {
  childPids,
  ensureNspawnStateDir,
  freePort,
  netnsName,
  RIG_BASE,
  runCgroupDirs,
  sh,
  sweepStaleRuns,
  teardownRun,
  writeOwner,
} from "./systemd-rig-host.js";
import { DEPLOY_USER, prepareImage } from "./systemd-rig-image.js";

export {
  BANNER_STDERR,
  BANNER_STDOUT,
  DEPLOY_USER,
  FISH_GREETING_STDERR,
  FISH_GREETING_STDOUT,
  SUDO_PASSWORD,
} from "./systemd-rig-image.js";

export interface MachineSpec {
  /** Label and hostname, unique in the rig: lower-case letters, digits, dashes (≤ 20). */
  readonly name: string;
  readonly banner?: boolean;
  readonly loginShell?: "bash" | "fish";
  readonly noSftp?: boolean;
  readonly sudoPassword?: boolean;
  readonly bastion?: boolean;
  /** Name of a `bastion: true` machine of the same rig. */
  readonly behindBastion?: string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly input?: string;
  /** Milliseconds before the command is killed (default 60 s). */
  readonly timeoutMs?: number;
}

export interface JumpHost {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  /** `deploy@127.0.0.1:PORT`, as `ssh -J` takes it. */
  readonly spec: string;
  readonly target: string;
}

export interface RigMachine {
  readonly name: string;
  /** The nspawn machine name (run-unique). */
  readonly machineName: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  readonly target: string;
  readonly rootTarget: string;
  readonly keyPath: string;
  readonly rootKeyPath: string;
  readonly knownHostsPath: string;
  readonly hostPubKey: string;
  /** Set on machines behind a bastion. */
  readonly jump: JumpHost | undefined;
  readonly spec: MachineSpec;
  /** The machine's root filesystem (an overlay of the host's /) as seen from the host. */
  readonly root: string;
  path(machinePath: string): string;
  /** PID (on the host) of the machine's systemd; changes at every boot. */
  pid(): number;
  exec(cmd: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  execSync(cmd: string | readonly string[], options?: ExecOptions): ExecResult;
  readFile(machinePath: string): Promise<string>;
  /** Write a file inside (through exec, so tmpfs mounts work too), then chown/chmod it. */
  writeFile(machinePath: string, content: string, options?: { owner?: string; mode?: string }): Promise<void>;
  /** SIGKILL every ssh session process inside (not the listener): a dropped link. Returns how many. */
  dropSshSessions(): Promise<number>;
  journal(args?: readonly string[]): Promise<string>;
  mountTmpfs(machinePath: string, sizeKb: number, options?: { owner?: string; mode?: string }): Promise<void>;
  bootId(): Promise<string>;
  reboot(): Promise<string>;
  waitForBoot(previousBootId?: string): Promise<string>;
}

export interface SystemdRig {
  readonly runId: string;
  readonly dir: string;
  readonly machines: readonly RigMachine[];
  readonly keyPath: string;
  readonly rootKeyPath: string;
  readonly knownHostsPath: string;
  /** Wall time of the parallel boot, from the first mount to the last machine ready. */
  readonly bootMs: number;
  get(name: string): RigMachine;
  /** Kill every machine, unmount, remove the run's cgroups, netns and files. Idempotent. */
  stop(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 90_000;
const NSPAWN = "/usr/bin/systemd-nspawn";
const SOCKET_ACTIVATE = "/usr/bin/systemd-socket-activate";
const SOCKET_PROXYD = "/lib/systemd/systemd-socket-proxyd";
const REQUIRED = [NSPAWN, "/usr/bin/nsenter", "/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/sudo", "/usr/bin/fish", "/usr/sbin/ip"];
const MACHINE_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  SYSTEMD_PAGER: "",
  SYSTEMD_COLORS: "0",
};

/** Why the rig cannot run on this machine, or undefined when it can. */
export function rigUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return "the systemd rig needs Linux";
  if (process.getuid?.() !== 0) return "the systemd rig needs root";
  const missing = REQUIRED.filter((p) => !existsSync(p));
  if (missing.length) return `the systemd rig needs ${missing.join(", ")} (apt-get install systemd-container openssh-server sudo fish iproute2)`;
  if (!existsSync("/sys/fs/cgroup")) return "the systemd rig needs /sys/fs/cgroup";
  return undefined;
}

/** Under CI a missing prerequisite never skips: the suite runs and startSystemdRig throws. */
export function skipReasonFor(ci: boolean, unavailable: string | undefined): string | undefined {
  return ci ? undefined : unavailable;
}

/**
 * Reason to skip real-host suites; always undefined under CI=true, where a missing prerequisite
 * must fail the suite (startSystemdRig throws) instead. Printed once when set.
 */
export const rigSkipReason: string | undefined = (() => {
  const reason = skipReasonFor(process.env.CI === "true", rigUnavailableReason());
  if (reason) console.warn(`systemd rig: skipping real-host tests: ${reason}`);
  return reason;
})();

function keygen(path: string, comment: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], { stdio: "ignore" });
  chmodSync(path, 0o600);
  return readFileSync(`${path}.pub`, "utf8").trim();
}

function validate(specs: readonly MachineSpec[]): void {
  const names = new Set<string>();
  for (const s of specs) {
    if (!/^[a-z][a-z0-9-]{0,19}$/.test(s.name)) throw new Error(`rig: bad machine name ${JSON.stringify(s.name)}`);
    if (names.has(s.name)) throw new Error(`rig: machine name ${s.name} twice`);
    names.add(s.name);
  }
  for (const s of specs) {
    if (s.behindBastion === undefined) continue;
    const b = specs.find((x) => x.name === s.behindBastion);
    if (!b?.bastion) throw new Error(`rig: ${s.name} is behind ${s.behindBastion}, which is not a bastion of this rig`);
    if (s.bastion) throw new Error(`rig: ${s.name} cannot be a bastion and behind one`);
  }
}

function execArgs(pid: number, cmd: string | readonly string[]): string[] {
  const argv = typeof cmd === "string" ? ["/bin/sh", "-c", cmd] : [...cmd];
  return ["-t", String(pid), "-a", "--", ...argv];
}

function execIn(pid: number, cmd: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn("nsenter", execArgs(pid, cmd), { env: MACHINE_ENV, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout: "", stderr: String(e) });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

function execInSync(pid: number, cmd: string | readonly string[], options: ExecOptions = {}): ExecResult {
  const r = spawnSync("nsenter", execArgs(pid, cmd), {
    env: MACHINE_ENV,
    input: options.input ?? "",
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? r.error ?? "") };
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once("data", (d) => done(d.toString().startsWith("SSH-")));
    s.once("error", () => done(false));
    s.once("end", () => done(false));
  });
}

interface MachinePlan {
  readonly spec: MachineSpec;
  readonly machineName: string;
  readonly dir: string;
  readonly root: string;
  readonly port: number;
  readonly netns: string | undefined;
  readonly cgroups: string[];
}

/** The bash supervisor: joins the machine's cgroup, boots it, boots it again after a reboot. */
function supervisorScript(plan: MachinePlan): string {
  const nspawn = [
    NSPAWN,
    "--register=no",
    "--keep-unit",
    "--quiet",
    "--boot",
    "--console=passive",
    "--link-journal=no",
    "--resolv-conf=off",
    "--timezone=off",
    `--directory=${plan.root}`,
    `--machine=${plan.machineName}`,
    `--hostname=${plan.spec.name}`,
    ...(plan.netns ? [`--network-namespace-path=/run/netns/${plan.netns}`] : []),
  ];
  return [
    "#!/bin/bash",
    ...plan.cgroups.map((c) => `echo $$ > ${c}/cgroup.procs`),
    "boots=0",
    "while :; do",
    `  boots=$((boots + 1))`,
    `  ${nspawn.join(" ")} </dev/null >>${plan.dir}/console.log 2>&1 &`,
    `  echo $! > ${plan.dir}/nspawn.pid`,
    "  wait $!",
    "  rc=$?",
    `  echo "$rc" >> ${plan.dir}/exits`,
    // 133: the container asked for a reboot (systemd-nspawn(1), EXIT STATUS).
    '  [ "$rc" = 133 ] || exit "$rc"',
    "done",
    "",
  ].join("\n");
}

function forwarderScript(cgroups: readonly string[], port: number, netns: string): string {
  return [
    "#!/bin/bash",
    ...cgroups.map((c) => `echo $$ > ${c}/cgroup.procs`),
    // The listening socket is made here, in the host's namespace; the proxy connects from inside.
    `exec ${SOCKET_ACTIVATE} -l 127.0.0.1:${port} nsenter --net=/run/netns/${netns} ${SOCKET_PROXYD} 127.0.0.1:${port}`,
    "",
  ].join("\n");
}

function launch(script: string, path: string): void {
  writeFileSync(path, script, { mode: 0o755 });
  const child = spawn("setsid", ["bash", path], { detached: true, stdio: "ignore" });
  child.unref();
}

class Machine implements RigMachine {
  readonly name: string;
  readonly machineName: string;
  readonly host = "127.0.0.1" as const;
  readonly port: number;
  readonly user = DEPLOY_USER;
  readonly target: string;
  readonly rootTarget: string;
  readonly root: string;
  readonly spec: MachineSpec;
  jump: JumpHost | undefined;

  constructor(
    private readonly plan: MachinePlan,
    readonly keyPath: string,
    readonly rootKeyPath: string,
    readonly knownHostsPath: string,
    readonly hostPubKey: string,
  ) {
    this.name = plan.spec.name;
    this.machineName = plan.machineName;
    this.port = plan.port;
    this.target = `ssh://${DEPLOY_USER}@127.0.0.1:${plan.port}`;
    this.rootTarget = `ssh://root@127.0.0.1:${plan.port}`;
    this.root = plan.root;
    this.spec = plan.spec;
  }

  path(machinePath: string): string {
    return join(this.root, machinePath);
  }

  /** PID 1 of the current boot, or 0 while nspawn has not started it. */
  private currentPid(): number {
    let nspawn: number;
    try {
      nspawn = Number(readFileSync(join(this.plan.dir, "nspawn.pid"), "utf8").trim());
    } catch {
      return 0;
    }
    const [child] = childPids(nspawn);
    return child ?? 0;
  }

  pid(): number {
    const p = this.currentPid();
    if (!p) throw new Error(`rig: machine ${this.name} is not running`);
    return p;
  }

  exec(cmd: string | readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execIn(this.pid(), cmd, options);
  }

  execSync(cmd: string | readonly string[], options?: ExecOptions): ExecResult {
    return execInSync(this.pid(), cmd, options);
  }

  async readFile(machinePath: string): Promise<string> {
    const r = await this.exec(["cat", "--", machinePath]);
    if (r.code !== 0) throw new Error(`rig: cannot read ${machinePath} on ${this.name}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async writeFile(machinePath: string, content: string, options: { owner?: string; mode?: string } = {}): Promise<void> {
    const script = 'cat > "$1" && if [ -n "$2" ]; then chown "$2" "$1"; fi && if [ -n "$3" ]; then chmod "$3" "$1"; fi';
    const argv = ["/bin/sh", "-c", script, "sh", machinePath, options.owner ?? "", options.mode ?? ""];
    const r = await this.exec(argv, { input: content });
    if (r.code !== 0) throw new Error(`rig: cannot write ${machinePath} on ${this.name}: ${r.stderr.trim()}`);
  }

  async dropSshSessions(): Promise<number> {
    // Session processes are titled "sshd: USER [priv]" / "sshd: USER@notty"; the listener's
    // title starts with "sshd: /usr/sbin/sshd".
    const r = await this.exec("pgrep -f '^sshd: [^/]' | wc -l; pkill -KILL -f '^sshd: [^/]'; true");
    return Number(r.stdout.trim().split("\n")[0] ?? 0);
  }

  async journal(args: readonly string[] = []): Promise<string> {
    return (await this.exec(["journalctl", "--no-pager", ...args])).stdout;
  }

  async mountTmpfs(machinePath: string, sizeKb: number, options: { owner?: string; mode?: string } = {}): Promise<void> {
    const opts = [`size=${Math.max(1, Math.floor(sizeKb))}k`, `mode=${options.mode ?? "0755"}`];
    const r = await this.exec(["mount", "--mkdir", "-t", "tmpfs", "-o", opts.join(","), "tmpfs", machinePath]);
    if (r.code !== 0) throw new Error(`rig: mount tmpfs at ${machinePath} on ${this.name}: ${r.stderr.trim()}`);
    if (options.owner) {
      const c = await this.exec(["chown", options.owner, machinePath]);
      if (c.code !== 0) throw new Error(`rig: chown ${machinePath} on ${this.name}: ${c.stderr.trim()}`);
    }
  }

  async bootId(): Promise<string> {
    return (await this.readFile("/proc/sys/kernel/random/boot_id")).trim();
  }

  async reboot(): Promise<string> {
    const before = await this.bootId();
    // The reboot may take the nsenter down with the machine; its result does not matter.
    await execIn(this.pid(), ["systemctl", "reboot"], { timeoutMs: 10_000 });
    return this.waitForBoot(before);
  }

  /** Wait until the machine runs a boot other than `previousBootId` and is up; its boot id. */
  async waitForBoot(previousBootId?: string): Promise<string> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let last = "";
    while (Date.now() < deadline) {
      const pid = this.currentPid();
      if (pid && comm(pid) === "systemd") {
        const r = await execIn(pid, ["systemctl", "is-system-running", "--wait"], { timeoutMs: 30_000 });
        const state = r.stdout.trim();
        last = state || r.stderr.trim();
        // Read after systemd is up: before that the boot id may still be the host's.
        const id = await execIn(pid, ["cat", "/proc/sys/kernel/random/boot_id"], { timeoutMs: 5000 });
        const bootId = id.code === 0 ? id.stdout.trim() : "";
        if (!bootId || bootId === previousBootId) {
          last = "the previous boot is still running";
        } else if (state === "running") {
          if (this.spec.behindBastion === undefined && !(await sshBanner(this.port))) {
            last = `systemd running but no ssh banner on 127.0.0.1:${this.port}`;
          } else {
            return bootId;
          }
        } else if (state === "degraded") {
          const failed = await execIn(pid, ["systemctl", "--failed", "--plain", "--no-legend"]);
          throw new Error(`rig: machine ${this.name} booted degraded: ${failed.stdout.trim()}`);
        }
      } else if (this.exitedForGood()) {
        throw new Error(`rig: machine ${this.name} stopped: nspawn exits ${this.exits()}; ${this.consoleTail()}`);
      }
      await sleep(100);
    }
    throw new Error(`rig: machine ${this.name} not up within ${BOOT_TIMEOUT_MS} ms (${last}); ${this.consoleTail()}`);
  }

  private exits(): string {
    try {
      return readFileSync(join(this.plan.dir, "exits"), "utf8").trim().split("\n").join(",");
    } catch {
      return "";
    }
  }

  private exitedForGood(): boolean {
    const last = this.exits().split(",").pop();
    return last !== undefined && last !== "" && last !== "133";
  }

  private consoleTail(): string {
    try {
      return `console: ${readFileSync(join(this.plan.dir, "console.log"), "utf8").split("\n").slice(-15).join("\n")}`;
    } catch {
      return "no console output";
    }
  }
}

/** Boot the machines in parallel; resolves when every one runs systemd and sshd. */
export async function startSystemdRig(specs: readonly MachineSpec[]): Promise<SystemdRig> {
  const reason = rigUnavailableReason();
  if (reason) throw new Error(`systemd rig cannot boot: ${reason}`);
  validate(specs);
  sweepStaleRuns();
  const t0 = Date.now();
  const runId = `${process.pid.toString(36)}${randomBytes(3).toString("hex")}`.slice(0, 10);
  writeOwner(runId);
  const dir = join(RIG_BASE, runId);
  const names: string[] = [];
  let stopped = false;
  const stopSync = (): string[] => {
    if (stopped) return [];
    stopped = true;
    process.off("exit", onExit);
    return teardownRun(runId, names);
  };
  const onExit = (): void => void stopSync();
  process.on("exit", onExit);
  try {
    mkdirSync(dir, { recursive: true });
    // Upper and work dirs must not be on the filesystem they overlay: a tmpfs for the whole run.
    sh("mount", ["-t", "tmpfs", "-o", "mode=0755,size=4g", `fleet-rig-${runId}`, dir]);
    ensureNspawnStateDir();
    for (const c of runCgroupDirs(runId)) mkdirSync(c, { recursive: true });

    const keyPath = join(dir, "id_deploy");
    const rootKeyPath = join(dir, "id_root");
    const deployPubKey = keygen(keyPath, "fleet-rig-deploy");
    const rootPubKey = keygen(rootKeyPath, "fleet-rig-root");

    const netnsOf = (s: MachineSpec): string | undefined =>
      s.bastion ? netnsName(runId, s.name) : s.behindBastion ? netnsName(runId, s.behindBastion) : undefined;
    for (const s of specs) {
      if (!s.bastion) continue;
      const ns = netnsName(runId, s.name);
      sh("ip", ["netns", "add", ns]);
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }

    const plans: MachinePlan[] = [];
    for (const spec of specs) {
      const machineName = `fr-${runId}-${spec.name}`;
      names.push(machineName);
      const mdir = join(dir, spec.name);
      for (const d of ["upper", "work", "root"]) mkdirSync(join(mdir, d), { recursive: true });
      const cgroups = runCgroupDirs(runId).map((c) => join(c, spec.name));
      for (const c of cgroups) mkdirSync(c, { recursive: true });
      plans.push({
        spec,
        machineName,
        dir: mdir,
        root: join(mdir, "root"),
        port: await freePort(),
        netns: netnsOf(spec),
        cgroups,
      });
    }

    const machines: Machine[] = [];
    const knownAll: string[] = [];
    for (const plan of plans) {
      sh("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=/,upperdir=${plan.dir}/upper,workdir=${plan.dir}/work`, plan.root]);
      prepareImage(plan.root, {
        hostname: plan.spec.name,
        port: plan.port,
        deployPubKey,
        rootPubKey,
        banner: plan.spec.banner ?? false,
        loginShell: plan.spec.loginShell ?? "bash",
        noSftp: plan.spec.noSftp ?? false,
        sudoPassword: plan.spec.sudoPassword ?? false,
      });
      const [ktype, kblob] = readFileSync(join(plan.root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim().split(" ");
      const hostPubKey = `${ktype} ${kblob}`;
      const line = `[127.0.0.1]:${plan.port} ${hostPubKey}\n`;
      knownAll.push(line);
      const knownHostsPath = join(plan.dir, "known_hosts");
      writeFileSync(knownHostsPath, line);
      machines.push(new Machine(plan, keyPath, rootKeyPath, knownHostsPath, hostPubKey));
      launch(supervisorScript(plan), join(plan.dir, "supervisor.sh"));
    }
    const knownHostsPath = join(dir, "known_hosts");
    writeFileSync(knownHostsPath, knownAll.join(""));
    for (const m of machines) {
      if (!m.spec.bastion) continue;
      const cgroups = runCgroupDirs(runId).map((c) => join(c, `_forward-${m.name}`));
      for (const c of cgroups) mkdirSync(c, { recursive: true });
      launch(forwarderScript(cgroups, m.port, netnsName(runId, m.name)), join(dir, m.name, "forward.sh"));
    }
    for (const m of machines) {
      const b = m.spec.behindBastion === undefined ? undefined : machines.find((x) => x.name === m.spec.behindBastion);
      if (b) m.jump = { host: "127.0.0.1", port: b.port, user: DEPLOY_USER, spec: `${DEPLOY_USER}@127.0.0.1:${b.port}`, target: b.target };
    }

    await Promise.all(machines.map((m) => m.waitForBoot()));
    const bootMs = Date.now() - t0;
    return {
      runId,
      dir,
      machines,
      keyPath,
      rootKeyPath,
      knownHostsPath,
      bootMs,
      get(name: string): RigMachine {
        const m = machines.find((x) => x.name === name);
        if (!m) throw new Error(`rig: no machine named ${name}`);
        return m;
      },
      async stop(): Promise<void> {
        const problems = stopSync();
        if (problems.length) throw new Error(`rig teardown left: ${problems.join("; ")}`);
      },
    };
  } catch (e) {
    stopSync();
    throw e;
  }
}

export interface RigHandle {
  /** The booted rig; throws before `beforeAll` has run. */
  readonly rig: SystemdRig;
  get(name: string): RigMachine;
  readonly keyPath: string;
  readonly rootKeyPath: string;
  readonly knownHostsPath: string;
}

/**
 * Boot `specs` once for the calling test file (beforeAll) and tear them down after it (afterAll,
 * also when tests fail). Does nothing when `rigSkipReason` is set (outside CI only).
 */
export function useSystemdRig(specs: readonly MachineSpec[]): RigHandle {
  let rig: SystemdRig | undefined;
  beforeAll(async () => {
    if (rigSkipReason) return;
    rig = await startSystemdRig(specs);
  }, BOOT_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    await rig?.stop();
  }, 60_000);
  const booted = (): SystemdRig => {
    if (!rig) throw new Error("systemd rig not booted (beforeAll failed or skipped)");
    return rig;
  };
  return {
    get rig() {
      return booted();
    },
    get: (name) => booted().get(name),
    get keyPath() {
      return booted().keyPath;
    },
    get rootKeyPath() {
      return booted().rootKeyPath;
    },
    get knownHostsPath() {
      return booted().knownHostsPath;
    },
  };
}
