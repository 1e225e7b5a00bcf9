/**
 * The memory network's clock: what its captures stamp segments with and what ends a TIME-WAIT.
 *
 * The rules:
 * - With `{ auto: false }` the clock is virtual and the run decides it: it starts at 0, each `step()` moves it on
 *   by {@link NetworkClock.stepSeconds} (1 ms by default), and `advance(seconds)` moves it on by as much. The same
 *   calls give the same times on every run, so captures are byte-identical.
 * - With steps that run by themselves (the default) it follows the wall clock (`performance.now()`) from the
 *   network's creation; `advance(seconds)` still moves it on (a test ends a TIME-WAIT without waiting 60 s).
 * - It never goes back.
 * @module
 */

/** The clock of one memory network, in seconds (see the module rules). */
export class NetworkClock {
  private virtual = 0;
  private readonly started = performance.now();

  /**
   * @param manual - virtual time moved by steps (`{ auto: false }`), else the wall clock.
   * @param stepSeconds - how far one step moves virtual time.
   */
  constructor(
    readonly manual: boolean,
    readonly stepSeconds = 0.001,
  ) {}

  /** Seconds since the network was made. */
  now(): number {
    return this.manual ? this.virtual : (performance.now() - this.started) / 1000 + this.virtual;
  }

  /** One step ran (virtual time only). */
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
