/**
 * Issue 12 item 2: a connection that is killed, or that stops answering (sshd SIGSTOPped), while
 * the live files of a 1,500-file apply or rollback are being written. Every pending operation
 * settles: the host gets one `✗ … connection … dropped … during …; the next apply or rollback
 * finishes it` line, the run exits 1 (never 0 with no output), and the next run finishes the
 * host so that every managed file is byte-identical to one generation.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT } from "../support/cli.js";
import { sshFlags } from "../support/ssh-flags.js";
import { treeHash } from "../support/tree-hash.js";
import { HOME, makeRig, startHosts, type Hosts, type Rig } from "./rig.js";
import { HAVE_SSHD, requireSshdUnderCi } from "./sshd-guard.js";
import { tempDir } from "../support/temp-dir.js";

requireSshdUnderCi();

const FILES = 1500;
const STACK = "Big";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escape = (s: string): string => s.replace(/[.[\]()^$*+?{}|\\]/g, "\\$&");

/** Every process under the sshd listener: the per-connection monitors, sessions and commands. */
function sessionTree(hosts: Hosts): number[] {
  const main = Number(readFileSync(join(hosts.sshds[0]!.dir, "sshd.pid"), "utf8").trim());
  const tree = (pid: number): number[] => {
    let kids: number[] = [];
    try {
      kids = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
    } catch {
      /* none */
    }
    return kids.flatMap((k) => [k, ...tree(k)]);
  };
  return tree(main);
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* gone */
    }
  }
}

describe.skipIf(!HAVE_SSHD)("a connection lost while 1,500 live files are written", () => {
  const tag = `fleet-dropw-${process.pid}`;
  let hosts: Hosts;
  let rig: Rig;
  let dir: string;
  const base = (): string => `${rig.managed}/big`;
  const stackDir = (): string => `${HOME}/.${tag}/big/deployments/${STACK}`;
  const current = (): string => readlinkSync(join(stackDir(), "current"));

  const writeFleet = (v: number): string => {
    const files = Array.from({ length: FILES }, (_, i) => `    { path = "${base()}/d${i % 20}/f${i}.conf" content = "v${v} file ${i}\\n" }`);
    writeFileSync(join(dir, "fleet.pcl"), `module Fleet { hosts = [ { file = "big.pcl" stack = "${STACK}" target = "${rig.targets[0]}" } ] }\n`);
    writeFileSync(join(dir, "big.pcl"), `module ${STACK} {\n  backend = "systemd"\n  configFiles = [\n${files.join("\n")}\n  ]\n}\n`);
    return join(dir, "fleet.pcl");
  };
  /** How many live files hold version `v` now. */
  const holding = (v: number): number => {
    let n = 0;
    for (let i = 0; i < FILES; i++) {
      try {
        if (readFileSync(`${base()}/d${i % 20}/f${i}.conf`, "utf8") === `v${v} file ${i}\n`) n++;
      } catch {
        /* not there yet */
      }
    }
    return n;
  };

  /** Run fleet in the background; once `ready()` holds, do `cut()`; return what fleet said. */
  async function cutWhile(args: readonly string[], ready: () => boolean, cut: () => void): Promise<{ code: number; out: string; err: string }> {
    const transport = sshFlags({ key: hosts.key, knownHosts: hosts.knownHosts, keepalive: 1 });
    const roots = ["--store-root", `~/.${tag}/store`, "--deployments-root", `~/.${tag}/big/deployments`];
    const child = spawn(process.execPath, [FLEET_BIN, ...args, ...transport, ...roots], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
    let cutDone = false;
    for (let i = 0; i < 2400 && child.exitCode === null; i++) {
      if (ready()) {
        cut();
        cutDone = true;
        break;
      }
      await sleep(50);
    }
    expect(cutDone, `never got mid-write: ${out}${err}`).toBe(true);
    return { code: await exited, out, err };
  }

  const dropped = (target: string, why: string): RegExp =>
    new RegExp(`^✗ ${STACK} → ${escape(target)}: connection to ${escape(target)} dropped \\(${why}\\) during [^;\\n]+; the next apply or rollback finishes it\\n$`);

  beforeAll(async () => {
    hosts = await startHosts(1);
    rig = makeRig("ssh", hosts, tag);
    dir = tempDir("fleet-ssh-dropw-");
  });
  afterAll(async () => {
    await rig?.stop();
    await hosts?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("apply: a killed session fails the host with exit 1; a stopped one too, within the keepalive; the next apply finishes", async () => {
    const first = rig.fleet(["apply", writeFleet(1)], "big");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const treeV1 = treeHash(base());
    const target = rig.targets[0]!;

    // Killed mid-write.
    const killed = await cutWhile(["apply", writeFleet(2)], () => holding(2) > 50, () => signal(sessionTree(hosts), "SIGKILL"));
    expect(killed.out).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
    expect(killed.err).toMatch(dropped(target, "[^)]*"));
    expect(killed.code).toBe(1);
    const half = holding(2);
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(FILES);
    expect(existsSync(join(stackDir(), "pending"))).toBe(true);

    // Stopped mid-write (the finishing apply writes the rest of v2; stop it again on the way).
    writeFleet(3);
    const stopped = await cutWhile(["apply", join(dir, "fleet.pcl")], () => holding(3) > 50, () => signal(sessionTree(hosts), "SIGSTOP"));
    const frozen = sessionTree(hosts);
    signal(frozen, "SIGKILL");
    expect(stopped.out).toBe("fleet: 0/1 host(s) deployed (1 failed)\n");
    expect(stopped.err).toMatch(dropped(target, "no answer to keepalives"));
    expect(stopped.code).toBe(1);

    const again = rig.fleet(["apply", join(dir, "fleet.pcl")], "big");
    expect(again.code, again.stderr).toBe(0);
    expect(holding(3)).toBe(FILES);
    expect(existsSync(join(stackDir(), "pending"))).toBe(false);
    expect(treeHash(base())).not.toBe(treeV1);
  }, 600_000);

  it("rollback: a killed or stopped session fails the host with exit 1; the next rollback finishes it", async () => {
    // v1 over v3, so the rollback has all 1,500 files to restore.
    const v1 = rig.fleet(["apply", writeFleet(1)], "big");
    expect(v1.code, v1.stderr).toBe(0);
    const before = current();
    const back = await cutWhile(["rollback", join(dir, "fleet.pcl")], () => holding(3) > 50, () => signal(sessionTree(hosts), "SIGSTOP"));
    signal(sessionTree(hosts), "SIGKILL");
    expect(back.err).toMatch(dropped(rig.targets[0]!, "no answer to keepalives"));
    expect(back.out).toBe("fleet: 0/1 host(s) rolled back (1 failed)\n");
    expect(back.code).toBe(1);

    const again = rig.fleet(["rollback", join(dir, "fleet.pcl")], "big");
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    expect(current()).not.toBe(before);
    const m = JSON.parse(readFileSync(join(stackDir(), current()), "utf8")) as { files: { path: string; sha256: string }[] };
    // Every managed file is byte-identical to the generation now current.
    const bad = m.files.filter((f) => !existsSync(f.path) || execFileSync("sha256sum", [f.path]).toString().slice(0, 64) !== f.sha256);
    expect(bad.length).toBe(0);
  }, 600_000);
});
