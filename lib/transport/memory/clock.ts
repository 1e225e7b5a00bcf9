/**
 * The memory network's clock: what ends a TIME-WAIT, and what its captures stamp segments with.
 *
 * The rules:
 * - {@link NetworkClock.now} is virtual, and the run decides it: it starts at 0 and `advance(seconds)` moves it on;
 *   with `{ auto: false }` each `step()` moves it on too, by {@link NetworkClock.stepSeconds} (1 ms by default).
 *   The same calls give the same times on every run, so a TIME-WAIT ends at the same call every time.
 * - {@link NetworkClock.stamp} is what a capture writes: `now()` under `{ auto: false }` (captures are then
 *   byte-identical from run to run); with steps that run by themselves, the wall time since the network was made
 *   (`performance.now()`) plus what `advance()` added, so that a capture shows the run's real pace.
 * - It never goes back.
 * @module
 */

/** The clock of one memory network, in seconds (see the module rules). */
export class NetworkClock {
  private virtual = 0;
  private readonly started = performance.now();

  /**
   * @param manual - steps move the clock (`{ auto: false }`), and captures use it as it is.
   * @param stepSeconds - how far one step moves the clock.
   */
  constructor(
    readonly manual: boolean,
    readonly stepSeconds = 0.001,
  ) {}

  /** Seconds on the network's clock since it was made. */
  now(): number {
    return this.virtual;
  }

  /** The time a capture gives a segment moved now (see the module rules), in seconds. */
  stamp(): number {
    return this.manual ? this.virtual : (performance.now() - this.started) / 1000 + this.virtual;
  }

  /** One step ran (moves the clock under `{ auto: false }` only). */
  tick(): void {
    if (this.manual) this.virtual += this.stepSeconds;
  }

  /**
   * Move the clock on.
   * @throws RangeError when `seconds` is negative or not a number.
   */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`cannot move a clock back (${seconds} s)`);
    this.virtual += seconds;
  }
}
