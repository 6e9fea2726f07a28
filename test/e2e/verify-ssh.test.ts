/**
 * `fleet status` / `fleet verify` over real SSH (one sshd host, the non-root test user): digests
 * through SshTransport, secret files compared by HMAC over SFTP, pinned store paths checked.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { HAVE_SSHD, requireSshdUnderCi } from "../ssh/sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const SECRET = "ssh-planted-secret-value";

describe.skipIf(!HAVE_SSHD)("fleet status and verify over SSH", () => {
  let host: Sshd;
  let work: string;
  let managed: string;
  const tag = `fleet-verify-${process.pid}`;

  beforeAll(async () => {
    host = await startSshd({ user: TEST_USER });
    work = tempDir("fleet-verify-ssh-");
    // Managed files live where the non-root user may write (never the real /etc).
    managed = tempDir("fleet-verify-managed-");
    chmodSync(managed, 0o755);
    const uid = Number(execFileSync("id", ["-u", TEST_USER]).toString());
    const gid = Number(execFileSync("id", ["-g", TEST_USER]).toString());
    chownSync(managed, uid, gid);
    mkdirSync(join(work, "hosts"));
    writeFileSync(
      join(work, "fleet.pcl"),
      `module Fleet { hosts = [ { file = "hosts/a.pcl" stack = "AStack" target = "${host.target}" machine = "a" } ] }\n`,
    );
    writeHostFile("v1");
  });
  afterAll(async () => {
    await host?.stop();
    for (const d of [work, managed, `/root/.${tag}`, `/home/${TEST_USER}/.${tag}`]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const writeHostFile = (version: string): void =>
    writeFileSync(
      join(work, "hosts", "a.pcl"),
      `module Tool { pname = "tool-a" version = "1.0" recipe = "std.files" files = [ { path = "bin/tool" mode = "0755" content = "#!/bin/sh\\n" } ] }
module AStack {
  backend = "systemd"
  storeModules = ["Tool"]
  configFiles = [
    { path = "${managed}/app.conf" content = "${version}\\n" }
    { path = "${managed}/token" content = { from_env = "FLEET_TEST_SSH_SECRET" } }
  ]
}
`,
    );

  const run = (cmd: string, ...extra: string[]) =>
    runFleet(
      [
        cmd,
        join(work, "fleet.pcl"),
        ...sshFlags({ key: host.clientKeyPath, knownHosts: host.knownHostsPath, connectTimeout: 5, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/deployments` }),
        ...extra,
      ],
      { env: { FLEET_TEST_SSH_SECRET: SECRET, FLEET_DEPLOYER: "ssh-tester@ctl" } },
    );

  it("finds drift in plain and secret files and a missing store path, and a re-apply repairs all of it", () => {
    expect(run("apply").code).toBe(0);
    const clean = run("verify");
    expect(clean.stderr).toBe("");
    expect(clean.stdout).toBe(`✓ AStack → ${host.target}: gen-001, 2 file(s) match\nfleet: 1/1 host(s) verified\n`);

    writeFileSync(join(managed, "app.conf"), "edited\n");
    writeFileSync(join(managed, "token"), "another value");
    chmodSync(join(managed, "token"), 0o644);
    const store = `/home/${TEST_USER}/.${tag}/store`;
    const tool = execFileSync("ls", [store]).toString().trim().split("\n").find((n) => n.endsWith("-tool-a-1.0"))!;
    rmSync(join(store, tool), { recursive: true, force: true });

    const r = run("verify");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        `✗ AStack → ${host.target}: gen-001, 2 drifted, 1 store path(s) missing`,
        `  changed ${managed}/app.conf`,
        `  changed ${managed}/token (mode 0600 → 0644)`,
        `  missing store path ${store}/${tool}`,
        "",
      ].join("\n"),
    );
    const st = run("status", "--json");
    expect(st.code).toBe(0);
    const doc = JSON.parse(st.stdout) as { hosts: { status: string; drift: { path: string; kind: string }[] }[] };
    expect(doc.hosts[0]!.status).toBe("drifted");
    expect(doc.hosts[0]!.drift.map((d) => [d.path, d.kind])).toEqual([
      [`${managed}/app.conf`, "changed"],
      [`${managed}/token`, "changed"],
    ]);
    for (const t of [r.stdout, r.stderr, st.stdout, st.stderr]) expect(t).not.toContain(SECRET);

    expect(run("apply").code).toBe(0);
    const repaired = run("verify");
    expect(repaired.stdout).toBe(`✓ AStack → ${host.target}: gen-002, 2 file(s) match\nfleet: 1/1 host(s) verified\n`);
    expect(repaired.code).toBe(0);
  });

  it("status over SSH: who deployed, out of date after an edit, and a rollback recorded on the target with who and why", () => {
    expect(run("apply").code).toBe(0);
    type H = { generation: number; deployed_by: string | null; desired: { state: string } | null; last_attempt: { generation: number; outcome: string; reason: string; by: string } | null };
    const host0 = (): H => (JSON.parse(run("status", "--json").stdout) as { hosts: H[] }).hosts[0]!;
    const applied = host0();
    expect(applied).toMatchObject({ deployed_by: "ssh-tester@ctl", desired: { state: "up-to-date" }, last_attempt: null });

    writeHostFile("v2");
    const edited = run("status");
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`  desired: out of date (the fleet's PCL changed since gen-${String(applied.generation).padStart(3, "0")};`);
    expect(run("apply").code).toBe(0);
    expect(host0().desired).toEqual({ state: "up-to-date", source_hash: expect.any(String), reason: null });

    expect(run("rollback").code).toBe(0);
    const back = host0();
    const newer = applied.generation + 1;
    expect(back.generation).toBe(applied.generation);
    expect(back.last_attempt).toMatchObject({ generation: newer, outcome: "rolled-back", reason: "fleet rollback", by: "ssh-tester@ctl" });
    const human = run("status").stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<when>");
    expect(human).toContain(`  last attempt: gen-${String(newer).padStart(3, "0")} rolled back (<when>, by ssh-tester@ctl): fleet rollback\n`);
    expect(human).not.toContain(SECRET);
    writeHostFile("v1");
  });
});
