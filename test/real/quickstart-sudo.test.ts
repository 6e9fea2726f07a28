/**
 * Issue 10, must show: the seed's quickstart (examples/quickstart, only the targets changed)
 * deployed to real systemd machines as the non-root `deploy` user with `--sudo --activate
 * --enable`, then an edit, a second apply and `fleet rollback`; the managed trees must hash
 * byte-identical to gen-001. Three pairs of machines share one rig booted once for the file:
 * plain (dash as /bin/sh), a bash banner host with a fish host, and a host without the sftp
 * subsystem with a host whose sudo wants a password (that one fails with one line, untouched,
 * while its partner deploys).
 *
 * Owners (ADR 107): every file fleet writes on a sudo host is root's — live files under /etc,
 * units, and the default store and deployments under /var/lib/fleet.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { rigSkipReason, useSystemdRig, type RigMachine } from "../support/systemd-rig.js";
import { treeHash } from "../support/tree-hash.js";
import { tempDir } from "../support/temp-dir.js";

const rig = useSystemdRig([
  { name: "web" },
  { name: "db" },
  { name: "banner", banner: true },
  { name: "fish", loginShell: "fish" },
  { name: "nosftp", noSftp: true },
  { name: "sudopw", sudoPassword: true },
]);

const work = tempDir("fleet-real-qs-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Paths fleet manages on each quickstart host (live files and units). */
const MANAGED = {
  WebStack: ["/etc/webapp", "/etc/systemd/system/webapp.service"],
  DbStack: ["/etc/postgres", "/etc/systemd/system/postgres.service"],
} as const;
type Stack = keyof typeof MANAGED;

/** The quickstart copied with its two targets pointed at `web` and `db` machines. */
function quickstart(name: string, web: RigMachine, db: RigMachine): string {
  const dir = join(work, name);
  cpSync(join(REPO_ROOT, "examples/quickstart"), dir, { recursive: true });
  const fleet = join(dir, "fleet.pcl");
  writeFileSync(
    fleet,
    readFileSync(fleet, "utf8").replace("ssh://deploy@web.example.com", web.target).replace("ssh://deploy@db.example.com", db.target),
  );
  return fleet;
}

/** The edit of the scenario: the web tier listens elsewhere, the database takes more clients. */
function edit(fleet: string): void {
  const dir = join(fleet, "..");
  const web = join(dir, "hosts/web.pcl");
  writeFileSync(web, readFileSync(web, "utf8").replace("listen 8080", "listen 8081"));
  const db = join(dir, "hosts/db.pcl");
  writeFileSync(db, readFileSync(db, "utf8").replace("maxConnections = 200", "maxConnections = 300"));
}

function fleet(args: readonly string[]): CliResult {
  return runFleet([...args, ...sshFlags({ key: rig.keyPath, knownHosts: rig.knownHostsPath })], {
    // The local store lives in a scratch HOME, not in the home of whoever runs the tests.
    env: { HOME: join(work, "home") },
  });
}

/** Hash of what fleet manages on `m` for `stack`, read from the machine's root on this side. */
function managedTree(m: RigMachine, stack: Stack): string {
  return MANAGED[stack].map((p) => `${p} ${hashPath(m.path(p))}`).join("\n");
}

/** A directory's tree hash, or a file's mode and sha256; "absent" when there is nothing. */
function hashPath(local: string): string {
  if (!existsSync(local)) return "absent";
  const st = lstatSync(local);
  if (st.isDirectory()) return treeHash(local);
  return `${(st.mode & 0o7777).toString(8)} ${createHash("sha256").update(readFileSync(local)).digest("hex")}`;
}

async function sh(m: RigMachine, cmd: string): Promise<string> {
  const r = await m.exec(cmd);
  return `${r.stdout}${r.stderr}`.trim();
}

describe.skipIf(rigSkipReason)("the quickstart on real systemd machines, as deploy through sudo", () => {
  beforeAll(async () => {
    // The quickstart's postgres unit runs as User=postgres: the account a real host would have.
    await Promise.all(rig.rig.machines.map((m) => m.exec("useradd --system --no-create-home --shell /usr/sbin/nologin postgres")));
  });

  /** apply → checks → edit → apply → rollback → byte-identical to gen-001, on one pair. */
  async function scenario(name: string, web: RigMachine, db: RigMachine): Promise<void> {
    const file = quickstart(name, web, db);
    const first = fleet(["apply", file, "--sudo", "--activate", "--enable"]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(`✓ WebStack → ${web.target}\n✓ DbStack → ${db.target}\nfleet: 2/2 host(s) deployed\n`);
    expect(first.code).toBe(0);

    // Real systemd: enabled, and started. The quickstart's webapp prints one line and exits 0,
    // so systemd shows it as ran-and-exited; postgres (sleep infinity) stays active.
    expect(await sh(web, "systemctl is-enabled webapp.service")).toBe("enabled");
    expect(await sh(db, "systemctl is-enabled postgres.service")).toBe("enabled");
    expect(await sh(db, "systemctl is-active postgres.service")).toBe("active");
    expect(await sh(web, "systemctl show -p ExecMainCode -p ExecMainStatus --value webapp.service")).toBe("1\n0");
    expect(await web.journal(["-u", "webapp.service", "-o", "cat"])).toContain("webapp listening on 8080");

    // Owners as ADR 107 says: root's, store and deployments under /var/lib/fleet.
    expect(await sh(web, "stat -c '%U:%G %a' /etc/webapp/site.conf /etc/systemd/system/webapp.service")).toBe("root:root 644\nroot:root 644");
    expect(await sh(web, "stat -c '%U:%G' /var/lib/fleet/deployments/WebStack/gen-001.json /var/lib/fleet/store")).toBe("root:root\nroot:root");
    expect(await sh(web, "readlink /var/lib/fleet/deployments/WebStack/current")).toBe("gen-001.json");
    expect(await sh(web, "grep -o 'ExecStart=/var/lib/fleet/store/[^ ]*' /etc/systemd/system/webapp.service")).toMatch(
      /^ExecStart=\/var\/lib\/fleet\/store\/[0-9a-z]{32}-webapp-1\.0\.0\/bin\/webapp$/,
    );
    expect(await sh(db, "stat -c '%U' /proc/$(systemctl show -p MainPID --value postgres.service)")).toBe("postgres");
    const gen1 = { web: managedTree(web, "WebStack"), db: managedTree(db, "DbStack") };

    edit(file);
    const second = fleet(["apply", file, "--sudo", "--activate", "--enable"]);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(await sh(web, "cat /etc/webapp/site.conf")).toContain("listen 8081");
    expect(await sh(db, "systemctl is-active postgres.service")).toBe("active");
    expect(managedTree(web, "WebStack")).not.toBe(gen1.web);

    const back = fleet(["rollback", file, "--sudo"]);
    expect(back.stderr).toBe("");
    expect(back.stdout).toMatch(/^↩ DbStack → gen-001 \(was gen-002\); [^\n]*\n↩ WebStack → gen-001 \(was gen-002\); [^\n]*\nfleet: 2\/2 host\(s\) rolled back\n$/);
    expect(back.code).toBe(0);
    expect(managedTree(web, "WebStack")).toBe(gen1.web);
    expect(managedTree(db, "DbStack")).toBe(gen1.db);

    // The read-only commands reach the root-owned deployments the same way.
    const verify = fleet(["verify", file, "--sudo"]);
    expect(verify.stderr).toBe("");
    expect(verify.stdout).toMatch(/fleet: 2\/2 host\(s\) verified\n$/);
    expect(verify.code).toBe(0);
    const plan = fleet(["plan", file, "--sudo", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toHaveProperty("plan_hash");
  }

  it("two plain machines (dash as /bin/sh)", async () => {
    await scenario("plain", rig.get("web"), rig.get("db"));
  }, 180_000);

  it("a host whose bash prints a banner and a host whose login shell is fish", async () => {
    await scenario("shells", rig.get("banner"), rig.get("fish"));
  }, 180_000);

  it("a host without the sftp subsystem deploys; a host whose sudo wants a password fails with one line, untouched", async () => {
    const web = rig.get("nosftp");
    const pw = rig.get("sudopw");
    const file = quickstart("nosftp", web, pw);
    const treeBefore = `${managedTree(pw, "DbStack")}\n${hashPath(pw.path("/var/lib/fleet"))}`;
    const homeBefore = await sh(pw, "find /home/deploy /tmp /var/tmp -newer /etc/hostname -print | sort");
    const failure = `✗ DbStack → ${pw.target}: sudo on ${pw.target} asks deploy for a password; allow passwordless sudo for deploy (a NOPASSWD rule in /etc/sudoers.d/) or deploy this host without sudo\n`;

    const first = fleet(["apply", file, "--sudo", "--activate", "--enable"]);
    expect(first.stderr).toBe(failure);
    expect(first.stdout).toBe(`✓ WebStack → ${web.target}\nfleet: 1/2 host(s) deployed (1 failed)\n`);
    expect(first.code).toBe(1);
    expect(await sh(web, "systemctl is-enabled webapp.service")).toBe("enabled");
    expect(await web.journal(["-u", "webapp.service", "-o", "cat"])).toContain("webapp listening on 8080");
    expect(await sh(web, "stat -c '%U:%G' /etc/webapp/site.conf /var/lib/fleet/deployments/WebStack/gen-001.json")).toBe("root:root\nroot:root");
    const gen1 = managedTree(web, "WebStack");

    edit(file);
    const second = fleet(["apply", file, "--sudo", "--activate", "--enable"]);
    expect(second.stderr).toBe(failure);
    expect(second.code).toBe(1);
    expect(await sh(web, "cat /etc/webapp/site.conf")).toContain("listen 8081");

    const back = fleet(["rollback", file, "--sudo"]);
    expect(back.stdout).toMatch(/^↩ WebStack → gen-001 \(was gen-002\); [^\n]*\nfleet: 1\/2 host\(s\) rolled back \(1 failed\)\n$/);
    expect(back.stderr).toBe(failure);
    expect(back.code).toBe(1);
    expect(managedTree(web, "WebStack")).toBe(gen1);

    // The password host: nothing fleet manages, and nothing anywhere else, was written.
    expect(`${managedTree(pw, "DbStack")}\n${hashPath(pw.path("/var/lib/fleet"))}`).toBe(treeBefore);
    expect(await sh(pw, "find /home/deploy /tmp /var/tmp -newer /etc/hostname -print | sort")).toBe(homeBefore);
  }, 180_000);
});
