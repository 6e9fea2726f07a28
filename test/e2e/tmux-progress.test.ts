/**
 * Issue 13: live progress in a real terminal (tmux). A 60-host hermetic apply whose health checks
 * sleep: a capture taken mid-run shows the counts header and never more lines than the pane has;
 * the scrollback afterwards holds the final report in plan order and no progress line.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLEET_BIN, REPO_ROOT } from "../support/cli.js";
import { tempDir, writeTree } from "../support/fleet-fixture.js";

const haveTmux = spawnSync("tmux", ["-V"]).status === 0;
if (!haveTmux && process.env["CI"] === "true") throw new Error("tmux is required for the live progress tests (.ci/run installs it)");

const HOSTS = 60;
const HEADER = /^fleet apply: \d+ done, (\d+) running, \d+ queued, \d+ failed \(\d+s\)$/;

function world(): { fleet: string; dir: string } {
  const dir = tempDir("fleet-tmux-");
  const files: Record<string, string> = {};
  const records: string[] = [];
  for (let i = 0; i < HOSTS; i++) {
    const n = `h${String(i).padStart(2, "0")}`;
    records.push(`  { file = "${n}.pcl" stack = "S${n}" target = "ssh://ops@${n}.test" machine = "${n}" }`);
    files[`${n}.pcl`] =
      `module S${n} { backend = "systemd" configFiles = [ { path = "/etc/${n}.conf" content = "${n}" } ] healthChecks = [ { name = "slow" command = "sleep 0.6" timeout = 10 } ] }\n`;
  }
  files["fleet.pcl"] = `module Fleet { hosts = [\n${records.join("\n")}\n] }\n`;
  writeTree(dir, files);
  return { fleet: join(dir, "fleet.pcl"), dir };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inTmux(width: number, height: number, extra: string[]): Promise<{ mid: string[][]; scrollback: string[] }> {
  const w = world();
  const socket = `fleet-test-${process.pid}-${width}x${height}`;
  const tmux = (...args: string[]): string => String(spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" }).stdout);
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, FLEET_BIN, "apply", w.fleet, "--transport-root", join(w.dir, "out"), ...extra].map(q).join(" ");
  const shell = `cd ${q(REPO_ROOT)} && env -u NO_COLOR -u FORCE_COLOR -u CLICOLOR_FORCE FLEET_STORE_DIR=${q(join(w.dir, "store"))} ${cmd}; echo "__EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-x", String(width), "-y", String(height), "-s", "t", shell);
  const mid: string[][] = [];
  try {
    for (let i = 0; i < 300; i++) {
      const screen = tmux("capture-pane", "-p", "-t", "t").split("\n");
      if (screen.some((l) => l.startsWith("__EXIT="))) break;
      if (screen.some((l) => (HEADER.exec(l)?.[1] ?? "0") !== "0")) mid.push(screen);
      await sleep(100);
    }
    const scrollback = tmux("capture-pane", "-p", "-S", "-", "-t", "t")
      .split("\n")
      .filter((l) => l.trim() !== "");
    return { mid, scrollback };
  } finally {
    tmux("kill-server");
  }
}

const report = [...Array.from({ length: HOSTS }, (_, i) => `✓ Sh${String(i).padStart(2, "0")} → ssh://ops@h${String(i).padStart(2, "0")}.test`), "fleet: 60/60 host(s) deployed", "__EXIT=0"];

describe.skipIf(!haveTmux)("live progress in tmux", () => {
  it.each([
    [100, 12, ["--jobs", "20"]],
    [120, 40, []],
  ] as const)("%ix%i: bounded live area mid-run, clean scrollback afterwards", async (width, height, extra) => {
    const r = await inTmux(width, height, [...extra]);
    expect(r.mid.length, "no capture caught the run with hosts running").toBeGreaterThan(0);
    for (const screen of r.mid) {
      const content = screen.filter((l) => l.trim() !== "");
      expect(content.length).toBeLessThanOrEqual(height);
      const at = content.findIndex((l) => HEADER.test(l));
      const live = content.slice(at);
      expect(live.length).toBeLessThanOrEqual(height - 1);
      for (const l of live) expect(l.length).toBeLessThan(width);
      // (a capture may land while tmux is half-way through one redraw: the phase may still be missing)
      for (const l of live.slice(1)) expect(l).toMatch(/^ {2}(h\d\d \(Sh\d\d\) +\d+s|… and \d+ more$)/);
    }
    // 20 hosts at once do not fit in 12 rows: the rest is counted.
    if (height === 12) expect(r.mid.some((s) => s.some((l) => /^ {2}… and \d+ more$/.test(l)))).toBe(true);
    expect(r.mid.some((s) => s.some((l) => / {2}health: slow \(attempt 1\)$/.test(l)))).toBe(true);
    expect(r.scrollback).toEqual(report);
  });
});
