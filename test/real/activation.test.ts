/**
 * Issue 11, must show, on real systemd machines (ADR 190): activation touches only what changed,
 * a service that leaves is stopped and disabled, `rollback --activate` brings it back, an
 * auto-rollback after a failed health check leaves the previous version running, and a hermetic
 * run reports the same activation lists as the real one for the same change. Two machines booted
 * once for the file, deployed as `deploy` through sudo.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { rigSkipReason, useSystemdRig, type RigMachine } from "../support/systemd-rig.js";
import { writeTree } from "../support/fleet-fixture.js";
import { tempDir } from "../support/temp-dir.js";

const rig = useSystemdRig([{ name: "two" }, { name: "rel" }]);

const work = tempDir("fleet-real-act-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fleet(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  return runFleet([...args, ...sshFlags({ key: rig.keyPath, knownHosts: rig.knownHostsPath })], { env: { HOME: join(work, "home"), ...env } });
}

async function sh(m: RigMachine, cmd: string): Promise<string> {
  const r = await m.exec(cmd);
  return `${r.stdout}${r.stderr}`.trim();
}

const SLEEPER = `module Sleeper { pname = "sleeper" version = "1" recipe = "std.files"
  files = [ { path = "bin/sleeper" content = "#!/bin/sh\\nexec sleep infinity\\n" mode = "0755" } ] }`;

/** Two sleeping services; `one` restarts when /etc/act/one.conf changes. */
function twoServices(oneConf: string, withTwo = true): string {
  const two = withTwo ? `{ name = "two" package = "Sleeper" binary = "sleeper" restartTriggers = ["/etc/act/two.conf"] }` : "";
  return `${SLEEPER}
module TwoStack {
  backend = "systemd"
  services = [ { name = "one" package = "Sleeper" binary = "sleeper" restartTriggers = ["/etc/act/one.conf"] } ${two} ]
  configFiles = [ { path = "/etc/act/one.conf" content = "${oneConf}" } { path = "/etc/act/two.conf" content = "two" } ]
}
`;
}

interface Lists {
  started: string[];
  restarted: string[];
  reloaded: string[];
  stopped: string[];
  unchanged: string[];
}

function activationOf(r: CliResult): Lists {
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { hosts: { activation: Lists }[] };
  return doc.hosts[0]!.activation;
}

const none: Lists = { started: [], restarted: [], reloaded: [], stopped: [], unchanged: [] };

describe.skipIf(rigSkipReason)("activation on real systemd machines (issue 11)", () => {
  it("touches only what changed, stops what leaves, and rollback --activate brings it back; hermetic runs report the same", async () => {
    const m = rig.get("two");
    const dir = join(work, "two");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "TwoStack" target = "${m.target}" } ] }\n`,
      "h.pcl": twoServices("a"),
    });
    const file = join(dir, "fleet.pcl");
    const real = (extra: readonly string[] = []): Lists => activationOf(fleet(["apply", file, "--sudo", "--activate", "--enable", "--json", ...extra]));
    const hermeticRoot = join(work, "hermetic");
    const hermetic = (): Lists =>
      activationOf(
        fleet(["apply", file, "--activate", "--enable", "--json", "--transport-root", hermeticRoot, "--store-root", join(work, "hstore")]),
      );

    // First activation: both started and enabled.
    expect(real()).toEqual({ ...none, started: ["one.service", "two.service"] });
    expect(hermetic()).toEqual({ ...none, started: ["one.service", "two.service"] });
    expect(await sh(m, "systemctl is-active one.service two.service")).toBe("active\nactive");
    expect(await sh(m, "systemctl is-enabled one.service two.service")).toBe("enabled\nenabled");
    const inv = async (u: string): Promise<string> => sh(m, `systemctl show -p InvocationID --value ${u}`);
    const before = { one: await inv("one.service"), two: await inv("two.service") };
    expect(before.one).toMatch(/^[0-9a-f]{32}$/);

    // An unchanged re-apply touches nothing; with -v the host's line says so (ADR 237).
    const same = fleet(["apply", file, "--sudo", "--activate", "--enable", "-v"]);
    expect(same.stdout).toBe(`✓ TwoStack → ${m.target}\n  activation: 2 unchanged\nfleet: 1/1 host(s) deployed\n`);
    expect(same.code).toBe(0);
    expect({ one: await inv("one.service"), two: await inv("two.service") }).toEqual(before);

    // one's restart trigger changes: only one restarts.
    writeFileSync(join(dir, "h.pcl"), twoServices("b"));
    expect(real()).toEqual({ ...none, restarted: ["one.service"], unchanged: ["two.service"] });
    expect(hermetic()).toEqual({ ...none, restarted: ["one.service"], unchanged: ["two.service"] });
    expect(await inv("two.service")).toBe(before.two);
    expect(await inv("one.service")).not.toBe(before.one);
    expect(await sh(m, "systemctl is-active one.service")).toBe("active");

    // two leaves the stack: stopped, disabled, its unit gone and unloaded.
    writeFileSync(join(dir, "h.pcl"), twoServices("b", false));
    expect(real()).toEqual({ ...none, stopped: ["two.service"], unchanged: ["one.service"] });
    expect(hermetic()).toEqual({ ...none, stopped: ["two.service"], unchanged: ["one.service"] });
    expect((await m.exec("test -e /etc/systemd/system/two.service")).code).not.toBe(0);
    expect((await m.exec("test -e /etc/systemd/system/multi-user.target.wants/two.service")).code).not.toBe(0);
    expect(await sh(m, "systemctl list-units --all --plain --no-legend two.service")).toBe("");
    expect(await sh(m, "systemctl show -p MainPID --value two.service")).toBe("0");
    expect(await sh(m, "ps -eo args | grep -c '^sleep infinity$'")).toBe("1");

    // rollback --activate --enable: two is back, running and enabled.
    const back = fleet(["rollback", file, "--sudo", "--activate", "--enable", "-v"]);
    expect(back.stdout).toMatch(/^↩ TwoStack → gen-003 \(was gen-004\); \d+ restored, \d+ removed\n  activation: started two\.service; enabled two\.service; 1 unchanged\nfleet: 1\/1 host\(s\) rolled back\n$/);
    expect(back.code).toBe(0);
    expect(await sh(m, "systemctl is-active two.service")).toBe("active");
    expect(await sh(m, "systemctl is-enabled two.service")).toBe("enabled");
  }, 180_000);

  it("a release whose binary exits 1 fails its systemd health check; the host is rolled back, the previous version runs, its consumer is blocked", async () => {
    const m = rig.get("rel");
    const consumer = rig.get("two");
    const dir = join(work, "rel");
    // ExecStartPost holds the start job for 1 s, so a binary that exits at once has exited (the
    // unit failed) before `systemctl restart` returns and the first check runs.
    const release = (version: string, body: string): string => `module Rel { pname = "rel" version = "${version}" recipe = "std.files"
  files = [ { path = "bin/rel" content = "#!/bin/sh\\n${body}\\n" mode = "0755" } ] }
module RelStack {
  backend = "systemd"
  services = [ { name = "rel" package = "Rel" binary = "rel" serviceConfig = { Restart = "no" ExecStartPost = "/bin/sleep 1" } } ]
  producesArtifacts = [ { name = "version" kind = "literal" value = "${version}" } ]
  healthTimeout = 4
  healthChecks = [ { name = "rel-up" systemd = ["rel.service"] interval = 1 } ]
}
`;
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [
  { file = "h.pcl" stack = "RelStack" target = "${m.target}" machine = "rel" }
  { file = "c.pcl" stack = "RelConsumer" target = "${consumer.target}" machine = "two" }
] }\n`,
      "h.pcl": release("1", "exec sleep infinity"),
      "c.pcl": `module RelConsumer { backend = "systemd" configFiles = [ { path = "/etc/act/rel-version" content = "\${ { from_artifact = "rel/version" } }" } ] }\n`,
    });
    const file = join(dir, "fleet.pcl");
    const first = fleet(["apply", file, "--sudo", "--activate", "--enable"]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(`✓ RelStack → ${m.target}\n✓ RelConsumer → ${consumer.target}\nfleet: 2/2 host(s) deployed\n`);
    expect(first.code).toBe(0);
    const execStart = async (): Promise<string> => (await sh(m, "systemctl show -p ExecStart --value rel.service")).match(/path=(\S+)/)?.[1] ?? "";
    const v1 = await execStart();
    expect(v1).toMatch(/-rel-1\/bin\/rel$/);
    expect(await sh(consumer, "cat /etc/act/rel-version")).toBe("1");

    writeFileSync(join(dir, "h.pcl"), release("2", "exit 1"));
    const second = fleet(["apply", file, "--sudo", "--activate", "--enable", "--json"]);
    expect(second.code).toBe(1);
    interface Host {
      status: string;
      generation: number;
      activation: Lists;
      error: { message: string };
      warnings: string[];
      health: { name: string; kind: string; attempts: number; passed: boolean; exit_code: number | null; error: string | null }[];
      output: { step: string; stdout: string; failed: boolean }[];
    }
    const [rel, cons] = (JSON.parse(second.stdout) as { hosts: Host[] }).hosts;
    expect(rel!.status).toBe("rolled-back");
    expect(rel!.generation).toBe(1);
    expect(rel!.error.message).toMatch(/^rolled back to gen-001 \(health check 'rel-up' failed after [2-5] attempts: unit rel\.service is failed\)$/);
    expect(rel!.health).toHaveLength(1);
    expect(rel!.health[0]).toMatchObject({ name: "rel-up", kind: "systemd", passed: false, exit_code: 3, error: "unit rel.service is failed" });
    expect(rel!.health[0]!.attempts).toBeGreaterThanOrEqual(2);
    // The failed restart of version 2 is a ⚠ naming the unit; the activation step's output in
    // --json carries it with the end of the unit's journal (ADR 237).
    expect(rel!.warnings.some((w) => w.startsWith("systemctl restart rel.service failed"))).toBe(true);
    const activation = rel!.output.filter((o) => o.step === "activation");
    expect(activation.length).toBeGreaterThanOrEqual(2);
    expect(activation[0]!.failed).toBe(true);
    expect(activation[0]!.stdout).toMatch(/^systemctl restart rel\.service failed \(exit 1\): Job for rel\.service failed[^\n]*\n/);
    expect(activation[0]!.stdout).toContain("\n  rel.service: Main process exited, code=exited, status=1/FAILURE\n");
    // The re-activation of gen-001: the package changed back, so rel restarts on version 1.
    expect(rel!.activation).toEqual({ ...none, restarted: ["rel.service"] });
    expect(await execStart()).toBe(v1);
    expect(await sh(m, "systemctl is-active rel.service")).toBe("active");
    // Its consumer is blocked and untouched.
    expect(cons!.status).toBe("blocked");
    expect(cons!.error.message).toBe("blocked — upstream rel:version unavailable");
    expect(await sh(consumer, "cat /etc/act/rel-version")).toBe("1");

    // fleet status on the real host (ADR 220–223): the rolled-back generation, why, and that the
    // fleet's PCL would change the host again.
    type St = { generation: number; deployed_by: string | null; desired: { state: string }; health: { ok: boolean; failed_check: string }; last_attempt: { generation: number; outcome: string; reason: string } };
    const st = fleet(["status", file, "--sudo", "--json"]);
    expect(st.code).toBe(0);
    const now = (JSON.parse(st.stdout) as { hosts: St[] }).hosts[0]!;
    expect(now).toMatchObject({ generation: 1, desired: { state: "out-of-date" }, health: { ok: false, failed_check: "rel-up" } });
    expect(now.deployed_by).toMatch(/.@./);
    expect(now.last_attempt).toMatchObject({ generation: 2, outcome: "rolled-back" });
    expect(now.last_attempt.reason).toMatch(/^health check 'rel-up' failed after \d+ attempts?: unit rel\.service is failed/);
    const human = fleet(["status", file, "--sudo"]).stdout;
    expect(human).toMatch(/\n {2}last attempt: gen-002 rolled back \([^)]*\): health check 'rel-up' failed after \d+ attempts?: unit rel\.service is failed/);
  }, 180_000);

  it("a start that fails is a ⚠ warning naming the unit and the end of its journal; the host stays ✓", async () => {
    const m = rig.get("rel");
    const dir = join(work, "bad");
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "BadStack" target = "${m.target}" } ] }\n`,
      "h.pcl": `${SLEEPER}
module BadStack {
  backend = "systemd"
  services = [ { name = "bad" package = "Sleeper" binary = "sleeper" serviceConfig = { ExecStartPre = "/bin/sh -c 'echo bad-pre-says-no; exit 3'" } } ]
}
`,
    });
    const r = fleet(["apply", join(dir, "fleet.pcl"), "--sudo", "--activate"]);
    expect(r.stdout).toBe(`✓ BadStack → ${m.target}\nfleet: 1/1 host(s) deployed\n`);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^⚠ BadStack → ${m.target.replace(/[.]/g, "\\.")}: systemctl start bad\\.service failed \\(exit 1\\): Job for bad\\.service failed[^\\n]*; journal: [^\\n]*bad-pre-says-no[^\\n]*\\n$`));
  }, 120_000);

  it("an http check with interval 1 s passes for a service that listens after 5 s; one that never listens fails after the deadline", async () => {
    const m = rig.get("rel");
    await m.writeFile(
      "/usr/local/bin/slowhttp",
      `#!/usr/bin/perl\nuse IO::Socket::INET; sleep 5;\nmy $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:8090", Listen => 5, ReuseAddr => 1) or die;\nwhile (my $c = $s->accept) { my $l = <$c>; print $c "HTTP/1.0 200 OK\\r\\n\\r\\nok"; close $c }\n`,
      { mode: "0755" },
    );
    const dir = join(work, "http");
    const stack = (name: string, port: number, timeout: number): string => `module ${name} {
  backend = "systemd"
  services = [ { name = "${name.toLowerCase()}" package = "Slow" binary = "slow" } ]
  healthTimeout = ${timeout}
  healthChecks = [ { name = "http-health" url = "http://127.0.0.1:${port}/" interval = 1 } ]
}
`;
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "SlowStack" target = "${m.target}" } { file = "h.pcl" stack = "NeverStack" target = "${m.target}" } ] }\n`,
      "h.pcl": `module Slow { pname = "slow" version = "1" recipe = "std.files"
  files = [ { path = "bin/slow" content = "#!/bin/sh\\nexec /usr/local/bin/slowhttp\\n" mode = "0755" } ] }
${stack("SlowStack", 8090, 30)}${stack("NeverStack", 8099, 4)}`,
    });
    const r = fleet(["apply", join(dir, "fleet.pcl"), "--sudo", "--activate", "--jobs", "1"]);
    expect(r.stdout).toContain(`✓ SlowStack → ${m.target}\n`);
    expect(r.stderr).toMatch(/^✗ NeverStack → [^:]+:[^:]+:\d+: health check 'http-health' failed after [3-5] attempts: [^\n]*refused[^\n]*; no previous generation\n(  [^\n]*\n)*$/);
    expect(r.code).toBe(1);
  }, 120_000);

  it("a multi-line secret in a service's environment reaches the running service byte for byte, and never fleet's output or run log (issue 12 item 9)", async () => {
    const m = rig.get("two");
    const dir = join(work, "secret");
    const runs = join(work, "secret-runs");
    // A PEM-like value with what env files make hard: quotes, `$`, backquote, backslashes (one
    // before a newline), a tab, a CR, a trailing newline. Each line holds a token to grep for.
    const secret = '-----BEGIN ACT-TOKEN-A1 KEY-----\nACT-TOKEN-B2 "dq" \'sq\' $HOME `tick` back\\slash\\\nACT-TOKEN-C3\ttab\r\n-----END ACT-TOKEN-D4 KEY-----\n';
    const tokens = ["ACT-TOKEN-A1", "ACT-TOKEN-B2", "ACT-TOKEN-C3", "ACT-TOKEN-D4"];
    writeTree(dir, {
      "fleet.pcl": `module Fleet { hosts = [ { file = "h.pcl" stack = "SecStack" target = "${m.target}" } ] }\n`,
      "h.pcl": `module Show { pname = "show" version = "1" recipe = "std.files"
  files = [ { path = "bin/show" content = "#!/bin/sh\\nprintf %s \\"$ACT_KEY\\" > /run/act-key.tmp && mv /run/act-key.tmp /run/act-key\\nexec sleep infinity\\n" mode = "0755" } ] }
module SecStack {
  backend = "systemd"
  services = [ { name = "show" package = "Show" binary = "show" environment = { ACT_KEY = { from_env = "ACT_SECRET" } } } ]
  healthTimeout = 20
  healthChecks = [ { name = "printed" command = "test -e /run/act-key" interval = 1 } ]
}
`,
    });
    const file = join(dir, "fleet.pcl");
    const env = { ACT_SECRET: secret };
    const human = fleet(["apply", file, "--sudo", "--activate", "--enable", "-v", "--runs-dir", runs], env);
    expect(human.stderr).not.toMatch(/^[✗⚠↩]/m);
    expect(human.stdout).toBe(`✓ SecStack → ${m.target}\n  activation: started show.service; enabled show.service\nfleet: 1/1 host(s) deployed\n`);
    expect(human.code).toBe(0);
    // What the running service's environment holds, as bytes.
    const printed = await m.exec("base64 -w0 /run/act-key");
    expect(Buffer.from(printed.stdout.trim(), "base64").equals(Buffer.from(secret))).toBe(true);
    expect(await sh(m, "systemctl show -p MainPID --value show.service")).not.toBe("0");

    const json = fleet(["apply", file, "--sudo", "--activate", "--json", "-v", "--runs-dir", runs], env);
    expect(json.code).toBe(0);
    const logs = readdirSync(runs, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
    expect(logs.length).toBeGreaterThan(0);
    for (const text of [human.stdout, human.stderr, json.stdout, json.stderr, ...logs]) {
      for (const t of tokens) expect(text).not.toContain(t);
    }
  }, 120_000);
});
