/**
 * The live progress area on a terminal (ADR 225): a header with done/running/queued/failed
 * counts, then one line per running host (machine or target, stack, elapsed time, phase in
 * words), redrawn in place below the report. Report lines are printed above the area, so the
 * scrollback reads exactly like the piped report. The area is never taller than the terminal
 * minus the cursor's line (`… and N more` stands for the hosts that do not fit), and no line is
 * wider than the terminal minus one column, so no line wraps and erasing it is exact.
 * Off a terminal, under `TERM=dumb`, `NO_COLOR` or `--color never` every method is a no-op.
 */
import type { HostOutcome, ProgressEvent } from "../deploy/outcome.js";
import type { HostRecord } from "../plan/fleet-model.js";
import { liveAreaWanted, type Output } from "./output.js";

export interface LiveProgress {
  /** The hosts of the run, in plan order (the header's queued count). */
  plan(hosts: readonly HostRecord[]): void;
  /** A host entered a phase (adds its live line, or updates it). */
  update(e: ProgressEvent): void;
  /** A host's work ended (it leaves the running lines; its report line may come later, in plan order). */
  finished(host: HostRecord, status: HostOutcome["status"]): void;
  /** A host's final line was printed (or will be, for commands that print at the end). */
  done(host: HostRecord, status?: HostOutcome["status"]): void;
  /** The same output, with each report line printed above the live area. */
  wrap(out: Output): Output;
  /** Erase the live area for good (call once the command is over, on failure and before an interrupt report). */
  stop(): void;
}

/** What the live area needs of its stream: a tty.WriteStream, or a fake of one in unit tests. */
export interface LiveStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
  getWindowSize?(): [number, number];
  readonly columns?: number;
  readonly rows?: number;
}

export interface LiveOptions {
  /** The header's first words: `fleet apply`. */
  readonly title: string;
  readonly stream?: LiveStream;
  /** Milliseconds now (tests pass a fixed clock). */
  readonly now?: () => number;
  /** Redraw every second so elapsed times move (off in unit tests). */
  readonly tick?: boolean;
  /** Draw at all (default: `liveAreaWanted` of the stream). */
  readonly enabled?: boolean;
}

const ESC = "\u001b[";
/** Failed, rolled back, blocked, not attempted: every end but success and a maintenance skip. */
const GOOD: ReadonlySet<HostOutcome["status"]> = new Set(["ok", "skipped"]);

export function liveProgress(options: LiveOptions): LiveProgress {
  const stream: LiveStream = options.stream ?? process.stderr;
  if (!(options.enabled ?? liveAreaWanted(stream))) return silentProgress;
  const now = options.now ?? Date.now;
  const started = now();
  let planned: readonly HostRecord[] | undefined;
  const running = new Map<number, { host: HostRecord; phase: string; since: number }>();
  const ended = new Map<number, boolean>();
  let paint: Pick<Output, "red" | "dim"> = { red: (s) => s, dim: (s) => s };
  /** Visible widths of the lines on screen, to count the rows they take after a resize. */
  let drawn: number[] = [];
  let drawnColumns = 0;
  let stopped = false;

  const size = (): { columns: number; rows: number } => {
    const [c, r] = windowSize(stream);
    return { columns: c > 0 ? c : 80, rows: r > 0 ? r : 24 };
  };

  /**
   * Cursor up over what was drawn, clear those rows and the cursor's one by one, back to the top.
   * Not "clear to end of screen": with the area at the top of the screen that clears the whole
   * screen, which tmux (`scroll-on-clear`) and others first push into the scrollback.
   */
  const eraseText = (): string => {
    if (drawn.length === 0) return "";
    const { columns } = size();
    // A terminal that got narrower re-wraps the lines drawn at the old width (tmux, VTE, kitty do).
    const rows = columns < drawnColumns ? drawn.reduce((n, w) => n + Math.max(1, Math.ceil(w / columns)), 0) : drawn.length;
    drawn = [];
    return `${ESC}${rows}A\r${`${ESC}2K${ESC}1B`.repeat(rows)}${ESC}2K${ESC}${rows}A`;
  };

  const drawText = (): string => {
    if (stopped || (planned === undefined && running.size === 0)) return "";
    const { columns, rows } = size();
    const width = columns - 1;
    const room = rows - 1; // the cursor's own line stays below the area
    if (room < 1 || width < 10) return "";
    const t = now();
    const lines: Segment[][] = [header(t)];
    const hosts = [...running.values()].sort((a, b) => a.host.index - b.host.index);
    const shown = hosts.length <= room - 1 ? hosts : hosts.slice(0, Math.max(0, room - 2));
    const labelWidth = Math.min(40, Math.max(0, ...shown.map((h) => [...label(h.host)].length)));
    for (const h of shown) {
      lines.push([[`  ${pad(label(h.host), labelWidth)}  `], [elapsed(t - h.since).padStart(6), paint.dim], [`  ${h.phase}`]]);
    }
    if (shown.length < hosts.length) lines.push([[`  … and ${hosts.length - shown.length} more`]]);
    drawn = [];
    drawnColumns = columns;
    let text = "";
    for (const segments of lines) {
      const [line, visible] = fit(segments, width);
      drawn.push(visible);
      text += `${line}\n`;
    }
    return text;
  };

  const header = (t: number): Segment[] => {
    let done = 0;
    let failed = 0;
    for (const good of ended.values()) good ? done++ : failed++;
    const parts: Segment[] = [[`${options.title}: ${done} done, ${running.size} running`]];
    if (planned !== undefined) {
      const queued = planned.filter((h) => !running.has(h.index) && !ended.has(h.index)).length;
      parts.push([`, ${queued} queued`]);
    }
    parts.push([", "], [`${failed} failed`, failed > 0 ? paint.red : undefined], [" "], [`(${elapsed(t - started)})`, paint.dim]);
    return parts;
  };

  const redraw = (): void => {
    if (stopped) return;
    stream.write(eraseText() + drawText());
  };
  const above =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A): void => {
      stream.write(eraseText());
      f(...a);
      stream.write(drawText());
    };

  const timer = options.tick === false ? undefined : setInterval(() => running.size > 0 && redraw(), 1000);
  timer?.unref();
  // A resize (SIGWINCH; Node refreshes only stdout's size itself): erase by the new width, redraw to fit.
  const onResize = (): void => redraw();
  const resizable = stream as Partial<NodeJS.WriteStream>;
  if (options.stream === undefined) process.on("SIGWINCH", onResize);
  else resizable.on?.("resize", onResize);

  const end = (host: HostRecord, status: HostOutcome["status"] | undefined): void => {
    running.delete(host.index);
    if (status !== undefined || !ended.has(host.index)) ended.set(host.index, status === undefined ? true : GOOD.has(status));
  };

  return {
    plan(hosts) {
      planned = hosts;
      redraw();
    },
    update(e) {
      const was = running.get(e.host.index);
      ended.delete(e.host.index);
      running.set(e.host.index, { host: e.host, phase: e.stage, since: was?.since ?? now() });
      redraw();
    },
    finished(host, status) {
      end(host, status);
      redraw();
    },
    done(host, status) {
      end(host, status);
      redraw();
    },
    wrap(out) {
      paint = out;
      return { ...out, out: above(out.out), err: above(out.err), errRaw: above(out.errRaw) };
    },
    stop() {
      if (stopped) return;
      stream.write(eraseText());
      stopped = true;
      running.clear();
      if (timer !== undefined) clearInterval(timer);
      if (options.stream === undefined) process.off("SIGWINCH", onResize);
      else resizable.off?.("resize", onResize);
    },
  };
}

/**
 * The terminal's size now. Node refreshes `columns`/`rows` on SIGWINCH, which reaches JavaScript
 * through the event loop, after every event already queued: a burst of progress events would
 * redraw at the old width and scroll wrapped lines into the scrollback. So ask the tty handle
 * (one ioctl) on every draw, and fall back to the cached size.
 */
function windowSize(stream: LiveStream): [number, number] {
  const handle = (stream as { _handle?: { getWindowSize?: (out: number[]) => number } })._handle;
  const got: number[] = [];
  if (handle?.getWindowSize?.(got) === 0 && got.length === 2) return [got[0]!, got[1]!];
  return stream.getWindowSize?.() ?? [stream.columns ?? 80, stream.rows ?? 24];
}

/** Text with an optional painter; painted after cutting, so escapes never count toward the width. */
type Segment = [string, ((s: string) => string)?];

/** The segments cut to `width` code points (the markers and arrows are one column each). */
function fit(segments: readonly Segment[], width: number): [string, number] {
  let left = width;
  let out = "";
  let visible = 0;
  for (const [text, paint] of segments) {
    if (left <= 0) break;
    const chars = [...text];
    const cut = chars.length <= left ? text : `${chars.slice(0, left - 1).join("")}…`;
    const n = Math.min(chars.length, left);
    out += paint ? paint(cut) : cut;
    visible += n;
    left -= n;
  }
  return [out, visible];
}

function pad(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? s : s + " ".repeat(width - n);
}

/** `machine (Stack)`, or `Stack → target` for a record without a machine name. */
function label(h: HostRecord): string {
  return h.machine !== null ? `${h.machine} (${h.stack})` : `${h.stack} → ${h.target}`;
}

/** `7s`, `1m05s`, `1h02m`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

const silentProgress: LiveProgress = {
  plan: () => undefined,
  update: () => undefined,
  finished: () => undefined,
  done: () => undefined,
  wrap: (out) => out,
  stop: () => undefined,
};
