/**
 * What the systemd test rig (systemd-rig.ts) writes into a machine's overlay root before it boots:
 * identity (machine-id, hostname, ssh host key), sshd on its own port, the `deploy` user with
 * sudo and keys, root's key, masked base-image units, and the per-machine variants.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

export const DEPLOY_USER = "deploy";
/** deploy's password on `sudoPassword` machines (sudo asks for it; `sudo -n` fails). */
export const SUDO_PASSWORD = "rig-sudo-password";
/** Lines printed by deploy's ~/.bashrc and ~/.profile on `banner` machines. */
export const BANNER_STDOUT = "Welcome to the rig machine (banner on stdout)";
export const BANNER_STDERR = "Welcome to the rig machine (banner on stderr)";
/** Lines printed by deploy's fish config on `loginShell: "fish"` machines, in every session. */
export const FISH_GREETING_STDOUT = "Hello from fish (greeting on stdout)";
export const FISH_GREETING_STDERR = "Hello from fish (greeting on stderr)";

/** Units of the base image a test machine needs; everything else the image enables is masked. */
const KEEP_ENABLED = new Set(["ssh.service", "sshd.service", "remote-fs.target", "machines.target"]);
/** Pulled in without an enablement link (generators, templates, nspawn's console). */
const ALWAYS_MASK = [
  "console-getty.service",
  "container-getty@.service",
  "getty@.service",
  "serial-getty@.service",
  "ssh.socket",
  "postgresql.service",
  "postgresql@.service",
  "systemd-timesyncd.service",
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "man-db.timer",
  "cron.service",
];

export interface ImageSpec {
  readonly hostname: string;
  /** Port sshd listens on, on 127.0.0.1 of the machine's network namespace. */
  readonly port: number;
  readonly deployPubKey: string;
  readonly rootPubKey: string;
  readonly banner: boolean;
  readonly loginShell: "bash" | "fish";
  readonly noSftp: boolean;
  readonly sudoPassword: boolean;
}

function write(path: string, content: string, mode = 0o644): void {
  mkdirSync(join(path, ".."), { recursive: true });
  rmSync(path, { force: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
}

function mask(root: string, unit: string): void {
  const path = join(root, "etc/systemd/system", unit);
  try {
    lstatSync(path);
    rmSync(path, { force: true, recursive: true });
  } catch {
    /* absent */
  }
  symlinkSync("/dev/null", path);
}

function maskBaseUnits(root: string): void {
  const dir = join(root, "etc/systemd/system");
  const toMask = new Set(ALWAYS_MASK);
  for (const e of readdirSync(dir)) {
    if (!e.endsWith(".wants")) continue;
    for (const unit of readdirSync(join(dir, e))) if (!KEEP_ENABLED.has(unit)) toMask.add(unit);
  }
  for (const unit of toMask) mask(root, unit);
}

function sshdConfig(root: string, spec: ImageSpec): void {
  const dropins = join(root, "etc/ssh/sshd_config.d");
  mkdirSync(dropins, { recursive: true });
  // Only the rig's drop-in: nothing the machine running the tests has there leaks in.
  for (const f of readdirSync(dropins)) rmSync(join(dropins, f), { force: true, recursive: true });
  write(
    join(dropins, "10-fleet-rig.conf"),
    [
      "# Written by the fleet test rig (test/support/systemd-rig-image.ts).",
      `Port ${spec.port}`,
      "ListenAddress 127.0.0.1",
      "HostKey /etc/ssh/ssh_host_ed25519_key",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "MaxStartups 100:30:200",
      "MaxSessions 100",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const main = join(root, "etc/ssh/sshd_config");
  const text = readFileSync(main, "utf8");
  if (spec.noSftp) {
    // A Subsystem cannot be unset from a drop-in: comment it out of the main file.
    write(main, text.replace(/^(\s*Subsystem\s+sftp\b.*)$/gim, "# no sftp on this rig machine: $1"));
  } else if (!/^\s*Subsystem\s+sftp\b/im.test(text)) {
    write(main, `${text}\nSubsystem sftp /usr/lib/openssh/sftp-server\n`);
  }
  const sshDir = join(root, "etc/ssh");
  for (const f of readdirSync(sshDir)) if (f.startsWith("ssh_host_")) rmSync(join(sshDir, f), { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@${spec.hostname}`, "-f", join(sshDir, "ssh_host_ed25519_key")], {
    stdio: "ignore",
  });
}

interface Account {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function account(root: string, user: string): Account {
  const line = readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`rig: user ${user} missing from the machine's /etc/passwd`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${user}` };
}

function writeOwned(root: string, acct: Account, rel: string, content: string, mode: number): void {
  const path = join(root, acct.home, rel);
  const parts = rel.split("/").slice(0, -1);
  let dir = join(root, acct.home);
  for (const p of parts) {
    dir = join(dir, p);
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, acct.uid, acct.gid);
  }
  write(path, content, mode);
  chownSync(path, acct.uid, acct.gid);
}

function prependTo(root: string, acct: Account, rel: string, lines: string): void {
  const path = join(root, acct.home, rel);
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeOwned(root, acct, rel, `${lines}${old}`, 0o644);
}

/** Prepare an overlay root (mounted at `root`, not booted yet) as a rig machine. */
export function prepareImage(root: string, spec: ImageSpec): void {
  write(join(root, "etc/machine-id"), `${randomBytes(16).toString("hex")}\n`, 0o444);
  write(join(root, "etc/hostname"), `${spec.hostname}\n`);
  maskBaseUnits(root);
  sshdConfig(root, spec);

  const shell = spec.loginShell === "fish" ? "/usr/bin/fish" : "/bin/bash";
  const sudoers = spec.sudoPassword ? `${DEPLOY_USER} ALL=(ALL:ALL) ALL\n` : `${DEPLOY_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
  // Only the rig's sudo rule: one the machine running the tests may have must not leak in.
  const sudoersDir = join(root, "etc/sudoers.d");
  for (const f of existsSync(sudoersDir) ? readdirSync(sudoersDir) : []) {
    if (f !== "README") rmSync(join(sudoersDir, f), { force: true, recursive: true });
  }
  write(join(sudoersDir, "fleet-rig-deploy"), sudoers, 0o440);
  // Inside the machine: a fresh account (a `deploy` of the machine running the tests, with its
  // dotfiles, is replaced), its password, /bin/sh = dash.
  const script = [
    "set -e",
    `sed -i '/^${DEPLOY_USER}:/d' /etc/passwd /etc/shadow /etc/group /etc/gshadow`,
    `rm -rf /home/${DEPLOY_USER}`,
    `useradd -m -U -s ${shell} ${DEPLOY_USER}`,
    spec.sudoPassword ? `echo '${DEPLOY_USER}:${SUDO_PASSWORD}' | chpasswd` : `usermod -p '*' ${DEPLOY_USER}`,
    "ln -sfn dash /usr/bin/sh",
    "grep -qx /usr/bin/fish /etc/shells || echo /usr/bin/fish >> /etc/shells",
  ].join("\n");
  // Other suites add accounts to the machine running the tests (the lower layer) at any time:
  // copy the account files up first, so that useradd below only ever sees the machine's copies.
  for (const f of ["passwd", "shadow", "group", "gshadow", "subuid", "subgid"]) {
    const path = join(root, "etc", f);
    if (existsSync(path)) writeFileSync(path, readFileSync(path));
  }
  const r = spawnSync("chroot", [root, "/bin/sh", "-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`rig: preparing the deploy account failed (${r.status}): ${r.stderr.trim()}`);

  const deploy = account(root, DEPLOY_USER);
  writeOwned(root, deploy, ".ssh/authorized_keys", `${spec.deployPubKey.trim()}\n`, 0o600);
  const rootAcct = { uid: 0, gid: 0, home: "/root" };
  writeOwned(root, rootAcct, ".ssh/authorized_keys", `${spec.rootPubKey.trim()}\n`, 0o600);
  // Debian's stock root dotfiles, not those of the machine running the tests.
  for (const [dot, stock] of [[".bashrc", "dot.bashrc"], [".profile", "dot.profile"]] as const) {
    const src = join(root, "usr/share/base-files", stock);
    if (existsSync(src)) writeOwned(root, rootAcct, dot, readFileSync(src, "utf8"), 0o644);
  }
  if (spec.banner) {
    // Before the skeleton's "not interactive: return", so non-interactive ssh commands print it too.
    const lines = `echo '${BANNER_STDOUT}'\necho '${BANNER_STDERR}' >&2\n`;
    prependTo(root, deploy, ".bashrc", lines);
    prependTo(root, deploy, ".profile", lines);
  }
  if (spec.loginShell === "fish") {
    writeOwned(
      root,
      deploy,
      ".config/fish/config.fish",
      `echo '${FISH_GREETING_STDOUT}'\necho '${FISH_GREETING_STDERR}' >&2\n`,
      0o644,
    );
  }
}
