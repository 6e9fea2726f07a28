/**
 * `fleet ping` and `fleet exec` (issue 14, ADR 182) on real systemd machines of the rig (ADR 100):
 * real sshd, host keys checked, commands run by the target's login shell through Transport.run.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT, runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { tempDir, writeFleet } from "../support/fleet-fixture.js";
import { rigSkipReason, useSystemdRig } from "../support/systemd-rig.js";

const rig = useSystemdRig([{ name: "web" }, { name: "db" }]);

const shq = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** `fleet ARGS` inside a pseudo-terminal (util-linux `script`), typing `input` into it. */
function inPty(args: readonly string[], input: string): Promise<CliResult> {
  const cmd = [process.execPath, FLEET_BIN, ...args].map(shq).join(" ");
  return new Promise((resolve) => {
    const child = spawn("script", ["-qec", cmd, "/dev/null"], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1", TERM: "dumb" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe.skipIf(rigSkipReason)("fleet ping / exec on rig machines", () => {
  const fleetFile = (extra: { unreachable?: boolean; retired?: boolean } = {}): string => {
    const dir = tempDir();
    return writeFleet(dir, [
      { stack: "WebStack", target: rig.get("web").target, machine: "web", tags: ["app"], files: { "/etc/w": "w" } },
      { stack: "DbStack", target: rig.get("db").target, machine: "db", files: { "/etc/d": "d" } },
      ...(extra.unreachable ? [{ stack: "GoneStack", target: "ssh://deploy@127.0.0.1:1", machine: "gone", files: { "/etc/g": "g" } }] : []),
      ...(extra.retired ? [{ stack: "OldStack", target: "ssh://deploy@127.0.0.1:1", machine: "old", lifecycle: "decommissioned", files: { "/etc/o": "o" } }] : []),
    ]);
  };
  const ssh = (): string[] => sshFlags({ key: rig.keyPath, knownHosts: rig.knownHostsPath, connectTimeout: 5 });

  it("ping reports each host's connect time and remote user; a decommissioned host is not contacted", () => {
    const r = runFleet(["ping", fleetFile({ retired: true }), ...ssh()]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^✓ web \\(${rig.get("web").target}\\): \\d+ ms, user deploy\\n✓ db \\(${rig.get("db").target}\\): \\d+ ms, user deploy\\nfleet: 2/2 host\\(s\\) reachable\\n$`));
    expect(r.code).toBe(0);
    const json = JSON.parse(runFleet(["ping", fleetFile(), ...ssh(), "--json", "--only", "db"]).stdout) as { command: string; hosts: Record<string, unknown>[] };
    expect(json.command).toBe("ping");
    expect(json.hosts).toHaveLength(1);
    expect(json.hosts[0]).toMatchObject({ machine: "db", reachable: true, user: "deploy", error: null });
    expect(typeof json.hosts[0]!["latency_ms"]).toBe("number");
  });

  it("ping exits 1 when a host is unreachable, naming it", () => {
    const r = runFleet(["ping", fleetFile({ unreachable: true }), ...ssh()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("✗ gone (ssh://deploy@127.0.0.1:1): cannot connect to ssh://deploy@127.0.0.1:1: connection refused; check that sshd listens on that port\n");
    expect(r.stdout).toMatch(/fleet: 2\/3 host\(s\) reachable\n$/);
  });

  it("ping checks the host key: an unknown host is refused", () => {
    const kh = join(tempDir(), "known_hosts");
    writeFileSync(kh, "");
    const r = runFleet(["ping", fleetFile(), ...sshFlags({ key: rig.keyPath, knownHosts: kh }), "--only", "web"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ web \(ssh:\/\/deploy@127\.0\.0\.1:\d+\): .*host key/m);
  });

  it("exec runs the command on the selected hosts, grouped under a header per host", async () => {
    const web = rig.get("web");
    const r = runFleet(["exec", fleetFile(), ...ssh(), "--only", "web,db", "--", "hostname;", "echo", "err", ">&2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ web \(ssh:\/\/[^)]+\): exit 0, \d+ ms\n  web\n✓ db \(ssh:\/\/[^)]+\): exit 0, \d+ ms\n  db\nfleet: 2\/2 host\(s\) succeeded\n$/);
    expect(r.stderr).toBe("  web: err\n  db: err\n");
    // It really ran there, as deploy.
    const touched = runFleet(["exec", fleetFile(), ...ssh(), "--only", "@app", "--", "touch", "/home/deploy/exec-was-here"]);
    expect(touched.code).toBe(0);
    expect((await web.exec("stat -c %U /home/deploy/exec-was-here")).stdout.trim()).toBe("deploy");
    expect((await rig.get("db").exec("test -e /home/deploy/exec-was-here")).code).not.toBe(0);
  });

  it("--prefix puts the host before each line; a failing command is exit 1 with its code in --json", () => {
    const p = runFleet(["exec", fleetFile(), ...ssh(), "--only", "web", "--prefix", "--", "printf", "'a\\nb\\n'"]);
    expect(p.stdout).toBe("web: a\nweb: b\nfleet: 1/1 host(s) succeeded\n");
    expect(p.code).toBe(0);
    const f = runFleet(["exec", fleetFile(), ...ssh(), "--all", "--json", "--", "echo", "out;", "test", "$(hostname)", "=", "web"]);
    expect(f.code).toBe(1);
    const doc = JSON.parse(f.stdout) as { command: string; hosts: Record<string, unknown>[]; summary: Record<string, number> };
    expect(doc.command).toBe("exec");
    expect(doc.hosts.map((h) => [h["machine"], h["exit_code"], h["stdout"], h["stderr"], h["error"]])).toEqual([
      ["web", 0, "out\n", "", null],
      ["db", 1, "out\n", "", null],
    ]);
    expect(typeof doc.hosts[0]!["duration_ms"]).toBe("number");
    expect(doc.summary).toEqual({ total: 2, ok: 1, failed: 1 });
  });

  it("refuses every host without --only unless --all, an empty command, and --transport-root (usage, exit 2)", () => {
    const all = runFleet(["exec", fleetFile(), ...ssh(), "--", "true"]);
    expect(all.code).toBe(2);
    expect(all.stderr).toBe("fleet: error: exec runs on every host of the fleet only with --all; pick hosts with --only NAME,@tag\n");
    const empty = runFleet(["exec", fleetFile(), ...ssh(), "--only", "web"]);
    expect(empty.code).toBe(2);
    const hermetic = runFleet(["exec", fleetFile(), "--transport-root", tempDir(), "--only", "web", "--", "true"]);
    expect(hermetic.code).toBe(2);
    expect(hermetic.stderr).toContain("--transport-root host is a folder and runs nothing");
    expect(runFleet(["ping", fleetFile(), "--transport-root", tempDir()]).code).toBe(2);
  });

  it("ssh opens an interactive shell with a terminal on the named host; its exit status is fleet's", async () => {
    const r = await inPty(["ssh", fleetFile(), "web", ...ssh()], "echo HOST-$(hostname) TTY-$(test -t 0 && echo yes) USER-$(id -un)\nexit 3\n");
    expect(r.stdout).toContain("HOST-web TTY-yes USER-deploy");
    expect(r.code).toBe(3);
    const db = await inPty(["ssh", fleetFile(), "DbStack", ...ssh()], "echo HOST-$(hostname)\nexit\n");
    expect(db.stdout).toContain("HOST-db");
    expect(db.code).toBe(0);
  });

  it("ssh refuses an unknown host (exit 2) and an unknown host key (exit 255), with a reason", async () => {
    const unknown = runFleet(["ssh", fleetFile(), "nope", ...ssh()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("fleet: error: no host named 'nope'; known: db, web\n");
    const kh = join(tempDir(), "known_hosts");
    writeFileSync(kh, "");
    const r = runFleet(["ssh", fleetFile(), "web", ...sshFlags({ key: rig.keyPath, knownHosts: kh })], { input: "exit\n" });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^✗ web: .*host key/m);
  });

  it("exec --sudo runs the command as root through sudo -n; without it as the login user; a record's sudo = true does the same", () => {
    const fleet = fleetFile();
    const plain = runFleet(["exec", fleet, ...ssh(), "--only", "web", "--json", "--", "id", "-u"]);
    const asUser = (JSON.parse(plain.stdout) as { hosts: { stdout: string }[] }).hosts[0]!.stdout.trim();
    expect(Number(asUser)).toBeGreaterThanOrEqual(1000);
    const sudo = runFleet(["exec", fleet, ...ssh(), "--only", "web", "--sudo", "--", "id", "-u"]);
    expect(sudo.code, sudo.stderr).toBe(0);
    expect(sudo.stdout).toMatch(/^✓ web \(ssh:\/\/[^)]+\): exit 0, \d+ ms\n  0\nfleet: 1\/1 host\(s\) succeeded\n$/);
    const dir = tempDir();
    const record = writeFleet(dir, [{ stack: "WebStack", target: rig.get("web").target, machine: "web", files: { "/etc/w": "w" } }]);
    writeFileSync(record, readFileSync(record, "utf8").replace('machine = "web"', 'machine = "web"\n      sudo = true'));
    const byRecord = runFleet(["exec", record, ...ssh(), "--only", "web", "--", "id", "-u"]);
    expect(byRecord.code, byRecord.stderr).toBe(0);
    expect(byRecord.stdout).toContain("\n  0\n");
    // ping still reports the login user.
    expect(runFleet(["ping", record, ...ssh()]).stdout).toContain("user deploy");
  });

  it("a flow runs exec and ping steps on the rig; a failing exec step blocks what depends on it", () => {
    const dir = tempDir();
    const fleet = writeFleet(
      dir,
      [
        { stack: "WebStack", target: rig.get("web").target, machine: "web", tags: ["app"], files: { "/etc/w": "w" } },
        { stack: "DbStack", target: rig.get("db").target, machine: "db", files: { "/etc/d": "d" } },
      ],
      `  flows = {
    check = {
      description = "reach every host, then look at the app"
      steps = [
        { id = "ping" action = { type = "ping" } }
        { id = "uptime" action = { type = "exec" command = ["cat", "/etc/hostname"] } targets = ["@app"] dependsOn = ["ping"] }
        { id = "fail" action = { type = "exec" command = ["false"] } targets = ["db"] dependsOn = ["ping"] }
        { id = "after" action = { type = "ping" } targets = ["db"] dependsOn = ["fail"] }
      ]
    }
  }`,
    );
    const r = runFleet(["flow", "run", fleet, "check", ...ssh()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Level 1:\n▸ step ping \[ping\] targets: \(inherit CLI targets\)\n✓ web [^\n]+user deploy\n✓ db [^\n]+user deploy\nfleet: 2\/2 host\(s\) reachable\n✓ step ping\n/);
    expect(r.stdout).toMatch(/▸ step uptime \[exec\] targets: @app\n✓ web \([^)]+\): exit 0, \d+ ms\n  web\nfleet: 1\/1 host\(s\) succeeded\n✓ step uptime\n/);
    expect(r.stderr).toContain("✗ step fail: exit 1\n⊘ step after: blocked by step 'fail' (failed)\n");
    expect(r.stdout).toMatch(/fleet: flow check: 2 ok, 1 failed, 1 blocked, 0 skipped\n$/);
  });

  it("exec hooks: a failing pre hook keeps the command off that host, a failing post hook warns", () => {
    const log = join(tempDir(), "hooks.log");
    const fleet = writeFleet(
      tempDir(),
      [
        { stack: "WebStack", target: rig.get("web").target, machine: "web", files: { "/etc/w": "w" } },
        { stack: "DbStack", target: rig.get("db").target, machine: "db", files: { "/etc/d": "d" } },
      ],
      `  hooks = { exec = { pre = "echo pre $FLEET_NODE $FLEET_USER >> ${log}; test $FLEET_NODE != db || { echo not on db >&2; exit 5; }" post = "echo post failed >&2; exit 1" } }`,
    );
    const r = runFleet(["exec", fleet, ...ssh(), "--all", "--jobs", "1", "--", "hostname"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✓ web \([^)]+\): exit 0, \d+ ms\n  web\nfleet: 1\/2 host\(s\) succeeded\n$/);
    expect(r.stderr).toBe(
      "  exec post hook exited 1; last lines of stderr:\n    post failed\n" +
        `⚠ web (${rig.get("web").target}): exec post hook failed (exit 1: post failed)\n` +
        `✗ db (${rig.get("db").target}): exec pre hook failed (exit 5: not on db)\n` +
        "  exec pre hook exited 5; last lines of stderr:\n    not on db\n",
    );
    expect(readFileSync(log, "utf8")).toBe("pre web deploy\npre db deploy\n");
  });
});
