/**
 * A real OpenSSH sshd on 127.0.0.1 for SSH transport tests. Each call starts one private sshd
 * (its own host key, client keys, authorized_keys, config and log in a temp dir), so two calls act
 * as two separate hosts.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { tempDir } from "./temp-dir.js";

export const SSHD_BIN = "/usr/sbin/sshd";
/** The non-root account the rig creates (unlocked, no password) for permission tests. */
export const TEST_USER = "fleetops";

export interface SshdOptions {
  /** Login user the returned keys are meant for; root unless given. */
  readonly user?: string;
  /** Extra sshd_config lines, e.g. `SetEnv PATH=…` to put a fake command on the session's PATH. */
  readonly extraConfig?: readonly string[];
  /**
   * Login shell of `user` (created with it when absent, set on it otherwise). Give a user of the
   * test's own: the account is shared by every sshd that logs in as it.
   */
  readonly loginShell?: string;
  /**
   * A greeting the user's shell start-up files print on stdout and on stderr, as a real host's
   * ~/.bashrc, ~/.profile or fish config often does (written into `user`'s home).
   */
  readonly greeting?: string;
  /** Leave out the sftp subsystem, as some hardened hosts do. */
  readonly noSftp?: boolean;
  /** A sudoers rule for `user`: passwordless, or one that asks for a password. */
  readonly sudo?: "nopasswd" | "password";
  /** Run sshd inside this network namespace (created by the caller), on its own 127.0.0.1. */
  readonly netns?: string;
  /**
   * inetd style: a listener on this machine's 127.0.0.1 starts one `sshd -i` per connection (inside
   * `netns` when given), so a host in a namespace can be a bastion that is reachable from outside.
   */
  readonly inetd?: boolean;
}

export interface Sshd {
  readonly port: number;
  readonly host: "127.0.0.1";
  readonly user: string;
  /** `ssh://user@127.0.0.1:port` */
  readonly target: string;
  readonly dir: string;
  readonly hostKeyPath: string;
  /** The host public key line (`ssh-ed25519 AAAA… comment`). */
  readonly hostPubKey: string;
  readonly clientKeyPath: string;
  readonly rsaKeyPath: string;
  /** An ed25519 key that is NOT in authorized_keys. */
  readonly strangerKeyPath: string;
  /** A passphrase-protected ed25519 key (passphrase "secret"), authorised. */
  readonly encryptedKeyPath: string;
  /** known_hosts holding this server's host key as `[127.0.0.1]:port`. */
  readonly knownHostsPath: string;
  readonly logPath: string;
  /** Kill (SIGKILL) every per-connection sshd process, leaving the listener up. */
  killSessions(): number;
  stop(): Promise<void>;
}

/** True when the rig can run here; under CI=true callers must fail instead of skipping. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD_BIN) && process.getuid?.() === 0;
}

function keygen(path: string, type: "ed25519" | "rsa", passphrase = ""): void {
  const args = ["-q", "-t", type, "-N", passphrase, "-C", `fleet-test-${type}`, "-f", path];
  if (type === "rsa") args.splice(3, 0, "-b", "2048");
  execFileSync("/usr/bin/ssh-keygen", args, { stdio: "ignore" });
  chmodSync(path, 0o600);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForBanner(port: number, child: ChildProcess, logPath: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      throw new Error(`sshd exited with ${child.exitCode}: ${existsSync(logPath) ? readFileSync(logPath, "utf8") : ""}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("data", (d) => {
        s.destroy();
        resolve(d.toString().startsWith("SSH-"));
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on port ${port} never accepted connections`);
}

async function waitForLog(child: ChildProcess, logPath: string, line: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    if (log.includes(line)) return;
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd never logged '${line}'`);
}

/**
 * One `sshd -i` per accepted connection, its stdin/stdout spliced to the socket. The listener is a
 * child process of its own: tests run the CLI with spawnSync, which would stall a listener here.
 */
const INETD_SCRIPT = `
const { createServer } = require("node:net");
const { spawn } = require("node:child_process");
const [port, bin, ...args] = process.argv.slice(1);
const srv = createServer((sock) => {
  const c = spawn(bin, args, { stdio: ["pipe", "pipe", "ignore"] });
  sock.pipe(c.stdin);
  c.stdout.pipe(sock);
  const end = () => { sock.destroy(); if (c.exitCode === null) c.kill("SIGKILL"); };
  sock.on("error", end);
  sock.on("close", end);
  c.stdin.on("error", end);
  c.on("exit", () => sock.end());
});
srv.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\\n"));
`;

async function inetdListener(port: number, [bin, args]: [string, string[]]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", INETD_SCRIPT, String(port), bin, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`inetd listener on port ${port} exited with ${code}`)));
  });
  return child;
}

/** Create the non-root test account when absent (unlocked so pubkey login works). */
export function ensureTestUser(name = TEST_USER, shell?: string): void {
  try {
    execFileSync("/usr/bin/id", [name], { stdio: "ignore" });
  } catch {
    execFileSync("/usr/sbin/useradd", ["-m", "-s", shell ?? "/bin/sh", name], { stdio: "ignore" });
  }
  execFileSync("/usr/sbin/usermod", ["-p", "*", ...(shell ? ["-s", shell] : []), name], { stdio: "ignore" });
}

/** Start-up files of every shell the tests use, each printing `text` on stdout and stderr. */
function writeGreeting(user: string, text: string): void {
  const home = user === "root" ? "/root" : `/home/${user}`;
  const line = `echo '${text}'; echo '${text} (stderr)' >&2\n`;
  const files: Record<string, string> = {
    ".bashrc": line,
    ".bash_profile": line,
    ".profile": line,
    ".zshenv": line,
    ".config/fish/config.fish": line,
  };
  for (const [rel, body] of Object.entries(files)) {
    const p = join(home, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, body);
  }
  if (user !== "root") execFileSync("/bin/chown", ["-R", `${user}:`, home]);
}

/** /etc/sudoers.d rule for `user`; removed again by Sshd.stop(). */
function writeSudoRule(user: string, kind: "nopasswd" | "password"): string {
  mkdirSync("/etc/sudoers.d", { recursive: true });
  const path = `/etc/sudoers.d/fleet-test-${user}`;
  writeFileSync(path, `${user} ALL=(ALL:ALL) ${kind === "nopasswd" ? "NOPASSWD: " : ""}ALL\n`, { mode: 0o440 });
  return path;
}

function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Field 4 (after the parenthesised comm, which may hold spaces) is the parent pid.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === ppid) out.push(Number(name));
    } catch {
      /* process vanished */
    }
  }
  return out;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const user = options.user ?? "root";
  if (user !== "root") ensureTestUser(user, options.loginShell);
  if (options.greeting !== undefined) writeGreeting(user, options.greeting);
  const sudoRule = options.sudo ? writeSudoRule(user, options.sudo) : undefined;
  const dir = tempDir("fleet-sshd-");
  // sshd reads AuthorizedKeysFile as the login user, so the directory must be traversable.
  chmodSync(dir, 0o755);
  const hostKeyPath = join(dir, "host_ed25519");
  const clientKeyPath = join(dir, "id_ed25519");
  const rsaKeyPath = join(dir, "id_rsa");
  const strangerKeyPath = join(dir, "id_stranger");
  const encryptedKeyPath = join(dir, "id_encrypted");
  keygen(hostKeyPath, "ed25519");
  keygen(clientKeyPath, "ed25519");
  keygen(rsaKeyPath, "rsa");
  keygen(strangerKeyPath, "ed25519");
  keygen(encryptedKeyPath, "ed25519", "secret");
  const authorized = [clientKeyPath, rsaKeyPath, encryptedKeyPath]
    .map((k) => readFileSync(`${k}.pub`, "utf8").trim())
    .join("\n");
  writeFileSync(join(dir, "authorized_keys"), `${authorized}\n`, { mode: 0o644 });
  const hostPubKey = readFileSync(`${hostKeyPath}.pub`, "utf8").trim();
  const port = await freePort();
  const knownHostsPath = join(dir, "known_hosts");
  const [ktype, kblob] = hostPubKey.split(" ");
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${ktype} ${kblob}\n`);
  const configPath = join(dir, "sshd_config");
  const logPath = join(dir, "sshd.log");
  writeFileSync(
    configPath,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "UsePAM no",
      "StrictModes no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      ...(options.noSftp ? [] : ["Subsystem sftp internal-sftp"]),
      "MaxStartups 100",
      "MaxSessions 100",
      "LogLevel VERBOSE",
      ...(options.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true });
  const inNs = (cmd: string[]): [string, string[]] => (options.netns ? ["/usr/sbin/ip", ["netns", "exec", options.netns, ...cmd]] : [cmd[0]!, cmd.slice(1)]);
  let child: ChildProcess | undefined;
  let listener: ChildProcess | undefined;
  if (options.inetd) {
    listener = await inetdListener(port, inNs([SSHD_BIN, "-i", "-f", configPath, "-E", logPath]));
  } else {
    const [bin, args] = inNs([SSHD_BIN, "-D", "-f", configPath, "-E", logPath]);
    child = spawn(bin, args, { stdio: "ignore" });
    if (options.netns) await waitForLog(child, logPath, `Server listening on 127.0.0.1 port ${port}`);
    else await waitForBanner(port, child, logPath);
  }
  const mainPid = child?.pid ?? -1;
  return {
    port,
    host: "127.0.0.1",
    user,
    target: `ssh://${user}@127.0.0.1:${port}`,
    dir,
    hostKeyPath,
    hostPubKey,
    clientKeyPath,
    rsaKeyPath,
    strangerKeyPath,
    encryptedKeyPath,
    knownHostsPath,
    logPath,
    killSessions() {
      const pids = childPids(mainPid);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      return pids.length;
    },
    async stop() {
      if (listener && listener.exitCode === null) {
        const exited = new Promise((r) => listener.once("exit", r));
        listener.kill("SIGTERM");
        await exited;
      }
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
      if (sudoRule) rmSync(sudoRule, { force: true });
    },
  };
}
