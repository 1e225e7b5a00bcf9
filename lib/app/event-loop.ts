/**
 * A small event loop over a selector: the driver that code building on the course uses instead of writing the
 * `while True: events = sel.select(...)` loop again. (The course demos keep their explicit loops: that is the
 * lesson.)
 *
 * Each registration keeps its **handler** in `key.data`: either a function `(key, mask) => void` (the style of the
 * example at the end of Python's `selectors` documentation) or an object with `processEvents(mask)` (the course's
 * `Message`). One iteration runs these phases, in order:
 *
 * 1. **timers** — run the callbacks of {@link EventLoop.callLater} whose time has come, earliest first; a timer
 *    added by a callback runs on a later iteration, so timers cannot starve I/O;
 * 2. **timeout** — 0 when stopping, else until the nearest timer, else without limit (`null`);
 * 3. **poll** — `selector.select(timeout)`;
 * 4. **dispatch** — call each ready key's handler with its mask. A handler that throws affects only its own
 *    connection: the error goes to `onError` (by default one log line with the stack, like the course's
 *    `Main: Error: Exception for ...`) and the connection is closed (the handler's `close()`, else unregister
 *    and close the file object);
 * 5. **idle check** — with `stopWhenIdle`, stop once nothing is registered and no timer is pending.
 *
 * `stop()` ends the loop after the current iteration, waking a waiting `select()`. A `KeyboardInterrupt` thrown out
 * of `select()` ends `run()` with that exception, so `catch`/`finally` around `await loop.run()` work as in the
 * course.
 *
 * @example
 * ```ts
 * const loop = new EventLoop();
 * loop.register(lsock, EVENT_READ, (key) => {
 *   const [conn] = key.fileobj.accept();
 *   // ...
 * });
 * loop.callLater(5, () => loop.stop());
 * await loop.run();
 * ```
 * @module
 */
import { repr } from "../python/repr.ts";
import {
  DefaultSelector,
  type BaseSelector,
  type FileObj,
  type SelectorKey,
} from "../python/selectors.ts";
import type { NonBlockingSocket } from "../python/socket.ts";

/** A handler function: called with the ready key and its mask. */
export type HandlerFunction<F extends FileObj> = (
  key: SelectorKey<F, Handler<F>>,
  mask: number,
) => void;

/** A handler object, like the course's `Message`: `processEvents(mask)`, and optionally `close()`. */
export interface HandlerObject {
  /** Handle the ready events (`EVENT_READ`, `EVENT_WRITE` bits). */
  processEvents(mask: number): void;
  /** Close the connection; called after `processEvents` threw. */
  close?(): void;
}

/** What a registration keeps in `key.data` for the event loop. */
export type Handler<F extends FileObj> = HandlerFunction<F> | HandlerObject;

/** A scheduled callback; `cancel()` keeps it from running. */
export interface TimerHandle {
  /** When it runs, in `performance.now()` milliseconds. */
  readonly when: number;
  /** Do not run it (no effect once it ran). */
  cancel(): void;
}

/** Options of {@link EventLoop}. */
export interface EventLoopOptions<F extends FileObj> {
  /** Stop by itself when nothing is registered and no timer is pending (default `false`). */
  stopWhenIdle?: boolean;
  /**
   * Told of an exception thrown by a handler (or a timer callback, with `key` `null`). The default prints
   * `Error: exception in handler for <fileobj>:` and the stack to stderr. The connection is closed afterwards
   * either way.
   */
  onError?: (error: unknown, key: SelectorKey<F, Handler<F>> | null) => void;
}

class Timer implements TimerHandle {
  cancelled = false;

  constructor(
    readonly when: number,
    readonly seq: number,
    readonly callback: () => void,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

/** Runs a selector: timers, poll, dispatch (see the module rules). */
export class EventLoop<F extends FileObj = NonBlockingSocket> {
  /** The selector it polls; register through {@link register} or directly on it. */
  readonly selector: BaseSelector<F, Handler<F>>;
  private readonly stopWhenIdle: boolean;
  private readonly onError: (error: unknown, key: SelectorKey<F, Handler<F>> | null) => void;
  /** Pending timers, sorted by time, then by order of creation. */
  private timers: Timer[] = [];
  private seq = 0;
  private stopping = false;
  private running = false;

  constructor(
    selector: BaseSelector<F, Handler<F>> = new DefaultSelector<Handler<F>, F>(),
    options: EventLoopOptions<F> = {},
  ) {
    this.selector = selector;
    this.stopWhenIdle = options.stopWhenIdle ?? false;
    this.onError = options.onError ?? defaultOnError;
  }

  /** Register `fileobj` with its handler: `selector.register(fileobj, events, handler)`. */
  register(fileobj: F, events: number, handler: Handler<F>): SelectorKey<F, Handler<F>> {
    return this.selector.register(fileobj, events, handler);
  }

  /** Run `callback` once, `seconds` from now (0: on the next iteration). */
  callLater(seconds: number, callback: () => void): TimerHandle {
    const timer = new Timer(performance.now() + Math.max(0, seconds) * 1000, this.seq++, callback);
    const timers = this.timers;
    let lo = 0;
    let hi = timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = timers[mid];
      if (t !== undefined && t.when <= timer.when) lo = mid + 1;
      else hi = mid;
    }
    timers.splice(lo, 0, timer);
    if (this.running) this.selector.wakeup();
    return timer;
  }

  /** End {@link run} after the current iteration; wakes a waiting `select()`. */
  stop(): void {
    this.stopping = true;
    this.selector.wakeup();
  }

  /** Is {@link run} under way? */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Run until {@link stop} (or, with `stopWhenIdle`, until nothing is left to do).
   * @throws whatever `select()` throws, e.g. `KeyboardInterrupt` on Ctrl-C.
   */
  async run(): Promise<void> {
    if (this.running) throw new Error("EventLoop.run() is already running");
    this.running = true;
    this.stopping = false;
    try {
      while (!this.stopping) {
        this.runTimers();
        // A timer may have called stop().
        if (this.stopRequested() || this.isIdle()) break;
        const events = await this.selector.select(this.computeTimeout());
        for (const [key, mask] of events) this.dispatch(key, mask);
        if (this.isIdle()) break;
      }
    } finally {
      this.running = false;
    }
  }

  /** Phase 1: the timers that are due, as of now; timers they add wait for a later iteration. */
  private runTimers(): void {
    const now = performance.now();
    let due = 0;
    while (due < this.timers.length && (this.timers[due]?.when ?? Infinity) <= now) due++;
    if (due === 0) return;
    const ready = this.timers.splice(0, due);
    for (const timer of ready) {
      if (timer.cancelled) continue;
      try {
        timer.callback();
      } catch (e) {
        this.onError(e, null);
      }
    }
  }

  private stopRequested(): boolean {
    return this.stopping;
  }

  /** Phase 2: how long `select()` may wait, in seconds. */
  private computeTimeout(): number | null {
    if (this.stopping) return 0;
    while (this.timers[0]?.cancelled) this.timers.shift();
    const next = this.timers[0];
    if (next === undefined) return null;
    return Math.max(0, (next.when - performance.now()) / 1000);
  }

  /** Phase 4: one ready key to its handler; an exception closes only that connection. */
  private dispatch(key: SelectorKey<F, Handler<F>>, mask: number): void {
    const handler = key.data;
    try {
      if (typeof handler === "function") handler(key, mask);
      else handler.processEvents(mask);
    } catch (e) {
      this.onError(e, key);
      this.closeConnection(key);
    }
  }

  private closeConnection(key: SelectorKey<F, Handler<F>>): void {
    const handler = key.data;
    if (typeof handler !== "function" && handler.close) {
      handler.close();
      return;
    }
    if (this.selector.getMap()?.get(key.fd) === key) this.selector.unregister(key.fileobj);
    const fileobj: unknown = key.fileobj;
    if (hasClose(fileobj)) fileobj.close();
  }

  /** Phase 5: nothing registered and no timers (only with `stopWhenIdle`). */
  private isIdle(): boolean {
    if (!this.stopWhenIdle) return false;
    const map = this.selector.getMap();
    return (map === null || map.size === 0) && this.timers.every((t) => t.cancelled);
  }
}

function hasClose(value: unknown): value is { close(): void } {
  return (
    typeof value === "object" &&
    value !== null &&
    "close" in value &&
    typeof value.close === "function"
  );
}

function defaultOnError(error: unknown, key: { fileobj: unknown } | null): void {
  const where = key === null ? "a timer" : repr(key.fileobj);
  const detail = error instanceof Error ? (error.stack ?? String(error)) : repr(error);
  console.error(`Error: exception in handler for ${where}:\n${detail}`);
}
