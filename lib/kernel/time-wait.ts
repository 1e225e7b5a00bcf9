/**
 * TIME_WAIT on a simulated network: the local addresses of connections whose end closed first, kept for a
 * duration (Linux's is 60 s, `TCP_TIMEWAIT_LEN`) on the network's clock. A `bind()` of such a port fails with 98
 * unless both the old and the new socket set SO_REUSEADDR (`bind-rules.ts`).
 * @module
 */
import type { PortUse } from "./bind-rules.ts";

/** Linux's TIME_WAIT duration, in seconds. */
export const TIME_WAIT_SECONDS = 60;

/** The addresses in TIME_WAIT, each until its time on the clock. */
export class TimeWaitTable {
  private entries: { host: string; port: number; until: number }[] = [];

  /** @param seconds how long an address stays in TIME_WAIT */
  constructor(public seconds: number = TIME_WAIT_SECONDS) {}

  /** A connection on `host`:`port` closed first at time `now` (seconds). */
  enter(host: string, port: number, now: number): void {
    this.entries.push({ host, port, until: now + this.seconds });
  }

  /** The addresses of `port` still in TIME_WAIT at `now`. */
  uses(port: number, now: number): PortUse[] {
    this.entries = this.entries.filter((e) => e.until > now);
    return this.entries
      .filter((e) => e.port === port)
      .map((e) => ({ host: e.host, port: e.port, state: "time-wait", reuseaddr: null }));
  }

  /** How many addresses are in TIME_WAIT at `now`. */
  count(now: number): number {
    return this.entries.filter((e) => e.until > now).length;
  }
}
