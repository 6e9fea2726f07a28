/**
 * Issue 12, hermetic side, through the built CLI: no symlink under a host's folder is followed
 * (every placement, apply and rollback), unwritable paths are refused before anything is written
 * and a stuck generation is undone, local I/O faults are per-host `✗` lines or usage errors,
 * targets are validated in both modes, stale lock temps are cleaned, kill points need arming.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT, runFleet, type CliResult } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";
import { treeHash } from "../support/tree-hash.js";

const TARGET = "ssh://ops@web";
const HOST = "ops@web";
const DEPLOY = "home/ops/.fleet/deployments";

/** A one-host fleet whose stack writes `files` (target path → content); `extra` goes in the stack. */
function fleetDir(files: Readonly<Record<string, string>>, opts: { extra?: string; mode?: Record<string, string> } = {}): string {
  const dir = tempDir("fleet-hard-");
  const entries = Object.entries(files)
    .map(([p, c]) => `    { path = "${p}" content = "${c}"${opts.mode?.[p] ? ` mode = "${opts.mode[p]}"` : ""} }`)
    .join("\n");
  writeTree(dir, {
    "fleet.pcl": `module Fleet { hosts = [ { file = "hosts/web.pcl" stack = "Web" target = "${TARGET}" } ] }\n`,
    "hosts/web.pcl": `module Web {\n  backend = "systemd"\n  configFiles = [\n${entries}\n  ]\n${opts.extra ?? ""}\n}\n`,
  });
  return dir;
}

function setFiles(dir: string, files: Readonly<Record<string, string>>): void {
  const entries = Object.entries(files)
    .map(([p, c]) => `    { path = "${p}" content = "${c}" }`)
    .join("\n");
  writeFileSync(join(dir, "hosts/web.pcl"), `module Web {\n  backend = "systemd"\n  configFiles = [\n${entries}\n  ]\n}\n`);
}

function fleet(cmd: string, dir: string, root: string, extra: readonly string[] = [], env: Record<string, string> = {}): CliResult {
  return runFleet([cmd, join(dir, "fleet.pcl"), "--transport-root", root, "--dry-run", ...extra].filter((a) => cmd === "apply" || a !== "--dry-run"), {
    env: { FLEET_STORE_DIR: join(dir, "local-store"), ...env },
  });
}

function clean(r: CliResult): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |RangeError|TypeError/);
  expect(r.code).not.toBe(70);
}

const V1 = { "/etc/webapp/app.conf": "v1", "/etc/webapp/sub/more.conf": "more1" };
const V2 = { "/etc/webapp/app.conf": "v2", "/etc/webapp/new.conf": "new" };

describe("no symlink under a host's folder is followed (issue 12 item 1)", () => {
  const outsideTree = (): { dir: string; hash: () => string } => {
    const dir = tempDir("fleet-outside-");
    writeTree(dir, { "app.conf": "precious", "keep/me": "untouched" });
    return { dir, hash: () => treeHash(dir) };
  };

  it("a symlinked directory among the managed paths fails apply with a located message, touching nothing", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    const outside = outsideTree();
    const before = outside.hash();
    mkdirSync(join(root, HOST, "etc"), { recursive: true });
    symlinkSync(outside.dir, join(root, HOST, "etc/webapp"));
    const r = fleet("apply", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`✗ Web → ${TARGET}: ${join(root, HOST, "etc/webapp")} is a symlink (to ${outside.dir}) inside the host's folder`);
    expect(r.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
    expect(outside.hash()).toBe(before);
    // No generation was written.
    expect(readdirSync(join(root, HOST, DEPLOY, "Web")).filter((n) => n !== "files")).toEqual([]);
  });

  it("a symlinked deployments root fails apply before anything is written", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    const outside = outsideTree();
    const before = outside.hash();
    mkdirSync(join(root, HOST, "home/ops/.fleet"), { recursive: true });
    symlinkSync(outside.dir, join(root, HOST, DEPLOY));
    const r = fleet("apply", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(root, HOST, DEPLOY)} is a symlink (to ${outside.dir})`);
    expect(outside.hash()).toBe(before);
    expect(existsSync(join(root, HOST, "etc"))).toBe(false);
  });

  it("a symlinked store root fails a real apply before any store path is pushed", () => {
    const dir = tempDir("fleet-hard-store-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "hosts/web.pcl" stack = "Web" target = "${TARGET}" } ] }\n`,
      "hosts/web.pcl": `module Tool { pname = "tool" version = "1" recipe = "std.files" files = [ { path = "bin/t" content = "t" mode = "0755" } ] }
module Web { backend = "systemd" storeModules = ["Tool"] configFiles = [ { path = "/etc/webapp/app.conf" content = "x" } ] }\n`,
    });
    const root = join(dir, "out");
    const outside = outsideTree();
    const before = outside.hash();
    // The store root is one setting for both sides: the target's store is that path in the host's folder.
    const store = join(dir, "local-store");
    mkdirSync(join(root, HOST, dir), { recursive: true });
    symlinkSync(outside.dir, join(root, HOST, store));
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--transport-root", root], { env: { FLEET_STORE_DIR: store } });
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(root, HOST, store)} is a symlink (to ${outside.dir})`);
    expect(outside.hash()).toBe(before);
    expect(existsSync(join(root, HOST, "etc"))).toBe(false);
  });

  /** gen-001 (V1) and gen-002 (V2) applied; returns the fleet and root. */
  function twoGenerations(): { dir: string; root: string } {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    expect(fleet("apply", dir, root).code).toBe(0);
    setFiles(dir, V2);
    expect(fleet("apply", dir, root).code).toBe(0);
    return { dir, root };
  }

  it("rollback meets a managed directory turned into a symlink: fails, outside untouched", () => {
    const { dir, root } = twoGenerations();
    const outside = outsideTree();
    // The real directory moves out of the host's folder and a symlink takes its place.
    cpSync(join(root, HOST, "etc/webapp"), join(outside.dir, "webapp"), { recursive: true });
    rmSync(join(root, HOST, "etc/webapp"), { recursive: true });
    symlinkSync(join(outside.dir, "webapp"), join(root, HOST, "etc/webapp"));
    const before = outside.hash();
    const r = fleet("rollback", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`✗ Web → ${TARGET}: ${join(root, HOST, "etc/webapp")} is a symlink (to ${join(outside.dir, "webapp")})`);
    expect(outside.hash()).toBe(before);
    expect(readlinkCurrent(root)).toBe("gen-002.json");
  });

  it("rollback with a symlinked deployments root fails and deletes nothing", () => {
    const { dir, root } = twoGenerations();
    const outside = outsideTree();
    renameSync(join(root, HOST, DEPLOY), join(outside.dir, "deployments"));
    symlinkSync(join(outside.dir, "deployments"), join(root, HOST, DEPLOY));
    const live = treeHash(join(root, HOST, "etc"));
    const before = outside.hash();
    const r = fleet("rollback", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(root, HOST, DEPLOY)} is a symlink`);
    expect(outside.hash()).toBe(before);
    expect(treeHash(join(root, HOST, "etc"))).toBe(live);
  });

  it("a gen-NNN.json that is a symlink out of the deployments dir is refused (item 13)", () => {
    const { dir, root } = twoGenerations();
    const outside = outsideTree();
    const gen1 = join(root, HOST, DEPLOY, "Web", "gen-001.json");
    cpSync(gen1, join(outside.dir, "gen-001.json"));
    rmSync(gen1);
    symlinkSync(join(outside.dir, "gen-001.json"), gen1);
    const live = treeHash(join(root, HOST, "etc"));
    const r = fleet("rollback", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gen-001\.json is a symlink/);
    expect(treeHash(join(root, HOST, "etc"))).toBe(live);
    expect(readlinkCurrent(root)).toBe("gen-002.json");
  });
});

function readlinkCurrent(root: string): string {
  return spawnSync("readlink", [join(root, HOST, DEPLOY, "Web", "current")], { encoding: "utf8" }).stdout.trim();
}

describe("unwritable paths never leave a host stuck (item 3)", () => {
  it("a 300-character file name is a located [E6] before anything is written", () => {
    const long = "x".repeat(300);
    const dir = fleetDir({ [`/etc/webapp/${long}`]: "x" });
    const root = join(dir, "out");
    const r = fleet("apply", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/web\.pcl:\d+:\d+: error: \[E6\] config file path '.*' of stack 'Web' has a file name of 300 bytes/);
    expect(existsSync(join(root, HOST))).toBe(false);
  });

  it("/etc/a together with /etc/a/b is a located [E6]", () => {
    const dir = fleetDir({ "/etc/a": "file", "/etc/a/b": "nested" });
    const r = fleet("apply", dir, join(dir, "out"));
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/web\.pcl:\d+:\d+: error: \[E6\] config file path '\/etc\/a' of stack 'Web' is also a directory on the way to '\/etc\/a\/b'/);
    expect(existsSync(join(dir, "out", HOST))).toBe(false);
  });

  it("a directory where a file goes fails the host before any generation is written", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    mkdirSync(join(root, HOST, "etc/webapp/app.conf"), { recursive: true });
    const r = fleet("apply", dir, root);
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`✗ Web → ${TARGET}: cannot deploy: /etc/webapp/app.conf is a directory on the target; remove what is in the way, nothing was written`);
    const stackDir = join(root, HOST, DEPLOY, "Web");
    expect(readdirSync(stackDir).filter((n) => n.startsWith("gen-") || n === "pending")).toEqual([]);
    // Once the obstacle is gone the same apply works.
    rmSync(join(root, HOST, "etc/webapp/app.conf"), { recursive: true });
    expect(fleet("apply", dir, root).code).toBe(0);
  });

  it("a pending generation the target cannot take is undone by the next run, which says so", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    expect(fleet("apply", dir, root).code).toBe(0);
    const v1Tree = treeHash(join(root, HOST), [DEPLOY]);
    setFiles(dir, V2);
    const died = fleet("apply", dir, root, [], { FLEET_TEST_DIE_AT: "apply:pending-written" });
    expect(died.code).not.toBe(0);
    // Something now stands where gen-002 writes a file: it can never be finished.
    mkdirSync(join(root, HOST, "etc/webapp/new.conf/inside"), { recursive: true });
    rmSync(join(root, HOST, "etc/webapp/new.conf/inside"), { recursive: true });
    setFiles(dir, V1);
    const r = fleet("apply", dir, root);
    clean(r);
    expect(r.stderr).toContain("could not finish the interrupted apply to gen-002");
    expect(r.stderr).toContain("undoing it instead");
    expect(r.code).toBe(0);
    expect(readlinkCurrent(root)).toBe("gen-003.json");
    rmSync(join(root, HOST, "etc/webapp/new.conf"), { recursive: true });
    expect(treeHash(join(root, HOST), [DEPLOY])).toBe(v1Tree);
    // And the run after that has nothing left to recover.
    const again = fleet("apply", dir, root);
    expect(again.stderr).toBe("");
  });
});

function mount(args: string[]): void {
  const r = spawnSync("mount", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mount ${args.join(" ")}: ${r.stderr}`);
}

function umount(dir: string): void {
  spawnSync("umount", ["-l", dir]);
}

const IS_ROOT = process.getuid?.() === 0;

describe.skipIf(!IS_ROOT && process.env["CI"] !== "true")("local I/O faults are per-host ✗ lines (item 4)", () => {
  it("runs as root (mounts and a second user are needed)", () => {
    expect(IS_ROOT).toBe(true);
  });

  it("a full disk (ENOSPC) fails that host with a reason; the other host goes on; the summary is printed", () => {
    const dir = tempDir("fleet-enospc-");
    const big = "x".repeat(200_000);
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [
  { file = "hosts/big.pcl" stack = "Big" target = "ssh://ops@big" }
  { file = "hosts/small.pcl" stack = "Small" target = "ssh://ops@small" }
] }\n`,
      "hosts/big.pcl": `module Big { backend = "systemd" configFiles = [ { path = "/etc/big.conf" content = "${big}" } ] }\n`,
      "hosts/small.pcl": `module Small { backend = "systemd" configFiles = [ { path = "/etc/small.conf" content = "small" } ] }\n`,
    });
    const root = join(dir, "out");
    mkdirSync(root);
    mount(["-t", "tmpfs", "-o", "size=128k", "tmpfs", root]);
    try {
      const r = runFleet(["apply", join(dir, "fleet.pcl"), "--transport-root", root, "--dry-run"], { env: { FLEET_STORE_DIR: join(dir, "store") } });
      clean(r);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^✗ Big → ssh:\/\/ops@big: cannot write \/home\/ops\/\.fleet\/deployments\/Big\/files\/[0-9a-f]{64}: no space left on device \(ENOSPC\)$/m);
      expect(r.stdout).toBe("✓ Small → ssh://ops@small\nfleet: 1/2 host(s) deployed (1 failed)\n");
    } finally {
      umount(root);
    }
  });

  it("a read-only target (EROFS) fails that host with a reason", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    mkdirSync(join(root, HOST), { recursive: true });
    mount(["--bind", root, root]);
    mount(["-o", "remount,bind,ro", root]);
    try {
      const r = fleet("apply", dir, root);
      clean(r);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^✗ Web → ${TARGET}: cannot create directory /home/ops/\\.fleet/deployments/Web: read-only file system \\(EROFS\\)$`, "m"));
      expect(r.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
    } finally {
      umount(root);
    }
  });

  /** Run the built CLI as the unprivileged test user (root ignores permissions). */
  function asUser(args: string[], env: Record<string, string>): CliResult {
    spawnSync("/usr/sbin/useradd", ["-m", "-s", "/bin/sh", "fleetops"], { stdio: "ignore" });
    const r = spawnSync("setpriv", ["--reuid=fleetops", "--regid=fleetops", "--clear-groups", process.execPath, FLEET_BIN, ...args], {
      encoding: "utf8",
      cwd: "/",
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", NO_COLOR: "1", HOME: "/tmp", ...env },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  it("permission denied on the target and on the local store (EACCES) are per-host ✗ lines", () => {
    const dir = fleetDir(V1);
    spawnSync("chmod", ["-R", "a+rX", dir, REPO_ROOT]);
    const root = join(dir, "out");
    mkdirSync(root, { mode: 0o755 }); // owned by root: the test user cannot create its host folder
    const target = asUser(["apply", join(dir, "fleet.pcl"), "--transport-root", root, "--dry-run"], { FLEET_STORE_DIR: join(dir, "store") });
    clean(target);
    expect(target.code).toBe(1);
    expect(target.stderr).toMatch(/^✗ Web → ssh:\/\/ops@web: cannot create directory .*: permission denied \(EACCES\)$/m);

    const pkgDir = tempDir("fleet-eacces-store-");
    writeTree(pkgDir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "Web" target = "${TARGET}" } ] }\n`,
      "h.pcl": `module Tool { pname = "tool" version = "1" recipe = "std.files" files = [ { path = "bin/t" content = "t" mode = "0755" } ] }
module Web { backend = "systemd" storeModules = ["Tool"] }\n`,
    });
    const store = join(pkgDir, "store");
    mkdirSync(store, { mode: 0o755 }); // root's: the test user cannot build into it
    const userRoot = join(pkgDir, "out");
    mkdirSync(userRoot);
    spawnSync("chown", ["fleetops", userRoot]);
    spawnSync("chmod", ["-R", "a+rX", pkgDir]);
    const local = asUser(["apply", join(pkgDir, "fleet.pcl"), "--transport-root", userRoot], { FLEET_STORE_DIR: store });
    clean(local);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^✗ Web → ssh:\/\/ops@web: .*permission denied \(EACCES\)$/m);
    expect(local.stdout).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
  });
});

describe("flags that name the wrong kind of file are usage errors (item 4)", () => {
  it("--transport-root naming a file (ENOTDIR)", () => {
    const dir = fleetDir(V1);
    writeFileSync(join(dir, "afile"), "");
    for (const root of [join(dir, "afile"), join(dir, "afile", "below")]) {
      const r = fleet("apply", dir, root);
      clean(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`fleet: error: --transport-root ${root} is not a directory; give a directory (it is created when missing)\n`);
    }
  });

  it("--vault-secrets naming a directory (EISDIR)", () => {
    const dir = fleetDir(V1);
    const r = fleet("apply", dir, join(dir, "out"), ["--vault-secrets", dir]);
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fleet: error: --vault-secrets '${dir}' is not a regular file; give the JSON export file\n`);
  });

  it("a target whose folder name would exceed 255 bytes (ENAMETOOLONG), in apply and plan", () => {
    const dir = tempDir("fleet-longtarget-");
    const target = `ssh://ops@${"h".repeat(300)}`;
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "Web" target = "${target}" } ] }\n`,
      "h.pcl": `module Web { backend = "systemd" configFiles = [ { path = "/etc/x" content = "x" } ] }\n`,
    });
    for (const cmd of [["apply", "--dry-run"], ["plan"]]) {
      const r = runFleet([cmd[0]!, join(dir, "fleet.pcl"), "--transport-root", join(dir, "out"), ...cmd.slice(1)], { env: { FLEET_STORE_DIR: join(dir, "s") } });
      clean(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("maps to a directory name of 304 bytes under --transport-root, more than the 255 a file name may have");
    }
  });
});

describe("targets are validated the same way in both modes and by fleet check (item 12)", () => {
  const bad: [string, string][] = [
    ["ssh://ops@web:0", "port 0 is out of range"],
    ["ssh://ops@web:99999", "port 99999 is out of range"],
    ["ssh://a@b;rm -rf /", "expected ssh://user@host[:port]"],
    ["ssh://ops@web\\nX ssh://ops@forged", "expected ssh://user@host[:port]"],
    ["ssh://ops@$(touch /tmp/pwned)", "expected ssh://user@host[:port]"],
  ];
  it.each(bad)("refuses %j under --transport-root, over SSH and in check, never printed raw", (target, why) => {
    const dir = tempDir("fleet-badtarget-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "Web" target = "${target}" } ] }\n`,
      "h.pcl": `module Web { backend = "systemd" configFiles = [ { path = "/etc/x" content = "x" } ] }\n`,
    });
    const real = target.replace("\\n", "\n");
    const shown = /^[\x20-\x7e]*$/.test(real) ? `'${real}'` : JSON.stringify(real);
    const env = { FLEET_STORE_DIR: join(dir, "s") };
    const hermetic = runFleet(["apply", join(dir, "fleet.pcl"), "--transport-root", join(dir, "out"), "--dry-run"], { env });
    const ssh = runFleet(["apply", join(dir, "fleet.pcl"), "--connect-timeout", "1"], { env });
    for (const r of [hermetic, ssh]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`fleet: error: malformed target ${shown}: ${why}\n`);
    }
    expect(existsSync(join(dir, "out"))).toBe(false);
    const check = runFleet(["check", join(dir, "fleet.pcl")]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`host record 1 (Web): malformed target ${shown}: ${why}`);
    expect(check.stderr.split("\n").some((l) => l.startsWith("X ssh://ops@forged"))).toBe(false);
  });

  it("a relative --transport-root is resolved from the working directory (ADR 133)", () => {
    const dir = fleetDir(V1);
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--dry-run", "--transport-root", "rel-out"], { cwd: dir, env: { FLEET_STORE_DIR: join(dir, "s") } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "rel-out", HOST, "etc/webapp/app.conf"), "utf8")).toBe("v1");
  });
});

describe("file modes: one rule for config and package files (item 10)", () => {
  it.each(["4755", "6755", "1777", "7777", "04755"])("config file mode %s is a located [E6] unless allowed", (mode) => {
    const dir = fleetDir({ "/etc/webapp/tool": "x" }, { mode: { "/etc/webapp/tool": mode } });
    const r = fleet("apply", dir, join(dir, "out"));
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`hosts/web\\.pcl:\\d+:\\d+: error: \\[E6\\] mode '${mode}' of config file '/etc/webapp/tool' of stack 'Web' sets the (setuid|setgid|sticky)`));
    expect(existsSync(join(dir, "out", HOST))).toBe(false);
  });

  it.each(["4755", "04755"])("package file mode %s is refused by the same rule", (mode) => {
    const dir = tempDir("fleet-pkgmode-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "Web" target = "${TARGET}" } ] }\n`,
      "h.pcl": `module Tool { pname = "tool" version = "1" recipe = "std.files" files = [ { path = "bin/t" content = "t" mode = "${mode}" } ] }
module Web { backend = "systemd" storeModules = ["Tool"] }\n`,
    });
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--transport-root", join(dir, "out"), "--dry-run"], { env: { FLEET_STORE_DIR: join(dir, "s") } });
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`h\\.pcl:\\d+:\\d+: error: \\[E6\\] mode '${mode}' of 'bin/t' in package 'Tool' sets the setuid bit`));
  });

  it("allowSpecialBits = true lets a setuid config file through with its exact mode", () => {
    const dir = tempDir("fleet-allowmode-");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "Web" target = "${TARGET}" } ] }\n`,
      "h.pcl": `module Web { backend = "systemd" configFiles = [ { path = "/etc/webapp/tool" content = "x" mode = "4755" allowSpecialBits = true } ] }\n`,
    });
    const r = runFleet(["apply", join(dir, "fleet.pcl"), "--transport-root", join(dir, "out"), "--dry-run"], { env: { FLEET_STORE_DIR: join(dir, "s") } });
    expect(r.stderr).toBe("");
    expect(statSync(join(dir, "out", HOST, "etc/webapp/tool")).mode & 0o7777).toBe(0o4755);
  });

  it("a config path mistake is located too", () => {
    const dir = fleetDir({ "/etc/../passwd": "x" });
    const r = fleet("apply", dir, join(dir, "out"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/web\.pcl:\d+:\d+: error: \[E6\] config file path '\/etc\/\.\.\/passwd' of stack 'Web' is not absolute and normalised/);
  });
});

describe("host files and locks (items 13, 14)", () => {
  it("a host file reached through a symlink out of the fleet directory is refused", () => {
    const dir = fleetDir(V1);
    const elsewhere = tempDir("fleet-elsewhere-");
    writeFileSync(join(elsewhere, "web.pcl"), readFileSync(join(dir, "hosts/web.pcl")));
    rmSync(join(dir, "hosts"), { recursive: true });
    symlinkSync(elsewhere, join(dir, "hosts"));
    const r = fleet("apply", dir, join(dir, "out"));
    clean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`✗ Web → ${TARGET}: host file 'hosts/web.pcl' is reached through a symlink that points outside the fleet file's directory`);
    expect(existsSync(join(dir, "out", HOST))).toBe(false);
  });

  it("a stale lock.new-<pid> of a dead process is cleaned up by the next apply", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    expect(fleet("apply", dir, root).code).toBe(0);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const stackDir = join(root, HOST, DEPLOY, "Web");
    writeFileSync(join(stackDir, `lock.new-${dead}`), "{}");
    writeFileSync(join(stackDir, `lock.stale-${dead}`), "{}");
    setFiles(dir, V2);
    expect(fleet("apply", dir, root).code).toBe(0);
    expect(readdirSync(stackDir).filter((n) => n.startsWith("lock"))).toEqual([]);
  });
});

describe("kill points need arming (item 15)", () => {
  it("FLEET_TEST_DIE_AT alone does not kill a run; it is named as ignored", () => {
    const dir = fleetDir(V1);
    const root = join(dir, "out");
    const r = spawnSync(process.execPath, [FLEET_BIN, "apply", join(dir, "fleet.pcl"), "--transport-root", root, "--dry-run"], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FLEET_STORE_DIR: join(dir, "s"), FLEET_TEST_DIE_AT: "apply:pending-written", FLEET_TEST_DIE_AT_PARENT: "1" },
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("⚠ FLEET_TEST_DIE_AT is set but not armed (it is a crash-test hook); ignoring it\n");
    expect(r.stdout).toBe(`✓ Web → ${TARGET}\nfleet: 1/1 host(s) deployed\n`);
  });

  it("armed by its parent's pid, the same variable kills the run at that step", () => {
    const dir = fleetDir(V1);
    const r = fleet("apply", dir, join(dir, "out"), [], { FLEET_TEST_DIE_AT: "apply:pending-written" });
    expect(r.code).toBe(-1); // killed by SIGKILL: no exit status
    expect(existsSync(join(dir, "out", HOST, DEPLOY, "Web", "pending"))).toBe(true);
  });
});
