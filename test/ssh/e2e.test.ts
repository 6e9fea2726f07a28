/**
 * `fleet apply` → change → `fleet apply` → `fleet rollback` over real SSH against two sshd hosts,
 * as the non-root test user (so the store is really pushed: `~` differs on both sides), checking
 * the managed tree byte for byte through the local file system both hosts share.
 */
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleet } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { startSshd, TEST_USER, type Sshd } from "../support/sshd.js";
import { treeHash, treeListing } from "../support/tree-hash.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

function hostFile(stack: string, root: string, line: string, extra = ""): string {
  return `module Tool {
  pname = "tool-${stack.toLowerCase()}"
  version = "1.0"
  recipe = "std.files"
  files = [ { path = "bin/tool" mode = "0755" content = "#!/bin/sh\\necho ${stack}\\n" } ]
}
module ${stack} {
  backend = "systemd"
  storeModules = ["Tool"]
  configFiles = [
    { path = "${root}/etc/app/app.conf" content = "${line}\\n" }
    { path = "${root}/etc/app/run.sh" content = "#!/bin/sh\\n" mode = "0750" }${extra}
  ]
}
`;
}

describe.skipIf(!HAVE_SSHD)("fleet apply/rollback over SSH (two sshd hosts)", () => {
  let a: Sshd;
  let b: Sshd;
  let work: string;
  let managed: string;
  const tag = `fleet-e2e-${process.pid}`;

  beforeAll(async () => {
    [a, b] = await Promise.all([startSshd({ user: TEST_USER }), startSshd({ user: TEST_USER })]);
    // One key and one known_hosts for both hosts, as an operator would have.
    appendFileSync(join(b.dir, "authorized_keys"), readFileSync(`${a.clientKeyPath}.pub`));
    work = tempDir("fleet-ssh-e2e-");
    writeFileSync(join(work, "known_hosts"), readFileSync(a.knownHostsPath, "utf8") + readFileSync(b.knownHostsPath, "utf8"));
    // The managed files live where the non-root user may write (never the real /etc).
    managed = tempDir("fleet-ssh-managed-");
    execFileSync("/bin/chmod", ["0755", managed]);
    for (const h of ["a", "b"]) {
      mkdirSync(join(managed, h));
      chownSync(join(managed, h), Number(execFileSync("id", ["-u", TEST_USER]).toString()), Number(execFileSync("id", ["-g", TEST_USER]).toString()));
    }
    mkdirSync(join(work, "hosts"));
    writeFileSync(
      join(work, "fleet.pcl"),
      `module Fleet {
  hosts = [
    { file = "hosts/a.pcl" stack = "AStack" target = "${a.target}" machine = "a" }
    { file = "hosts/b.pcl" stack = "BStack" target = "${b.target}" machine = "b" }
  ]
}
`,
    );
    writeFileSync(join(work, "hosts", "a.pcl"), hostFile("AStack", join(managed, "a"), "v1"));
    writeFileSync(join(work, "hosts", "b.pcl"), hostFile("BStack", join(managed, "b"), "v1"));
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of [work, managed, `/root/.${tag}`, `/home/${TEST_USER}/.${tag}`]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const flags = (): string[] =>
    sshFlags({ key: a.clientKeyPath, knownHosts: join(work, "known_hosts"), connectTimeout: 5, storeRoot: `~/.${tag}/store`, deploymentsRoot: `~/.${tag}/deployments` });

  it("deploys, redeploys a change, and rolls back byte for byte", () => {
    const fleet = join(work, "fleet.pcl");
    const first = runFleet(["apply", fleet, ...flags()]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(`✓ AStack → ${a.target}\n✓ BStack → ${b.target}\nfleet: 2/2 host(s) deployed\n`);
    expect(first.code).toBe(0);
    // The store path was pushed into the target user's own store, complete.
    const remoteStore = `/home/${TEST_USER}/.${tag}/store`;
    const pushed = execFileSync("ls", [remoteStore]).toString().trim().split("\n");
    expect(pushed.some((n) => n.endsWith("-tool-astack-1.0"))).toBe(true);
    const toolA = pushed.find((n) => n.endsWith("-tool-astack-1.0"))!;
    expect(existsSync(join(remoteStore, toolA, ".fleet-built"))).toBe(true);
    expect(readFileSync(join(managed, "a/etc/app/app.conf"), "utf8")).toBe("v1\n");
    const treeA1 = treeHash(join(managed, "a"));
    const treeB1 = treeHash(join(managed, "b"));
    expect(treeListing(join(managed, "a"))).toContainEqual(expect.stringMatching(/^f etc\/app\/run\.sh 0750 [0-9a-f]{64}$/));

    writeFileSync(join(work, "hosts", "a.pcl"), hostFile("AStack", join(managed, "a"), "v2"));
    const second = runFleet(["apply", fleet, ...flags()]);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(readFileSync(join(managed, "a/etc/app/app.conf"), "utf8")).toBe("v2\n");
    expect(treeHash(join(managed, "a"))).not.toBe(treeA1);
    const deployments = `/home/${TEST_USER}/.${tag}/deployments/AStack`;
    expect(execFileSync("readlink", [join(deployments, "current")]).toString().trim()).toBe("gen-002.json");

    const back = runFleet(["rollback", fleet, ...flags()]);
    expect(back.stderr).toBe("");
    expect(back.stdout).toBe(
      `↩ BStack → gen-001 (was gen-002); 0 restored, 0 removed\n↩ AStack → gen-001 (was gen-002); 1 restored, 0 removed\nfleet: 2/2 host(s) rolled back\n`,
    );
    expect(back.code).toBe(0);
    expect(treeHash(join(managed, "a"))).toBe(treeA1);
    expect(treeHash(join(managed, "b"))).toBe(treeB1);
    expect(execFileSync("readlink", [join(deployments, "current")]).toString().trim()).toBe("gen-001.json");
  });

  it("an unknown host key fails that host with its fingerprint; the other host deploys", () => {
    const kh = join(work, "only_b_known_hosts");
    writeFileSync(kh, readFileSync(b.knownHostsPath));
    const r = runFleet(["apply", join(work, "fleet.pcl"), ...flags().map((f) => (f === join(work, "known_hosts") ? kh : f))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^✗ AStack → ${a.target.replace(/[.]/g, "\\.")}: host key for \\[127\\.0\\.0\\.1\\]:${a.port} is unknown: offered ssh-ed25519 SHA256:[A-Za-z0-9+/]+; pass --accept-new-host-keys to trust it on first contact$`, "m"),
    );
    expect(r.stdout).toContain(`✓ BStack → ${b.target}\n`);
    expect(r.stdout).toContain("fleet: 1/2 host(s) deployed (1 failed)\n");
  });

  it("rollback deletes the files added since and the directories they emptied; a record it cannot write is a ⚠ line, and the flip still happens", () => {
    const fleet = join(work, "fleet.pcl");
    const root = join(managed, "b");
    const before = treeHash(root);
    writeFileSync(join(work, "hosts", "b.pcl"), hostFile("BStack", root, "v1", `\n    { path = "${root}/etc/app/extra/deep/added.conf" content = "added\\n" }`));
    const up = runFleet(["apply", fleet, ...flags(), "--only", "b"]);
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(readFileSync(join(root, "etc/app/extra/deep/added.conf"), "utf8")).toBe("added\n");
    const deployments = `/home/${TEST_USER}/.${tag}/deployments/BStack`;
    const was = execFileSync("readlink", [join(deployments, "current")]).toString().trim();
    // `records` made a regular file: the rolled-back generation's record cannot be written.
    rmSync(join(deployments, "records"), { recursive: true, force: true });
    writeFileSync(join(deployments, "records"), "in the way\n");
    try {
      const back = runFleet(["rollback", fleet, ...flags(), "--only", "b"]);
      expect(back.stderr).toMatch(new RegExp(`^⚠ BStack → ${b.target.replace(/[.]/g, "\\.")}: could not record the outcome of ${was.replace(".json", "")} for 'fleet status' \\(cannot write ${deployments}/records/${was.replace(/[.]/g, "\\.")} on .*\\)\n$`));
      expect(back.stdout).toMatch(/^↩ BStack → gen-\d{3} \(was gen-\d{3}\); 0 restored, 1 removed\nfleet: 1\/1 host\(s\) rolled back\n$/);
      expect(back.code).toBe(0);
      expect(existsSync(join(root, "etc/app/extra"))).toBe(false);
      expect(treeHash(root)).toBe(before);
      expect(execFileSync("readlink", [join(deployments, "current")]).toString().trim()).not.toBe(was);
      expect(existsSync(join(deployments, "pending"))).toBe(false);
    } finally {
      rmSync(join(deployments, "records"), { force: true });
      writeFileSync(join(work, "hosts", "b.pcl"), hostFile("BStack", root, "v1"));
    }
  });
});
