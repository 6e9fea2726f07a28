/**
 * Counts the sequential round trips a host's operations wait for (issue 18, ADR 215). Each request
 * that waits for the server (an SFTP request, a request to the remote shell, a channel open, an
 * exec request) gets a level: its own weight plus the highest level of every request that had
 * completed when it was sent. Requests sent together (pipelined) share a level; a request sent
 * after another's answer is one level deeper. The highest level is the length of the chain of
 * waits, which is what latency multiplies. It counts, it never times.
 */
import { appendFileSync } from "node:fs";

export class RoundTrips {
  private done = 0;
  private count = 0;
  private readonly id = Math.random().toString(36).slice(2, 6);

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
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (level > this.done) {
        this.done = level;
        if (process.env.FLEET_RTT_DEBUG) appendFileSync(process.env.FLEET_RTT_DEBUG, `${process.pid}:${this.id} L${level} w${weight} ${new Error().stack!.split("\n").slice(2, 9).map((l) => l.trim().replace(/^at /, "").replace(/\(.*\/src\//, "(")).join(" < ")}\n`);
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

export function recordRoundTrips(target: string, rtt: RoundTrips, extra: Readonly<Record<string, unknown>>): void {
  const file = process.env[COUNT_ENV];
  if (file === undefined || file === "") return;
  try {
    appendFileSync(file, `${JSON.stringify({ target, roundTrips: rtt.levels, requests: rtt.requests, ...extra })}\n`);
  } catch {
    /* a test hook must never fail a deploy */
  }
}
