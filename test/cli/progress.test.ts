/**
 * The live progress area (ADR 225) against a small terminal model: what is on the screen and in
 * the scrollback after each redraw, for a terminal of a given size. The real terminal (tmux) is
 * exercised end to end in test/e2e/tmux-progress.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { HostRecord } from "../../src/plan/fleet-model.js";
import { elapsed, liveProgress, type LiveStream } from "../../src/cli/progress.js";
import { colorWanted, liveAreaWanted, type Output } from "../../src/cli/output.js";

/**
 * A terminal that understands exactly what a VT100 does with the codes the area uses: text,
 * `\n` (down, scrolling at the bottom into the scrollback), `\r`, `ESC[nA`, `ESC[nB` (both clamped
 * to the screen), `ESC[2K`, `ESC[J`. Lines longer than the width wrap, as a terminal would.
 */
class Terminal implements LiveStream {
  readonly isTTY = true;
  scrollback: string[] = [];
  screen: string[];
  private row = 0;
  private col = 0;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    this.screen = Array.from({ length: rows }, () => "");
  }
  getWindowSize(): [number, number] {
    return [this.columns, this.rows];
  }
  private down(): void {
    if (this.row < this.rows - 1) this.row++;
    else {
      this.scrollback.push(this.screen.shift()!);
      this.screen.push("");
    }
  }
  private put(ch: string): void {
    if (this.col >= this.columns) {
      this.col = 0;
      this.down();
    }
    const line = this.screen[this.row]!.padEnd(this.col);
    this.screen[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
    this.col++;
  }
  write(s: string): boolean {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === "\u001b") {
        const m = /^\u001b\[(\d*)([A-Za-z])/.exec(s.slice(i))!;
        expect(m, `unknown escape at ${JSON.stringify(s.slice(i, i + 8))}`).not.toBeNull();
        const n = m[1] === "" ? 1 : Number(m[1]);
        if (m[2] === "A") this.row = Math.max(0, this.row - n);
        else if (m[2] === "B") this.row = Math.min(this.rows - 1, this.row + n);
        else if (m[2] === "K") this.screen[this.row] = "";
        else if (m[2] === "J") for (let r = this.row; r < this.rows; r++) this.screen[r] = r === this.row ? this.screen[r]!.slice(0, this.col) : "";
        else if (m[2] !== "m") throw new Error(`unexpected escape ${m[0]}`);
        i += m[0].length - 1;
      } else if (c === "\n") {
        this.down();
        this.col = 0;
      } else if (c === "\r") this.col = 0;
      else this.put(c);
    }
    return true;
  }
  /** Narrower: each screen row longer than the new width re-wraps onto as many rows as it needs. */
  resize(columns: number): void {
    const rewrapped: string[] = [];
    for (const line of this.screen.slice(0, this.row)) {
      if (line.length <= columns) rewrapped.push(line);
      else for (let k = 0; k < line.length; k += columns) rewrapped.push(line.slice(k, k + columns));
    }
    while (rewrapped.length > this.rows - 1) this.scrollback.push(rewrapped.shift()!);
    this.row = rewrapped.length;
    this.screen = [...rewrapped, ...Array.from({ length: this.rows - rewrapped.length }, () => "")];
    this.columns = columns;
    this.col = 0;
  }
  everything(): string[] {
    return [...this.scrollback, ...this.screen].map((l) => l.trimEnd()).filter((l) => l !== "");
  }
}

const host = (i: number, machine: string | null = `web-${String(i).padStart(2, "0")}`): HostRecord => ({
  index: i,
  file: `h${i}.pcl`,
  stack: `Stack${i}`,
  target: `ssh://deploy@h${i}.example.com`,
  machine,
  tags: [],
});

function plainOutput(term: Terminal): Output {
  const id = (s: string): string => s;
  return { out: (l) => term.write(`${l}\n`), err: (l) => term.write(`${l}\n`), errRaw: (t) => term.write(t), green: id, red: id, yellow: id, dim: id, isTTY: true };
}

function setup(columns: number, rows: number) {
  const term = new Terminal(columns, rows);
  let t = 0;
  const progress = liveProgress({ title: "fleet apply", stream: term, now: () => t, tick: false, enabled: true });
  const out = progress.wrap(plainOutput(term));
  return { term, progress, out, advance: (ms: number) => void (t += ms) };
}

describe("the live area", () => {
  it("shows counts and one line per running host, never taller than the terminal", () => {
    const { term, progress } = setup(100, 8);
    const hosts = Array.from({ length: 30 }, (_, i) => host(i));
    progress.plan(hosts);
    for (let i = 0; i < 12; i++) progress.update({ host: hosts[i]!, stage: `pushing ${i + 1} store paths` });
    progress.finished(hosts[0]!, "ok");
    progress.finished(hosts[1]!, "failed");
    const screen = term.screen.filter((l) => l !== "");
    // 8 rows: the cursor's line, the header, 5 hosts and what does not fit.
    expect(screen).toEqual([
      "fleet apply: 1 done, 10 running, 18 queued, 1 failed (0s)",
      "  web-02 (Stack2)      0s  pushing 3 store paths",
      "  web-03 (Stack3)      0s  pushing 4 store paths",
      "  web-04 (Stack4)      0s  pushing 5 store paths",
      "  web-05 (Stack5)      0s  pushing 6 store paths",
      "  web-06 (Stack6)      0s  pushing 7 store paths",
      "  … and 5 more",
    ]);
    expect(term.scrollback).toEqual([]);
  });

  it("cuts every line to the width minus one column, so nothing wraps", () => {
    const { term, progress } = setup(40, 10);
    progress.plan([host(0, null)]);
    progress.update({ host: host(0, null), stage: "health: http-health (check 1 of 3, attempt 12)" });
    for (const l of term.screen) expect([...l].length).toBeLessThanOrEqual(39);
    expect(term.screen[1]).toBe("  Stack0 → ssh://deploy@h0.example.com…");
  });

  it("prints report lines above the area; the scrollback ends up holding only them", () => {
    const { term, progress, out, advance } = setup(60, 6);
    const hosts = Array.from({ length: 9 }, (_, i) => host(i));
    progress.plan(hosts);
    for (const h of hosts) {
      progress.update({ host: h, stage: "connecting" });
      advance(1500);
      progress.update({ host: h, stage: "writing 3 files" });
      if (h.index % 2 === 1) {
        progress.finished(hosts[h.index - 1]!, "ok");
        progress.done(hosts[h.index - 1]!, "ok");
        out.out(`✓ Stack${h.index - 1}`);
      }
    }
    // 6 rows: the header, 3 of the 5 running hosts (in plan order, with their elapsed time), the rest.
    expect(term.screen.filter((l) => l !== "")).toEqual([
      "fleet apply: 4 done, 5 running, 0 queued, 0 failed (13s)",
      "  web-01 (Stack1)     12s  writing 3 files",
      "  web-03 (Stack3)      9s  writing 3 files",
      "  web-05 (Stack5)      6s  writing 3 files",
      "  … and 2 more",
    ]);
    progress.stop();
    out.out("fleet: 4/9 host(s) deployed");
    expect(term.everything()).toEqual(["✓ Stack0", "✓ Stack2", "✓ Stack4", "✓ Stack6", "fleet: 4/9 host(s) deployed"]);
  });

  it("after the terminal got narrower, erases the rows the re-wrapped lines now take", () => {
    const { term, progress, out } = setup(80, 20);
    const hosts = Array.from({ length: 4 }, (_, i) => host(i));
    progress.plan(hosts);
    for (const h of hosts) progress.update({ host: h, stage: "health: a-rather-long-check-name-for-a-long-line (attempt 2)" });
    term.resize(30);
    progress.update({ host: hosts[0]!, stage: "health: short (attempt 3)" });
    for (const l of term.screen) expect(l.length).toBeLessThanOrEqual(29);
    progress.stop();
    out.out("done");
    expect(term.everything()).toEqual(["done"]);
  });

  it("a terminal of one row shows nothing; stop leaves nothing behind", () => {
    const { term, progress } = setup(80, 1);
    progress.plan([host(0)]);
    progress.update({ host: host(0), stage: "connecting" });
    expect(term.everything()).toEqual([]);
  });

  it("hosts that finished before an earlier one are counted, not shown as running", () => {
    const { term, progress } = setup(80, 10);
    const hosts = [host(0), host(1), host(2)];
    progress.plan(hosts);
    for (const h of hosts) progress.update({ host: h, stage: "connecting" });
    progress.finished(hosts[2]!, "rolled-back");
    progress.finished(hosts[1]!, "ok");
    expect(term.screen.filter((l) => l !== "")).toEqual(["fleet apply: 1 done, 1 running, 0 queued, 1 failed (0s)", "  web-00 (Stack0)      0s  connecting"]);
  });

  it("draws nothing at all when not enabled", () => {
    const writes: string[] = [];
    const p = liveProgress({ title: "x", stream: { isTTY: false, write: (s: string) => writes.push(s) }, tick: false });
    p.plan([host(0)]);
    p.update({ host: host(0), stage: "connecting" });
    p.stop();
    expect(writes).toEqual([]);
  });
});

describe("when escapes are allowed", () => {
  const tty = { stdout: { isTTY: true }, stderr: { isTTY: true } };
  const pipe = { stdout: { isTTY: false }, stderr: { isTTY: false } };
  it.each([
    ["a terminal", tty, {}, "auto", true, true],
    ["a pipe", pipe, {}, "auto", false, false],
    ["TERM=dumb", tty, { TERM: "dumb" }, "auto", false, false],
    ["NO_COLOR", tty, { NO_COLOR: "1" }, "auto", false, false],
    ["an empty NO_COLOR", tty, { NO_COLOR: "" }, "auto", true, true],
    ["--color never", tty, {}, "never", false, false],
    ["FORCE_COLOR off a terminal", pipe, { FORCE_COLOR: "1" }, "auto", true, false],
    ["FORCE_COLOR=0 on a terminal", tty, { FORCE_COLOR: "0" }, "auto", false, true],
    ["CLICOLOR_FORCE off a terminal", pipe, { CLICOLOR_FORCE: "1" }, "auto", true, false],
    ["NO_COLOR over FORCE_COLOR", tty, { NO_COLOR: "1", FORCE_COLOR: "1" }, "auto", false, false],
    ["--color always off a terminal", pipe, { NO_COLOR: "1" }, "always", true, false],
    ["--color always under NO_COLOR on a terminal", tty, { NO_COLOR: "1" }, "always", true, true],
  ] as const)("%s", (_what, streams, env, choice, color, live) => {
    expect(colorWanted(streams, env, choice)).toBe(color);
    expect(liveAreaWanted(streams.stderr, env, choice)).toBe(live);
  });
});

it("elapsed times read as seconds, minutes, hours", () => {
  expect([elapsed(0), elapsed(59_999), elapsed(65_000), elapsed(3_600_000 + 120_000)]).toEqual(["0s", "59s", "1m05s", "1h02m"]);
});
