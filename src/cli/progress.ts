/**
 * Live per-host progress on a terminal (SPEC §7): one line per running host showing its stage,
 * redrawn in place below the report with ANSI cursor movement. Report lines are printed above the
 * live block, so the finished part of the screen reads exactly like the non-TTY report.
 * Off a TTY every method is a no-op: piped output holds nothing but the report (ADR 062).
 */
import type { ProgressEvent } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import type { Output } from "./output.js";

export interface LiveProgress {
  /** A host entered a stage (adds its live line, or updates it). */
  update(e: ProgressEvent): void;
  /** A host finished: its live line goes away. */
  done(host: HostRecord): void;
  /** The same output, with each report line printed above the live block. */
  wrap(out: Output): Output;
  /** Erase the live block (call once the command is over, also on failure). */
  stop(): void;
}

const ESC = "\u001b[";

/** Live lines sit on `stream` (stderr) when it is a terminal; otherwise nothing is drawn. */
export function liveProgress(stream: NodeJS.WriteStream = process.stderr): LiveProgress {
  if (!stream.isTTY) return silentProgress;
  const running = new Map<number, { host: HostRecord; stage: string }>();
  let drawn = 0;

  const erase = (): void => {
    if (drawn === 0) return;
    // Up to the first live line, column 0, then clear to the end of the screen.
    stream.write(`${ESC}${drawn}A\r${ESC}J`);
    drawn = 0;
  };
  const draw = (): void => {
    const width = Math.max(20, (stream.columns || 80) - 1);
    let text = "";
    for (const { host, stage } of [...running.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)) {
      // A wrapped line would break the cursor arithmetic: cut every line to the terminal width.
      text += `${fit(`  … ${host.stack} → ${host.target}: ${stage}`, width)}\n`;
    }
    stream.write(text);
    drawn = running.size;
  };
  const redraw = (): void => {
    erase();
    draw();
  };
  const above =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A): void => {
      erase();
      f(...a);
      draw();
    };

  return {
    update(e) {
      running.set(e.host.index, { host: e.host, stage: e.stage });
      redraw();
    },
    done(host) {
      if (running.delete(host.index)) redraw();
    },
    wrap(out) {
      return { ...out, out: above(out.out), err: above(out.err), errRaw: above(out.errRaw) };
    },
    stop() {
      running.clear();
      erase();
    },
  };
}

/** Cut a line to `width` code points (the marker and arrows are single code points). */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join("")}…`;
}

const silentProgress: LiveProgress = {
  update: () => undefined,
  done: () => undefined,
  wrap: (out) => out,
  stop: () => undefined,
};
