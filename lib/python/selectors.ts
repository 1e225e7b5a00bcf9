/**
 * Python's `selectors` module: wait for I/O readiness on many sockets at once.
 *
 * The rules (CPython's `selectors.py` with Linux epoll underneath, as measured in Python 3.11):
 *
 * - **Keys.** `register(fileobj, events, data)` returns a {@link SelectorKey} `(fileobj, fd, events, data)`; that
 *   same object is what `getKey()`, `getMap()` and `select()` hand out. `modify()` keeps the key when events and
 *   data are unchanged, else replaces it with a new one (keys held elsewhere go stale). `modify(f, ev)` without data
 *   sets data to `null`, as Python's does to `None`. `modify()` does not check `events` (0 and 4 are accepted);
 *   such a key is still reported, as `[key, 0]`, when its socket hangs up (a refused connect, a reset), as epoll's.
 * - **Errors**, with CPython's classes and texts: bad events → `ValueError('Invalid events: 0')`; registering the
 *   same fd twice → `KeyError('<socket.socket fd=4, …> (FD 4) is already registered')`; an unknown file object
 *   → `KeyError('… is not registered')`; no usable fileno → `ValueError('Invalid file object: …')`; a negative
 *   fd → `ValueError('Invalid file descriptor: -1')`; `getKey` after `close()` → `RuntimeError('Selector is
 *   closed')`.
 * - **Level-triggered readiness.** A listening socket is readable while a connection is pending. A connected
 *   socket is readable while bytes are buffered, at end of stream, or with an error pending; writable while its
 *   send buffer has room; a failed connect makes it readable and writable. `select()` reports each ready key once,
 *   with `mask = ready ∩ key.events`, and keeps reporting it on every call while it stays ready.
 * - **Timeouts.** `select()` or `select(null)` waits until something is ready; `select(0)` or a negative timeout
 *   polls; `select(t)` waits at most `t` seconds (rounded up to whole ms) and returns `[]`. With nothing
 *   registered, `select()` waits forever, as Python's does.
 * - **Fairness and liveness.** Every `select()` call lets pending I/O in (it yields to Node's event loop once, even
 *   when keys are ready), so a loop whose sockets are always writable still sees new data and connections. A
 *   waiting `select()` keeps the process alive, like a blocking call, and throws `KeyboardInterrupt` on Ctrl-C.
 * - **Cost.** A `select()` re-checks only the sources that reported a change or were ready last time: its cost
 *   follows the ready keys, not the registered ones (as epoll's does).
 * - **Beyond Python:** {@link DefaultSelector.wakeup} makes a waiting `select()` return early (several calls
 *   before a `select()` count as one, used up by the next `select()` that returns), as Java NIO's and mio's do.
 *
 * {@link BaseSelector} owns the bookkeeping and every check; a concrete selector implements `select()` and, if it
 * must tell an OS about registrations, the `implRegister`/`implUnregister`/`implModify`/`implClose` hooks.
 *
 * @example
 * ```ts
 * const sel = new DefaultSelector<string>();
 * sel.register(sock, EVENT_READ | EVENT_WRITE, "hello");
 * for (const [key, mask] of await sel.select()) {
 *   if (mask & EVENT_READ) console.log(key.fileobj.recv(1024));
 * }
 * ```
 * @module
 */
import { debuglog, inspect } from "node:util";

import { KeyError, RuntimeError, ValueError, raisedHere } from "./errors.ts";
import { POLLIN, POLLOUT, type Poller } from "./poller.ts";
import { repr, reprSymbol, type Reprable } from "./repr.ts";
import { checkFdSets, epoll, poll, type FileLike } from "./select.ts";
import { BlockingSocket, type NonBlockingSocket } from "./socket.ts";

/** Event bit: the file object is ready for reading (`recv`, `accept`). */
export const EVENT_READ = 1;
/** Event bit: the file object is ready for writing (`send`). */
export const EVENT_WRITE = 2;

export type { FileLike } from "./select.ts";
export { FD_SETSIZE } from "./select.ts";

/** What a selector watches: an fd number or an object with `fileno()`. */
export type FileObj = number | FileLike;

/**
 * Python's `SelectorKey` namedtuple: the registration of one file object. Immutable; `modify()` makes a new one
 * when something changes.
 */
export class SelectorKey<F extends FileObj = FileObj, D = unknown> implements Reprable {
  // The `(key, mask)` pairs `select()` hands out, made once per mask (0 to 3) so a ready key costs no allocation;
  // fields rather than an array, which would cost a key more than the pairs it holds.
  private pair0: ReadyPair<F, D> | undefined;
  private pair1: ReadyPair<F, D> | undefined;
  private pair2: ReadyPair<F, D> | undefined;
  private pair3: ReadyPair<F, D> | undefined;

  constructor(
    /** The registered file object. */
    readonly fileobj: F,
    /** Its file descriptor. */
    readonly fd: number,
    /** The events of interest: `EVENT_READ`, `EVENT_WRITE` or both. */
    readonly events: number,
    /** The data given at registration: what the program wants back when the file object is ready. */
    readonly data: D,
  ) {}

  /**
   * The `[this, mask]` entry of a `select()` result, made once per mask value and reused, so a selector reports a
   * ready key without allocating. A selector written on {@link BaseSelector} builds its results with it.
   */
  pair(mask: number): ReadyPair<F, D> {
    switch (mask) {
      case EVENT_READ:
        return (this.pair1 ??= readyPair(this, mask));
      case EVENT_WRITE:
        return (this.pair2 ??= readyPair(this, mask));
      case EVENT_READ | EVENT_WRITE:
        return (this.pair3 ??= readyPair(this, mask));
      case 0:
        return (this.pair0 ??= readyPair(this, mask));
      default:
        // Not a selector's mask: made each time.
        return readyPair(this, mask);
    }
  }

  /** `SelectorKey(fileobj=…, fd=4, events=1, data=…)`, as Python prints it. */
  [reprSymbol](): string {
    return `SelectorKey(fileobj=${repr(this.fileobj)}, fd=${this.fd}, events=${this.events}, data=${repr(this.data)})`;
  }

  /** `console.log(key)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

/**
 * A key typed by its data: for a selector whose data is `Connection | null`, a key is a
 * `SelectorKey<F, Connection> | SelectorKey<F, null>`, so `if (key.data === null)` narrows the key itself.
 */
export type KeyFor<F extends FileObj, D> = D extends unknown ? SelectorKey<F, D> : never;

/** One entry of `select()`'s result: a key and the events it is ready for. */
export type ReadyPair<F extends FileObj, D> = readonly [key: KeyFor<F, D>, mask: number];

/** What `select()` returns: one `[key, mask]` per ready key. */
export type ReadyList<F extends FileObj, D> = ReadyPair<F, D>[];

/**
 * The one place where a key is seen as its data-distributed type: a `SelectorKey<F, D>` always is one member of
 * `KeyFor<F, D>`, which TypeScript cannot prove for a generic `D`.
 */
function readyPair<F extends FileObj, D>(key: SelectorKey<F, D>, mask: number): ReadyPair<F, D> {
  return [key as KeyFor<F, D>, mask];
}

/** The optional data argument: optional (default `null`) when the data type allows `null`, as Python's `None`. */
export type DataArg<D> = null extends D ? [data?: D] : [data: D];

/**
 * Python's `_SelectorMapping`: a read-only view of the registrations, fd → key. `getMap()` returns the same view
 * each call. Iterating yields fds; `get`/`has` take a file object or an fd.
 */
export class SelectorMapping<F extends FileObj, D> implements Iterable<number> {
  /** @internal */
  constructor(
    private readonly byFd: ReadonlyMap<number, SelectorKey<F, D>>,
    private readonly lookup: (fileobj: F | number) => number,
  ) {}

  /** How many file objects are registered. */
  get size(): number {
    return this.byFd.size;
  }

  /** The key of `fileobj` (or fd), or `undefined` when it is not registered. */
  get(fileobj: F | number): SelectorKey<F, D> | undefined {
    return this.byFd.get(this.lookup(fileobj));
  }

  /** Is `fileobj` (or fd) registered? */
  has(fileobj: F | number): boolean {
    return this.byFd.has(this.lookup(fileobj));
  }

  /** The registered fds. */
  [Symbol.iterator](): IterableIterator<number> {
    return this.byFd.keys();
  }

  /** The registered fds. */
  keys(): IterableIterator<number> {
    return this.byFd.keys();
  }

  /** The keys. */
  values(): IterableIterator<SelectorKey<F, D>> {
    return this.byFd.values();
  }

  /** `[fd, key]` pairs. */
  entries(): IterableIterator<[number, SelectorKey<F, D>]> {
    return this.byFd.entries();
  }
}

/** Python's `_fileobj_to_fd`: the fd of an int or of an object with `fileno()`. */
function fileobjToFd(fileobj: unknown): number {
  let fd: unknown;
  if (typeof fileobj === "number") fd = fileobj;
  else if (
    typeof fileobj === "object" &&
    fileobj !== null &&
    "fileno" in fileobj &&
    typeof fileobj.fileno === "function"
  ) {
    fd = (fileobj as FileLike).fileno();
  }
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new ValueError(`Invalid file object: ${repr(fileobj)}`);
  }
  if (fd < 0) throw new ValueError(`Invalid file descriptor: ${fd}`);
  return fd;
}

/**
 * A socket in blocking mode cannot be driven by a selector here: its calls return Promises, so `recv()` after
 * `select()` would hand the program a Promise instead of bytes. The type of `register()` refuses it; this is the
 * same check at run time, for programs that are not type-checked.
 */
function checkNotBlocking(fileobj: unknown): void {
  if (fileobj instanceof BlockingSocket) {
    throw new ValueError(`${repr(fileobj)} is in blocking mode`).addNote(
      "A selector watches non-blocking sockets: call setblocking(false) and register the socket it returns, " +
        "as in sel.register(sock.setblocking(false), EVENT_READ, data).",
    );
  }
}

/** Python's check of `events`: `ValueError('Invalid events: 0')`, or TypeError for a non-integer. */
function checkEvents(events: unknown): void {
  if (typeof events === "number" && !Number.isInteger(events)) {
    throw new TypeError("unsupported operand type(s) for &: 'float' and 'int'");
  }
  if (typeof events === "string") {
    throw new TypeError("unsupported operand type(s) for &: 'str' and 'int'");
  }
  if (typeof events !== "number" || events === 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0) {
    throw new ValueError(`Invalid events: ${repr(events)}`).addNote(
      "events is EVENT_READ (1), EVENT_WRITE (2), or both: EVENT_READ | EVENT_WRITE.",
    );
  }
}

/**
 * The base of every selector, like CPython's `BaseSelector` with `_BaseSelectorImpl`: it owns the fd → key map
 * and all the checks, with Python's exceptions and messages, and rolls a registration back when the
 * implementation refuses it. A concrete selector implements {@link select} and may override the `impl*` hooks and
 * {@link wakeup}.
 *
 * `F` is what may be registered, `D` the type of the data kept in keys.
 */
export abstract class BaseSelector<F extends FileObj = FileObj, D = unknown> implements Disposable {
  private readonly fdToKey = new Map<number, SelectorKey<F, D>>();
  private map: SelectorMapping<F, D> | null = new SelectorMapping(this.fdToKey, (f) =>
    this.fileobjLookup(f),
  );

  /**
   * Python's `_fileobj_lookup`: the fd of `fileobj`. When it has no valid fd (a socket closed since it was
   * registered has fileno -1), search the keys for that very object.
   * @throws ValueError `Invalid file object: …` / `Invalid file descriptor: -1`.
   */
  protected fileobjLookup(fileobj: F | number): number {
    try {
      return fileobjToFd(fileobj);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      for (const key of this.fdToKey.values()) if (key.fileobj === fileobj) return key.fd;
      throw e;
    }
  }

  /**
   * Register a file object for events (`EVENT_READ`, `EVENT_WRITE`, or both) with optional data.
   * @returns the new key.
   * @throws ValueError for bad events, a file object without a valid fd, or a socket in blocking mode (register
   *   what `setblocking(false)` returns); KeyError when its fd is already registered; whatever the implementation
   *   raises (the registration is then rolled back).
   */
  register(fileobj: F, events: number, ...rest: DataArg<D>): SelectorKey<F, D> {
    checkEvents(events);
    const key = new SelectorKey<F, D>(fileobj, this.fileobjLookup(fileobj), events, dataOf(rest));
    checkNotBlocking(fileobj);
    if (this.fdToKey.has(key.fd)) {
      throw new KeyError(`${repr(fileobj)} (FD ${key.fd}) is already registered`).addNote(
        "A file object is registered once; use modify() to change its events or data, or unregister() it first.",
      );
    }
    this.fdToKey.set(key.fd, key);
    try {
      this.implRegister(key);
    } catch (e) {
      this.fdToKey.delete(key.fd);
      throw e;
    }
    return key;
  }

  /**
   * Unregister a file object (or fd). Works for a socket closed since it was registered.
   * @returns the removed key.
   * @throws KeyError `… is not registered`.
   */
  unregister(fileobj: F | number): SelectorKey<F, D> {
    const fd = this.fileobjLookup(fileobj);
    const key = this.fdToKey.get(fd);
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    this.fdToKey.delete(fd);
    this.implUnregister(key);
    return key;
  }

  /**
   * Change the events and data of a registration. Like Python's epoll selector it does not check `events`
   * (0 is accepted), keeps the same key when nothing changes, and else replaces the key.
   * @returns the (possibly new) key.
   * @throws KeyError `… is not registered`.
   */
  modify(fileobj: F | number, events: number, ...rest: DataArg<D>): SelectorKey<F, D> {
    const fd = this.fileobjLookup(fileobj);
    const key = this.fdToKey.get(fd);
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    const data = dataOf(rest);
    if (events === key.events && data === key.data) return key;
    const changed = new SelectorKey<F, D>(key.fileobj, fd, events, data);
    try {
      this.implModify(key, changed);
    } catch (e) {
      this.fdToKey.delete(fd);
      this.implUnregister(key);
      throw e;
    }
    this.fdToKey.set(fd, changed);
    return changed;
  }

  /**
   * Wait until some registered file objects are ready, or the timeout passes.
   * @param timeout seconds; `null`/`undefined` waits without limit, `0` or less polls.
   * @returns one `[key, mask]` per ready key; `[]` on timeout.
   */
  abstract select(timeout?: number | null): Promise<ReadyList<F, D>>;

  /**
   * Make a waiting {@link select} return early (with what is ready, maybe nothing); with no `select()` waiting,
   * the next one returns at once. Several calls count as one. A selector whose `select()` waits should override
   * this; the default does nothing.
   */
  wakeup(): void {
    // A selector that never waits has nothing to wake.
  }

  /**
   * Close the selector: forget every registration. `getMap()` then returns `null`, `getKey()` throws
   * `RuntimeError('Selector is closed')`. Closing again does nothing.
   */
  close(): void {
    if (this.map === null) return;
    this.fdToKey.clear();
    this.map = null;
    this.implClose();
  }

  /** `using sel = new DefaultSelector()` closes it at the end of the block, like Python's `with`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The key of a registered file object (or fd).
   * @throws KeyError `… is not registered`; RuntimeError `Selector is closed`.
   */
  getKey(fileobj: F | number): SelectorKey<F, D> {
    const mapping = this.getMap();
    if (mapping === null) throw new RuntimeError("Selector is closed");
    const key = mapping.get(fileobj);
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    return key;
  }

  /** The read-only fd → key mapping (the same object each call), or `null` once closed. */
  getMap(): SelectorMapping<F, D> | null {
    return this.map;
  }

  /** Hook: a key was added. Throw to refuse it (the registration is rolled back). */
  protected implRegister(_key: SelectorKey<F, D>): void {
    // nothing to tell
  }

  /** Hook: a key was removed. */
  protected implUnregister(_key: SelectorKey<F, D>): void {
    // nothing to tell
  }

  /** Hook: `oldKey` is being replaced by `newKey`. Throw to refuse (the registration is then removed). */
  protected implModify(_oldKey: SelectorKey<F, D>, _newKey: SelectorKey<F, D>): void {
    // nothing to tell
  }

  /** Hook: the selector was closed (after the keys were forgotten). */
  protected implClose(): void {
    // nothing to release
  }
}

function dataOf<D>(rest: DataArg<D>): D {
  // An omitted data argument is only allowed when `null extends D` (see DataArg), so null is a D here.
  return (rest.length > 0 ? rest[0] : null) as D;
}

/**
 * Tracing with Node's convention: `NODE_DEBUG=selectors` logs registrations and every `select()` to stderr. When
 * it is off, each call site costs one variable read.
 */
const trace = debuglog("selectors");
/** Whether `NODE_DEBUG` names `selectors` (read once: the environment of the process start decides it). */
const tracing = trace.enabled;
const MASK_NAMES = ["-", "R", "W", "RW"];

/** The readiness object a selector of this kind waits on: `select.poll()`'s or `select.epoll()`'s. */
interface Pollster<K> {
  /** The interest set and the waiting (select.ts). */
  readonly pollster: Poller<K | undefined>;
  registerWith(fd: number, eventmask: number, tag: K): void;
  modifyWith(fd: number, eventmask: number, tag: K): void;
}

/**
 * What {@link EpollSelector}, {@link PollSelector} and {@link SelectSelector} share, as CPython's
 * `_PollLikeSelector`: each is a thin class over an object of the `select` module (`select.ts`), which does the
 * waiting (timeouts, letting I/O in, Ctrl-C, `wakeup()`). A registration tells that object, with the key as its
 * data; `select()` asks it and turns what it reports into `[key, mask]` pairs, as CPython's selectors do: any event
 * but `POLLIN` makes the key writable, any event but `POLLOUT` readable (so an error or hang-up makes it both),
 * then `mask = that & key.events`. Use one of the three; this class is not for direct use. `D` is the type of the
 * data kept in keys; `F` what may be registered — non-blocking sockets by default, as the course registers; use
 * `DefaultSelector<D, NonBlockingSocket | number>` to register raw fds too.
 */
export abstract class PollLikeSelector<
  D = unknown,
  F extends FileObj = NonBlockingSocket,
> extends BaseSelector<F, D> {
  /**
   * Beyond Python: told of every `select()` result before it is returned (the timeline of `timeline.ts` uses it).
   * One observer; `null` for none.
   */
  onSelect: ((ready: ReadyList<F, D>, timeout: number | null) => void) | null = null;
  /** @internal The `select` module's object this selector is built on. */
  protected abstract readonly selector: Pollster<SelectorKey<F, D>>;
  /** Closed by {@link close}. */
  protected closed = false;

  /**
   * Wait until registered file objects are ready (see the module rules).
   * @throws ValueError `I/O operation on closed epoll object` once an {@link EpollSelector} is closed;
   *   KeyboardInterrupt on Ctrl-C; RuntimeError when another `select()` on this selector has not returned yet (a
   *   missing `await`); what {@link SelectSelector} adds (an fd out of range, a closed file object).
   */
  select(timeout: number | null = null): Promise<ReadyList<F, D>> {
    const pollster = this.selector.pollster;
    if (pollster.busy) {
      // Python cannot get here (one thread blocks in select()); in JavaScript it is a missing `await`.
      return Promise.reject(new RuntimeError("select() is already in progress on this selector"));
    }
    // CPython's rounding: None waits, 0 or less polls, else whole milliseconds rounded up.
    const ms = timeout === null ? null : timeout <= 0 ? 0 : Math.ceil(timeout * 1000);
    this.selectTimeout = timeout;
    try {
      return this.wait(ms);
    } catch (e) {
      // What the wait checks first (a closed epoll object, select(2)'s fd sets), raised as the call's error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(raisedHere(e));
    }
  }

  /** The timeout of the `select()` under way, for {@link onSelect}. */
  private selectTimeout: number | null = null;

  /**
   * What a `select()` resolves with, once `n` entries of the `select` module's object are ready: one
   * `[key, mask]` per ready key. Made by that object's wait (`Poller.pollFor()`) as soon as it knows them, so a
   * `select()` is no `async` function: the Promise the program awaits is the wait's own.
   */
  protected readonly readyList = (n: number): ReadyList<F, D> => {
    const pollster = this.selector.pollster;
    const ready: ReadyList<F, D> = new Array<ReadyPair<F, D>>(n);
    let count = 0;
    const entries = pollster.ready;
    const revents = pollster.revents;
    for (let i = 0; i < n; i++) {
      const key = entries[i]?.tag;
      if (key === undefined) continue;
      const event = revents[i] ?? 0;
      let events = 0;
      if ((event & ~POLLIN) !== 0) events |= EVENT_WRITE;
      if ((event & ~POLLOUT) !== 0) events |= EVENT_READ;
      ready[count++] = key.pair(events & key.events);
    }
    // The length setter is a runtime call: only when a ready entry had no key.
    if (count !== n) ready.length = count;
    return this.traced(this.selectTimeout, ready);
  };

  /**
   * One wait of the `select` module's object; resolves with {@link readyList} of what is ready, and raises its
   * errors where the program awaits the `select()`.
   */
  protected wait(ms: number | null): Promise<ReadyList<F, D>> {
    return this.selector.pollster.pollFor(ms, Infinity, this.readyList);
  }

  /**
   * Make a waiting `select()` return early; with none waiting, the next `select()` returns at once. Several calls
   * before a `select()` count as one: the next `select()` to return, however it ends (ready keys, a poll, a
   * timeout), uses the wake-up up.
   */
  override wakeup(): void {
    this.selector.pollster.wakeup();
  }

  protected override implRegister(key: SelectorKey<F, D>): void {
    if (tracing) trace("register fd=%d events=%s", key.fd, MASK_NAMES[key.events] ?? key.events);
    this.selector.registerWith(key.fd, pollEvents(key.events), key);
  }

  protected override implUnregister(key: SelectorKey<F, D>): void {
    if (tracing) trace("unregister fd=%d", key.fd);
    // CPython ignores what the OS says here (a file object closed since it was registered).
    this.selector.pollster.remove(key.fd);
  }

  protected override implModify(_oldKey: SelectorKey<F, D>, newKey: SelectorKey<F, D>): void {
    if (tracing) {
      trace("modify fd=%d events=%s", newKey.fd, MASK_NAMES[newKey.events] ?? newKey.events);
    }
    this.selector.modifyWith(newKey.fd, pollEvents(newKey.events), newKey);
  }

  protected override implClose(): void {
    this.closed = true;
    this.selector.pollster.close();
  }

  /** Every select() result passes here: the observer, and `NODE_DEBUG=selectors` (one line per call). */
  private traced(timeout: number | null, ready: ReadyList<F, D>): ReadyList<F, D> {
    this.onSelect?.(ready, timeout);
    if (tracing) {
      const masks = ready.map(([key, mask]) => `${key.fd}:${MASK_NAMES[mask] ?? mask}`).join(" ");
      trace("select(%s) %s -> [%s]", timeout ?? "None", this.traceName(), masks);
    }
    return ready;
  }

  /** How `NODE_DEBUG=selectors` names this selector in its `select()` lines (`epfd=3`). */
  protected abstract traceName(): string;
}

/** The poll events of selector events (`events & EVENT_READ` → `POLLIN`, `& EVENT_WRITE` → `POLLOUT`). */
function pollEvents(events: number): number {
  let bits = 0;
  if ((events & EVENT_READ) !== 0) bits |= POLLIN;
  if ((events & EVENT_WRITE) !== 0) bits |= POLLOUT;
  return bits;
}

/**
 * Python's `selectors.EpollSelector`, and {@link DefaultSelector} (as on Linux), over a `select.epoll()` object. It
 * has an fd of its own (`fileno()`), refuses an fd that is not open (`OSError: [Errno 9] Bad file descriptor`) and
 * a regular file (`PermissionError: [Errno 1] Operation not permitted`, as `epoll_ctl(2)` does), forgets a file
 * object closed while registered (it is never reported), and once closed raises `ValueError('I/O operation on
 * closed epoll object')` from `select()`, `register()` and `fileno()`.
 */
export class EpollSelector<
  D = unknown,
  F extends FileObj = NonBlockingSocket,
> extends PollLikeSelector<D, F> {
  /** @internal Its `select.epoll()` object. */
  protected readonly selector = new epoll<SelectorKey<F, D>>();

  /** The selector's own fd (the epoll fd). @throws ValueError once closed. */
  fileno(): number {
    return this.selector.fileno();
  }

  /** CPython's: at most as many events as there are keys (at least 1), the timeout in seconds. */
  protected override wait(ms: number | null): Promise<ReadyList<F, D>> {
    return this.selector.pollInto(ms, Math.max(this.getMap()?.size ?? 0, 1), this.readyList);
  }

  protected override implClose(): void {
    super.implClose();
    this.selector.close();
  }

  protected override traceName(): string {
    return `epfd=${this.closed ? -1 : this.selector.fileno()}`;
  }
}

/**
 * Python's `selectors.PollSelector` (`poll(2)`), over a `select.poll()` object. It has no fd of its own (no
 * `fileno()`), takes any fd, keeps working after `close()`, and reports a file object closed while registered as
 * ready for what it was registered for (`POLLNVAL`, which CPython maps to `EVENT_READ | EVENT_WRITE`) until it is
 * unregistered.
 */
export class PollSelector<
  D = unknown,
  F extends FileObj = NonBlockingSocket,
> extends PollLikeSelector<D, F> {
  /** @internal Its `select.poll()` object. */
  protected readonly selector = poll<SelectorKey<F, D>>();

  protected override traceName(): string {
    return "poll";
  }
}

/**
 * Python's `selectors.SelectSelector` (`select(2)`). It has no fd of its own (no `fileno()`); `select()` raises
 * `ValueError('filedescriptor out of range in select()')` when an fd of {@link FD_SETSIZE} (1024) or more is
 * registered, and `OSError: [Errno 9] Bad file descriptor` when a registered file object is not open, as
 * `select.select()` does; `modify()` with new events unregisters and registers again (so it checks the events, and
 * a bad mask leaves the file object unregistered), as CPython's base implementation does. Its fd sets are kept as
 * a `select.poll()` object, which `select.select()` checks and waits on the same way (the kernel's `select(2)` and
 * `poll(2)` share one implementation too).
 */
export class SelectSelector<
  D = unknown,
  F extends FileObj = NonBlockingSocket,
> extends PollLikeSelector<D, F> {
  /** @internal Its fd sets, as a `select.poll()` object. */
  protected readonly selector = poll<SelectorKey<F, D>>();

  /**
   * Change the events and data of a registration, as CPython's `_BaseSelectorImpl.modify`: new events unregister
   * and register again (a new key, the events checked); new data alone replaces the key; nothing new keeps it.
   * @throws KeyError `… is not registered`; ValueError for bad events (the file object is then unregistered).
   */
  override modify(fileobj: F | number, events: number, ...rest: DataArg<D>): SelectorKey<F, D> {
    const key = this.getMap()?.get(fileobj);
    if (key === undefined) throw new KeyError(`${repr(fileobj)} is not registered`);
    if (events === key.events) return super.modify(fileobj, events, ...rest);
    this.unregister(fileobj);
    return this.register(key.fileobj, events, ...rest);
  }

  /** `select.select()`'s checks of its fd sets, then the wait. */
  protected override wait(ms: number | null): Promise<ReadyList<F, D>> {
    checkFdSets(this.selector.pollster);
    return super.wait(ms);
  }

  protected override traceName(): string {
    return "select";
  }
}

/** Python's `selectors.DefaultSelector`: on Linux, the {@link EpollSelector}. */
export { EpollSelector as DefaultSelector };
