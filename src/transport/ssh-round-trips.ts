/**
 * Counts the sequential round trips a host's operations wait for (issue 18, ADR 215). Each request
 * that waits for the server (an SFTP request, a request to the remote shell, a channel open, an
 * exec request) gets a level: its own weight plus the highest level of every request that had
 * completed when it was sent. Requests sent together (pipelined) share a level; a request sent
 * after another's answer is one level deeper. The highest level is the length of the chain of
 * waits, which is what latency multiplies. It counts, it never times.
 */
import { appendFileSync } from "node:fs";

/** Connections counted so far in this process (to tell them apart in the trace). */
let connections = 0;

export class RoundTrips {
  private done = 0;
  private count = 0;
  /** Names this connection in the trace (TRACE_ENV). */
  private readonly id = String(++connections);

  /** Levels so far (the chain of sequential waits since the connection was authenticated). */
  get levels(): number {
    return this.done;
  }

  /** Requests so far, however pipelined. */
  get requests(): number {
    return this.count;
  }

  /** A request of `weight` round trips is sent now; call the result when its answer is in. */
  start(weight = 1): () => void {
    const level = this.done + weight;
    this.count += weight;
    const sentFrom = tracing() ? new Error().stack : undefined;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (level > this.done) {
        this.done = level;
        if (sentFrom !== undefined) traceLevel(this.id, level, sentFrom);
      }
    };
  }

  async around<T>(p: Promise<T>, weight = 1): Promise<T> {
    const end = this.start(weight);
    try {
      return await p;
    } finally {
      end();
    }
  }
}

/** Test and benchmark hook: append one JSON line per closed connection to this file. */
export const COUNT_ENV = "FLEET_TEST_COUNT_RTT";
/**
 * For whoever lowers a ceiling: append, each time a connection's chain of waits grows, a line
 * naming the connection, the new level and the call stack that sent the request that grew it.
 */
export const TRACE_ENV = "FLEET_TEST_TRACE_RTT";

function tracing(): boolean {
  const file = process.env[TRACE_ENV];
  return file !== undefined && file !== "";
}

/** One trace line: the connection, the level reached, where the request that reached it was sent. */
function traceLevel(id: string, level: number, sentFrom: string): void {
  const stack = sentFrom.split("\n").slice(2, 12).map((l) => l.trim().replace(/^at /, ""));
  try {
    appendFileSync(process.env[TRACE_ENV]!, `${process.pid}:${id} L${level} ${stack.join(" < ")}\n`);
  } catch {
    /* a test hook must never fail a deploy */
  }
}

export function recordRoundTrips(target: string, rtt: RoundTrips, extra: Readonly<Record<string, unknown>>): void {
  const file = process.env[COUNT_ENV];
  if (file === undefined || file === "") return;
  try {
    appendFileSync(file, `${JSON.stringify({ target, roundTrips: rtt.levels, requests: rtt.requests, ...extra })}\n`);
  } catch {
    /* a test hook must never fail a deploy */
  }
}
