/**
 * The waiting that `select.select()`, `select.poll()`, `select.epoll()` and the three selectors of `selectors.ts`
 * share: an interest set of fds, each with the `poll(2)` events it asks for, and one call that waits until some
 * are ready. Internal: the public faces are `select.ts` and `selectors.ts`.
 *
 * The rules, the same for every face:
 * - **Readiness as poll reports it.** A source's readiness bits (`lib/kernel/fd.ts`) become poll bits: readable →
 *   `POLLIN`, writable → `POLLOUT`, hang-up or error → `POLLERR | POLLHUP`; an entry gets what it asked for plus
 *   `POLLERR | POLLHUP`, which are always reported, as the kernel does. A source closed since it was added reports
 *   {@link PollerOptions.closedEvents} (`POLLNVAL` for poll and select) or leaves the set silently (epoll).
 * - **Level-triggered by default.** An entry that was ready is checked again at the next call, and reported while it
 *   stays ready. `EPOLLET` reports it once per change; `EPOLLONESHOT` disables it after one report, until
 *   `modify()`.
 * - **Cost.** Each entry watches its source; a source whose readiness may have changed queues its entry, and a call
 *   checks only the queued entries (and keeps those still ready queued): its cost follows the ready entries, not
 *   the registered ones, as epoll's does.
 * - **Every call lets pending I/O in.** It hands queued output to the network, then yields to Node's event loop
 *   once (even when entries are ready), so a program that polls in a loop sees new data and connections.
 * - **Timeouts.** `null` waits until something is ready; `0` checks and returns; `ms > 0` waits at most that long
 *   from the call, and returns nothing then. While it waits, the process stays alive, as in a blocking call.
 * - **Signals.** Ctrl-C (SIGINT) makes the waiting call throw `KeyboardInterrupt` (`keyboard-interrupt.ts`); a
 *   program's own SIGINT handler runs instead and the call goes on waiting for what is left of its timeout (PEP
 *   475: Python retries a system call a signal interrupted, when the handler does not raise).
 * - **Beyond Python:** {@link Poller.wakeup} makes a waiting call return early; several calls count as one, used
 *   up by the next call that returns.
 * @module
 */
import { RuntimeError, raisedHere, type KeyboardInterrupt } from "./errors.ts";
import {
  HANGUP,
  READABLE,
  WRITABLE,
  flushQueued,
  type Selectable,
  type Watcher,
} from "../kernel/fd.ts";
import {
  listenForSigint,
  startWaiting,
  stopWaiting,
  type Interruptible,
} from "./keyboard-interrupt.ts";

/** `poll(2)` event: there is data to read. */
export const POLLIN = 0x001;
/** `poll(2)` event: there is urgent (out-of-band) data to read. */
export const POLLPRI = 0x002;
/** `poll(2)` event: writing will not block. */
export const POLLOUT = 0x004;
/** `poll(2)` event: an error condition (always reported). */
export const POLLERR = 0x008;
/** `poll(2)` event: hang-up (always reported). */
export const POLLHUP = 0x010;
/** `poll(2)` event: the fd is not open (always reported). */
export const POLLNVAL = 0x020;
/** `poll(2)` event: normal data to read. */
export const POLLRDNORM = 0x040;
/** `poll(2)` event: priority data to read. */
export const POLLRDBAND = 0x080;
/** `poll(2)` event: normal data may be written. */
export const POLLWRNORM = 0x100;
/** `poll(2)` event: priority data may be written. */
export const POLLWRBAND = 0x200;
/** `poll(2)` event: a message (unused on Linux). */
export const POLLMSG = 0x400;
/** `poll(2)` event: the peer closed its end, or shut down writing. */
export const POLLRDHUP = 0x2000;
/** `epoll` flag: edge-triggered (report an fd once per change). */
export const EPOLLET = 0x80000000;
/** `epoll` flag: report an fd once, then disable it until `modify()`. */
export const EPOLLONESHOT = 0x40000000;
/** `epoll` flag: wake one of several epoll objects waiting on the same fd (accepted, not emulated). */
export const EPOLLEXCLUSIVE = 0x10000000;

/** What a poller's entry reports, given its source's readiness bits (`READABLE`, `WRITABLE`, `HANGUP`). */
function pollBits(readiness: number): number {
  let bits = 0;
  if ((readiness & READABLE) !== 0) bits |= POLLIN | POLLRDNORM;
  if ((readiness & WRITABLE) !== 0) bits |= POLLOUT | POLLWRNORM;
  if ((readiness & HANGUP) !== 0) bits |= POLLERR | POLLHUP;
  return bits;
}

/** How a {@link Poller} treats what differs between poll, select and epoll. */
export interface PollerOptions {
  /**
   * What an entry whose source has been closed since it was added reports: `POLLNVAL` for poll (and select,
   * which checks before waiting); `0`: nothing, the entry leaves the ready set (epoll forgets a closed fd).
   */
  readonly closedEvents: number;
}

/** One fd in a {@link Poller}'s interest set. `T` is what the owner keeps with it (epoll's `data`). */
export class Interest<T> implements Watcher {
  /** In the poller's queue of entries to check. */
  queued = false;
  /** Removed (or the poller closed): never queued again. */
  removed = false;
  /** `EPOLLONESHOT` was reported: nothing more until {@link Poller.modify}. */
  disabled = false;

  /** @internal */
  constructor(
    /** The poller it belongs to. */
    readonly poller: Poller<T>,
    /** The fd it was added with. */
    readonly fd: number,
    /** What is open at {@link fd}: a socket, a pipe end, a file, standard input. */
    readonly source: Selectable,
    /** The poll events asked for (`POLLIN | POLLOUT`, ...), with `EPOLLET`/`EPOLLONESHOT` for epoll. */
    public events: number,
    /** The owner's value (a selector's key). */
    public tag: T,
  ) {}

  /** The source's readiness may have changed: check this entry at the next call. */
  readinessChanged(): void {
    if (!this.queued && !this.removed) this.poller.enqueue(this);
  }
}

/** Node's longest timer, in ms: a longer wait (or none) arms it again when it fires. */
const FOREVER_MS = 0x7fffffff;

/**
 * An interest set and the waiting on it (see the module rules): what `poll(2)` and `epoll_wait(2)` are to the
 * kernel. After {@link poll} resolves with `n`, `ready[0..n)` and `revents[0..n)` are the ready entries and their
 * events, valid until the next call.
 */
export class Poller<T> implements Interruptible {
  /** The ready entries of the last {@link poll}, first `n` valid (`null` beyond: see {@link collect}). */
  readonly ready: (Interest<T> | null)[] = [];
  /** Their events, first `n` valid. */
  readonly revents: number[] = [];
  private readonly interests = new Map<number, Interest<T>>();
  /** Entries whose source changed or that were ready at the last call. */
  private queue: Interest<T>[] = [];
  private closedFlag = false;
  private polling = false;
  private wakeupPending = false;
  /** How many entries the last {@link collect} put in {@link ready}. */
  private reported = 0;
  private interrupted: KeyboardInterrupt | null = null;
  /** The settling of the {@link poll} under way (both set or both null). */
  private callResolve: ((value: unknown) => void) | null = null;
  private callReject: ((error: unknown) => void) | null = null;
  /** What the call resolves with, made of the count (see {@link pollFor}); `null`: the count itself. */
  private callResult: ((n: number) => unknown) | null = null;
  /** Its timeout (ms, `null` for none), its `maxevents`, and when it ends (`performance.now()` ms, or `null`). */
  private callTimeout: number | null = null;
  private callMax = Infinity;
  private callDeadline: number | null = null;
  /** The call waits for a change ({@link wake} ends the wait). */
  private waiting = false;
  /**
   * One timer for every wait: it ends a wait at its timeout and, ref'd, keeps the process alive while a call
   * waits, as a blocking call does. Made at the first wait; unref'd between waits.
   */
  private timer: NodeJS.Timeout | null = null;
  /** When {@link timer} fires (`performance.now()` ms), or `Infinity` when it only keeps the process alive. */
  private timerDue = Infinity;

  constructor(private readonly options: PollerOptions) {
    // From here on a Ctrl-C waits for the event loop, so one that lands before the first call is thrown out of it
    // instead of killing the process (keyboard-interrupt.ts).
    listenForSigint();
  }

  /** Closed by {@link close}. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** A {@link poll} has started and not returned yet. */
  get busy(): boolean {
    return this.polling;
  }

  /** How many fds are in the set. */
  get size(): number {
    return this.interests.size;
  }

  /** The entry of `fd`, if any. */
  get(fd: number): Interest<T> | undefined {
    return this.interests.get(fd);
  }

  /** The entries. */
  entries(): IterableIterator<Interest<T>> {
    return this.interests.values();
  }

  /** Add `fd` (no check: the face checks what its system call checks). Replaces an entry of the same fd. */
  add(fd: number, source: Selectable, events: number, tag: T): Interest<T> {
    const old = this.interests.get(fd);
    if (old !== undefined) this.forget(old);
    const interest = new Interest<T>(this, fd, source, events, tag);
    this.interests.set(fd, interest);
    source.watch(interest);
    this.enqueue(interest);
    return interest;
  }

  /** Change what `interest` asks for (and its tag); it is checked again at the next call. */
  modify(interest: Interest<T>, events: number, tag: T): void {
    interest.events = events;
    interest.tag = tag;
    interest.disabled = false;
    if (!interest.queued && !interest.removed) this.enqueue(interest);
  }

  /** Remove the entry of `fd`, if any. @returns it. */
  remove(fd: number): Interest<T> | undefined {
    const interest = this.interests.get(fd);
    if (interest !== undefined) this.forget(interest);
    return interest;
  }

  private forget(interest: Interest<T>): void {
    this.interests.delete(interest.fd);
    interest.removed = true;
    interest.source.unwatch(interest);
  }

  /** Forget every entry; a waiting call returns (with nothing). Again: nothing. */
  close(): void {
    if (this.closedFlag) return;
    for (const interest of this.interests.values()) {
      interest.removed = true;
      interest.source.unwatch(interest);
    }
    this.interests.clear();
    this.queue = [];
    this.closedFlag = true;
    this.wake();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Make a waiting {@link poll} return early; with none waiting, the next one returns at once. Several calls count
   * as one: the next call to return, however it ends, uses it up.
   */
  wakeup(): void {
    this.wakeupPending = true;
    this.wake();
  }

  /** @internal Called by SIGINT handling: the waiting call throws KeyboardInterrupt. */
  interrupt(error: KeyboardInterrupt): void {
    this.interrupted = error;
    if (this.waiting) {
      this.endWait();
      // As a wake-up: the call goes on in a microtask, where it throws.
      void RESOLVED.then(this.interruptWait);
    }
  }

  /** @internal An entry's source changed: check it at the next call. */
  enqueue(interest: Interest<T>): void {
    interest.queued = true;
    this.queue.push(interest);
    this.wake();
  }

  /**
   * Wait until entries are ready (see the module rules), at most `timeoutMs` (`null`: no limit; `0` or less: do
   * not wait).
   *
   * Not an `async` function: the call is a state machine driven by the event loop's turn ({@link endTurn}) and by
   * wake-ups ({@link wake}), and it settles the Promise it returned directly, so a call that finds entries ready
   * after its turn costs one Promise and no async frame. The caller, which awaits it, gives an error the
   * program's line (`raisedHere()`): `select.ts` and `selectors.ts` do.
   * @param maxevents at most this many entries are reported (the rest stay queued for the next call).
   * @returns how many entries are ready, in {@link ready} and {@link revents}.
   * @throws KeyboardInterrupt on Ctrl-C; RuntimeError when another call has not returned yet (a missing `await`).
   */
  poll(timeoutMs: number | null, maxevents = Infinity): Promise<number> {
    return this.start(timeoutMs, maxevents, null) as Promise<number>;
  }

  /**
   * {@link poll} for a caller that hands the Promise to the program as its own (a selector's `select()`, which is
   * no `async` function): the call resolves with `result(n)`, made as soon as the entries are known, and an error
   * (a KeyboardInterrupt made by the SIGINT listener, or one thrown by `result`) is raised where the program
   * awaits it ({@link raiseInCaller}), so the traceback shows the program's line as an awaited `async` call's
   * would.
   * @throws as {@link poll}.
   */
  pollFor<R>(timeoutMs: number | null, maxevents: number, result: (n: number) => R): Promise<R> {
    return this.start(timeoutMs, maxevents, result) as Promise<R>;
  }

  private start(
    timeoutMs: number | null,
    maxevents: number,
    result: ((n: number) => unknown) | null,
  ): Promise<unknown> {
    if (this.polling) {
      // Python cannot get here (one thread blocks in poll()); in JavaScript it is a missing `await`.
      return Promise.reject(new RuntimeError("concurrent poll() invocation"));
    }
    this.callTimeout = timeoutMs;
    this.callMax = maxevents;
    this.callResult = result;
    // A timeout is measured from the call: the clock starts here, not after the first turn.
    this.callDeadline = timeoutMs === null || timeoutMs <= 0 ? null : performance.now() + timeoutMs;
    this.polling = true;
    startWaiting(this);
    try {
      // Hand what the program sent since the last call to the network (sockets may gather several sends).
      flushQueued(false);
    } catch (e) {
      this.endCall();
      // Whatever was thrown, as the `async` function this was rejected with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(raisedHere(e));
    }
    return new Promise<unknown>(this.startCall);
  }

  /**
   * {@link poll}'s executor, made once: keep the settling functions, then let in the I/O that is pending now. The
   * call goes on at {@link endTurn}, once Node's event loop has polled the kernel after this call.
   *
   * One `setImmediate` is not always enough. Called from an I/O callback or its continuation (after any awaited
   * call that Node completed from its poll phase), it runs in the same loop iteration's check phase, before the
   * next poll, so bytes already in the kernel's receive queue would be seen one call late. A second
   * `setImmediate`, queued from the check phase, runs in the next iteration, after its poll. Called in the
   * continuation of a call that returned from its check phase (the usual loop: select, handle the keys, select),
   * the one `setImmediate` already runs in the next iteration, so one is enough (see {@link inCheckPhase}). Either
   * way a call sees what the kernel had when it was made, as epoll does.
   */
  private readonly startCall = (
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): void => {
    this.callResolve = resolve;
    this.callReject = reject;
    setImmediate(inCheckPhase ? this.endTurn : this.secondHop);
  };

  private readonly secondHop = (): void => {
    setImmediate(this.endTurn);
  };

  /** The turn has come: report what is ready, or start waiting. */
  private readonly endTurn = (): void => {
    if (!inCheckPhase) {
      inCheckPhase = true;
      void RESOLVED.then(leaveCheckPhaseLater);
    }
    const n = this.collectOrFail();
    if (n === null) return;
    // A pending wakeup() is used up by this call whatever ends it (ready entries, a poll), so it counts once.
    const woken = this.takeWakeup();
    const timeoutMs = this.callTimeout;
    if (n > 0 || woken || (timeoutMs !== null && timeoutMs <= 0)) {
      this.succeed(n);
      return;
    }
    try {
      // About to wait: nothing may stay queued.
      flushQueued(true);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.waitOrReturn(n);
  };

  /** A pending Ctrl-C is thrown, else what is ready is collected: how many, or `null` when the call has failed. */
  private collectOrFail(): number | null {
    try {
      this.throwIfInterrupted();
      return this.collect(this.callMax);
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  /** Nothing to report yet: return `n` if the call is over (closed, time up), else wait for a change. */
  private waitOrReturn(n: number): void {
    // Closed while this call was pending (before or while it waited): nothing would wake it again.
    if (this.closedFlag) {
      this.succeed(n);
      return;
    }
    // The time is up (also when a busy event loop used it up before the first turn came).
    const deadline = this.callDeadline;
    if (deadline !== null && performance.now() >= deadline) {
      this.succeed(n);
      return;
    }
    this.wait(deadline === null ? null : deadline - performance.now());
  }

  /** Woken (in a microtask, as an awaited wake-up would resume): report what is ready, or wait again. */
  private readonly afterWait = (): void => {
    const n = this.collectOrFail();
    if (n === null) return;
    if (this.takeWakeup() || n > 0) this.succeed(n);
    else this.waitOrReturn(n);
  };

  /** Interrupted while waiting (in a microtask): the call throws the KeyboardInterrupt. */
  private readonly interruptWait = (): void => {
    this.fail(this.interrupted);
  };

  private succeed(n: number): void {
    const resolve = this.callResolve;
    const result = this.callResult;
    if (result === null) {
      this.endCall();
      resolve?.(n);
      return;
    }
    let value: unknown;
    try {
      value = result(n);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.endCall();
    resolve?.(value);
  }

  private fail(error: unknown): void {
    const resolve = this.callResolve;
    const reject = this.callReject;
    const inCaller = this.callResult !== null;
    this.endCall();
    if (resolve === null || reject === null) return;
    if (inCaller) raiseInCaller(error, resolve, reject);
    else reject(error);
  }

  private endCall(): void {
    this.callResolve = null;
    this.callReject = null;
    this.callResult = null;
    this.polling = false;
    stopWaiting(this);
  }

  private throwIfInterrupted(): void {
    const error = this.interrupted;
    if (error) {
      this.interrupted = null;
      throw error;
    }
  }

  private takeWakeup(): boolean {
    const pending = this.wakeupPending;
    this.wakeupPending = false;
    return pending;
  }

  /**
   * The ready entries among the queued ones, into {@link ready}/{@link revents}. An entry stays queued while it is
   * ready (level-triggered) and leaves the queue when it is not (or, `EPOLLET`, once reported); its source queues
   * it again on the next change.
   */
  private collect(maxevents: number): number {
    const queue = this.queue;
    const ready = this.ready;
    const revents = this.revents;
    const closedEvents = this.options.closedEvents;
    let count = 0;
    let kept = 0;
    let i = 0;
    for (const interest of queue) {
      const index = i++;
      if (count >= maxevents) {
        // Full: the rest stay queued as they are, for the next call.
        if (kept !== index) queue[kept] = interest;
        kept++;
        continue;
      }
      if (!interest.removed && !interest.disabled) {
        const source = interest.source;
        const events = interest.events;
        let bits: number;
        if (source.fileno() < 0) bits = closedEvents;
        else bits = pollBits(source.readiness()) & (events | POLLERR | POLLHUP);
        if (bits !== 0) {
          ready[count] = interest;
          revents[count] = bits;
          count++;
          if ((events & EPOLLONESHOT) !== 0) interest.disabled = true;
          else if ((events & EPOLLET) === 0) {
            if (kept !== index) queue[kept] = interest;
            kept++;
            continue;
          }
        }
      }
      interest.queued = false;
    }
    // pop() is inlined by the optimizing compiler; the length setter is a runtime call at every select().
    while (queue.length > kept) queue.pop();
    // Entries that an earlier call reported and this one does not: forgotten, so that the poller does not keep a
    // closed socket (and all that its key holds) alive until a call reports as many entries again.
    for (let i = count; i < this.reported; i++) ready[i] = null;
    this.reported = count;
    return count;
  }

  /** Wait until woken (a change, wakeup(), close(), SIGINT) or `ms` pass; `null` = no limit. */
  private wait(ms: number | null): void {
    const due = ms === null ? Infinity : performance.now() + Math.max(0, ms);
    // The timer is kept between waits: re-armed only when it would fire too late for this one. One that fires
    // early (Node's longest timer is under 25 days) ends the wait spuriously, and poll() waits again for the rest.
    if (this.timer === null || due < this.timerDue) {
      if (this.timer !== null) clearTimeout(this.timer);
      const delay = ms === null ? FOREVER_MS : Math.min(FOREVER_MS, Math.max(0, ms));
      this.timer = setTimeout(this.onTimer, delay);
      this.timerDue = due;
    } else this.timer.ref();
    this.waiting = true;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerDue = Infinity;
    this.wake();
  };

  /** The wait is over: let the timer no longer keep the process alive. */
  private endWait(): void {
    this.waiting = false;
    this.timer?.unref();
  }

  /** End a wait: the call goes on in a microtask, as the continuation of an awaited wake-up would. */
  private wake(): void {
    if (this.waiting) {
      this.endWait();
      void RESOLVED.then(this.afterWait);
    }
  }
}

/** A settled Promise, to run a function in a microtask: `RESOLVED.then(f)` (Node's `queueMicrotask()` costs more). */
const RESOLVED = Promise.resolve();

/**
 * Reject a Promise that the program awaits (`resolve`/`reject` are the functions its executor was given) with
 * `error`, its stack that of the program's `await`, as `raisedHere()` gives it in the catch of an `async` function
 * the program awaits. The error is thrown (through `raisedHere()`) from a microtask whose Promise settles the
 * program's: V8's async stack trace follows that chain (a reaction whose handler is a Promise's resolve function
 * leads to that Promise) up to the `async` function awaiting it, the program's code. Anything that is no Error is
 * rejected with as it is.
 */
function raiseInCaller(
  error: unknown,
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
): void {
  if (!(error instanceof Error)) {
    reject(error);
    return;
  }
  const relay = RESOLVED.then(() => {
    throw raisedHere(error);
  });
  // Linked before the microtask above runs, so the stack it takes reaches the program.
  void relay.then(resolve, reject);
}

/**
 * True while the program runs in the continuation of a call that returned from Node's check phase: from that
 * call's last turn until every microtask queued since has run. A `setImmediate` queued then runs in the next loop
 * iteration, after its poll phase. Cleared by a `process.nextTick`, which Node runs only once the microtask queue
 * is empty, always before the event loop moves on; a continuation that waits on anything else (an I/O callback, a
 * timer, another immediate) resumes with it cleared.
 */
let inCheckPhase = false;

function leaveCheckPhase(): void {
  inCheckPhase = false;
}

function leaveCheckPhaseLater(): void {
  process.nextTick(leaveCheckPhase);
}
