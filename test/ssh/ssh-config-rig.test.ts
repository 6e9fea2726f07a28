/**
 * ProxyJump on real systemd machines (the rig of ADR 100): `app` lives in the bastion's private
 * network namespace, so only `gw` can reach it. fleet deploys to `ssh://deploy@app` from an
 * operator's ~/.ssh/config, and checks the host keys of both machines.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet, type CliResult } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { rigSkipReason, useSystemdRig } from "../support/systemd-rig.js";
import { writeFleetDir } from "./pcl.js";
import { tempDir } from "../support/temp-dir.js";

const rig = useSystemdRig([
  { name: "gw", bastion: true },
  { name: "app", behindBastion: "gw" },
]);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.skipIf(rigSkipReason)("ProxyJump through a real bastion machine", () => {
  let home: string;
  let work: string;
  const tag = `fleet-sshcfg-rig-${process.pid}`;
  const conf = "/home/deploy/fleet-sshcfg/app.conf";

  function config(knownHosts: string): string {
    const gw = rig.get("gw");
    const app = rig.get("app");
    return [
      "Host gw",
      "  HostName 127.0.0.1",
      `  Port ${gw.port}`,
      "  User deploy",
      "",
      "Host app",
      "  HostName 127.0.0.1",
      `  Port ${app.port}`,
      "  ProxyJump gw",
      "",
      "Host *",
      `  IdentityFile ${rig.keyPath}`,
      `  UserKnownHostsFile ${knownHosts}`,
      "",
    ].join("\n");
  }

  const fleet = (args: readonly string[]): CliResult =>
    runFleet([...args, "--store-root", `~/.${tag}/store`, "--deployments-root", `~/.${tag}/deployments`], {
      env: { HOME: home, SSH_AUTH_SOCK: "" },
    });

  beforeAll(() => {
    home = tempDir("fleet-sshcfg-rig-home-");
    work = tempDir("fleet-sshcfg-rig-");
    mkdirSync(join(home, ".ssh"));
    writeFileSync(join(home, ".ssh", "config"), config(rig.knownHostsPath));
    writeFleetDir(join(work, "jump"), [{ stack: "App", target: "ssh://deploy@app", pkg: { version: "1" }, files: [{ path: conf, content: "through gw\\n" }] }]);
    writeFleetDir(join(work, "direct"), [
      { stack: "App", target: `ssh://deploy@127.0.0.1:${rig.get("app").port}`, files: [{ path: conf, content: "direct\\n" }] },
    ]);
  });
  afterAll(() => {
    for (const d of [home, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("a direct connection to the machine behind the bastion is refused", () => {
    const app = rig.get("app");
    const r = fleet(["apply", join(work, "direct", "fleet.pcl"), "-F", "none", ...sshFlags({ key: rig.keyPath, knownHosts: rig.knownHostsPath })]);
    expect(r.stderr).toBe(
      `✗ App → ssh://deploy@127.0.0.1:${app.port}: cannot connect to ssh://deploy@127.0.0.1:${app.port}: connection refused; check that sshd listens on that port\n`,
    );
    expect(r.code).toBe(1);
  });

  it("deploys through ProxyJump from ~/.ssh/config onto the machine behind the bastion", async () => {
    const r = fleet(["apply", join(work, "jump", "fleet.pcl")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("✓ App → ssh://deploy@app\nfleet: 1/1 host(s) deployed\n");
    expect(r.code).toBe(0);
    const app = rig.get("app");
    expect(await app.readFile(conf)).toBe("through gw\n");
    expect((await app.exec(`stat -c %U ${conf}`)).stdout).toBe("deploy\n");
    expect((await app.exec(["readlink", `/home/deploy/.${tag}/deployments/App/current`])).stdout).toBe("gen-001.json\n");
  });

  it("refuses a wrong bastion key in known_hosts, naming the jump host", () => {
    const gw = rig.get("gw");
    const app = rig.get("app");
    const [type, blob] = app.hostPubKey.split(" ");
    const wrong = join(work, "wrong_known_hosts");
    writeFileSync(wrong, `[127.0.0.1]:${gw.port} ${type} ${blob}\n${readFileSync(app.knownHostsPath, "utf8")}`);
    const cfg = join(work, "wrong.config");
    writeFileSync(cfg, config(wrong));
    const r = fleet(["status", join(work, "jump", "fleet.pcl"), "-F", cfg]);
    expect(r.stderr).toMatch(
      new RegExp(
        `^✗ App → ssh://deploy@app: jump host gw \\(deploy@127\\.0\\.0\\.1:${gw.port}\\): host key for \\[127\\.0\\.0\\.1\\]:${gw.port} does not match: offered ${esc(type!)} SHA256:[A-Za-z0-9+/]+; if the host was legitimately re-keyed, replace line 1 of ${esc(wrong)}`,
        "m",
      ),
    );
    expect(r.code).toBe(1);
  });
});
