/**
 * Python's `select` module on Linux: `select()`, `poll()` and `epoll()`, over our file objects (sockets, pipes,
 * files, `sys.stdin`). A blocking call becomes an `await`: `const [r, w, x] = await select.select(rlist, wlist,
 * xlist, timeout)`.
 *
 * The rules (CPython 3.11's `Modules/selectmodule.c` on Linux, as measured):
 * - **File objects** are fd numbers or objects with `fileno()`. Anything else raises `TypeError('argument must be
 *   an int, or have a fileno() method.')`, a `fileno()` that returns no integer `TypeError('fileno() returned a
 *   non-integer')`, a negative fd `ValueError('file descriptor cannot be a negative integer (-1)')`.
 * - **`select(rlist, wlist, xlist, timeout?)`** returns three new lists: the objects of each list that are ready,
 *   in their order (an object listed twice, twice). The lists must be iterables (`TypeError('arguments 1-3 must be
 *   sequences')`); an fd of {@link FD_SETSIZE} or more raises `ValueError('filedescriptor out of range in
 *   select()')`, one that is not open `OSError: [Errno 9] Bad file descriptor`. Readable is `POLLIN`, hang-up or
 *   error; writable is `POLLOUT` or error; exceptional is `POLLPRI` (out-of-band data: never here).
 * - **Timeouts.** `select()` takes seconds (`None`/`null` or omitted: no limit; negative: `ValueError('timeout
 *   must be non-negative')`; not a number: `TypeError('timeout must be a float or None')`); `poll.poll()` takes
 *   milliseconds and `epoll.poll()` seconds, and there a negative timeout waits without limit and a wrong type
 *   raises `TypeError('timeout must be an integer or None')`. NaN raises `ValueError('Invalid value NaN (not a
 *   number)')`, a timeout too large `OverflowError`. Every timeout is rounded up to whole milliseconds (Node's
 *   timers; `select(2)` itself counts microseconds).
 * - **`poll()`** keeps fd → events: `register(fd, eventmask = POLLIN | POLLPRI | POLLOUT)` (again: replaces),
 *   `modify()` (unknown fd: `FileNotFoundError: [Errno 2]`), `unregister()` (unknown fd: `KeyError(fd)`). An fd
 *   that is not open, or was closed since, is reported `POLLNVAL`. Two `poll()` calls at once (a missing `await`)
 *   raise `RuntimeError('concurrent poll() invocation')`.
 * - **`epoll()`** has an fd of its own and checks at once: an fd that is not open raises `OSError: [Errno 9] Bad
 *   file descriptor`, registering twice `FileExistsError: [Errno 17] File exists`, `modify`/`unregister` of an fd
 *   not registered `FileNotFoundError: [Errno 2] No such file or directory`, a regular file `PermissionError:
 *   [Errno 1] Operation not permitted`. A file object closed while registered leaves the set silently. `EPOLLET`
 *   and `EPOLLONESHOT` work as on Linux. Once closed, every call but `close()` raises `ValueError('I/O operation
 *   on closed epoll object')`.
 * - **Readiness** is level-triggered and as the kernel reports it: see `lib/kernel/fd.ts` for when a socket is
 *   readable or writable. Hang-up and error come together (`POLLERR | POLLHUP`: the model has one bit for both),
 *   `POLLRDHUP` and `POLLPRI` are never reported, and a never-connected TCP socket is `POLLIN | POLLOUT | POLLERR
 *   | POLLHUP` where Linux says `POLLOUT | POLLHUP` (`select()` gives the same as Linux: readable and writable).
 * - **Waiting** (all three): every call lets pending I/O in (it yields to Node's event loop once, even when
 *   something is ready); a waiting call keeps the process alive; Ctrl-C makes it throw `KeyboardInterrupt`, and a
 *   program's own SIGINT handler runs instead without ending the wait (PEP 475). The selectors of `selectors.ts`
 *   are built on this module and wait the same way.
 *
 * @example
 * ```ts
 * // The Socket Programming HOWTO's non-blocking loop
 * const [readyToRead, readyToWrite, inError] = await select.select(potentialReaders, potentialWriters, potentialErrs, 60);
 * ```
 * @module
 */
import { typeName } from "./arguments.ts";
import {
  OSError,
  OverflowError,
  KeyError,
  ValueError,
  errno,
  fromErrno,
  raisedHere,
} from "./errors.ts";
import {
  WRITABLE,
  allocateFd,
  lookupFd,
  ownerOfFd,
  releaseFd,
  type Selectable,
} from "../kernel/fd.ts";
import {
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  Poller,
} from "./poller.ts";

export {
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLMSG,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDHUP,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
} from "./poller.ts";
/** Python's `select.error`: `OSError`. */
export { OSError as error } from "./errors.ts";

/** `epoll` event: there is data to read (`POLLIN`). */
export const EPOLLIN = 0x001;
/** `epoll` event: urgent (out-of-band) data to read. */
export const EPOLLPRI = 0x002;
/** `epoll` event: writing will not block. */
export const EPOLLOUT = 0x004;
/** `epoll` event: an error condition (always reported). */
export const EPOLLERR = 0x008;
/** `epoll` event: hang-up (always reported). */
export const EPOLLHUP = 0x010;
/** `epoll` event: normal data to read. */
export const EPOLLRDNORM = 0x040;
/** `epoll` event: priority data to read. */
export const EPOLLRDBAND = 0x080;
/** `epoll` event: normal data may be written. */
export const EPOLLWRNORM = 0x100;
/** `epoll` event: priority data may be written. */
export const EPOLLWRBAND = 0x200;
/** `epoll` event: unused on Linux. */
export const EPOLLMSG = 0x400;
/** `epoll` event: the peer closed its end, or shut down writing (never reported here). */
export const EPOLLRDHUP = 0x2000;
/** `epoll()` flag: close the epoll fd on `exec` (the only flag; ours are always so). */
export const EPOLL_CLOEXEC = 0x80000;
/** Bytes a pipe writes atomically (Linux's 4096). */
export const PIPE_BUF = 4096;
/** `select(2)`'s limit: fds from this number up cannot be given to {@link select}. */
export const FD_SETSIZE = 1024;

/** Something with a file descriptor: our sockets, or any object whose `fileno()` returns one. */
export interface FileLike {
  /** The file descriptor (a non-negative integer while open). */
  fileno(): number;
}

/** What the `select` module takes: an fd number or an object with `fileno()`. */
export type FileDescriptorLike = number | FileLike;

const INT_MAX = 0x7fffffff;
/** The largest count of nanoseconds Python's clock takes (a signed 64-bit integer). */
const PYTIME_MAX_NS = 2 ** 63;

/** Python's name of a value's type, for `TypeError` texts. */

/**
 * Python's `PyObject_AsFileDescriptor`: the fd of an int or of an object with `fileno()`.
 * @internal
 */
export function fdOf(fileobj: unknown): number {
  let fd: unknown;
  if (typeof fileobj === "number" || typeof fileobj === "boolean") fd = Number(fileobj);
  else if (
    typeof fileobj === "object" &&
    fileobj !== null &&
    "fileno" in fileobj &&
    typeof fileobj.fileno === "function"
  ) {
    fd = (fileobj as FileLike).fileno();
    if (typeof fd !== "number" || !Number.isInteger(fd)) {
      throw new TypeError("fileno() returned a non-integer");
    }
  }
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new TypeError("argument must be an int, or have a fileno() method.");
  }
  if (fd < 0) throw new ValueError(`file descriptor cannot be a negative integer (${fd})`);
  return fd;
}

/** An integer argument, as Python's `PyLong_AsLong`: `TypeError("'float' object cannot be interpreted ...")`. */
function integer(value: unknown): number {
  if (typeof value === "boolean") return Number(value);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`'${typeName(value, "list")}' object cannot be interpreted as an integer`);
  }
  return value;
}

/** NaN and infinities, as Python's time conversion refuses them. */
function checkFinite(value: number): void {
  if (Number.isNaN(value)) throw new ValueError("Invalid value NaN (not a number)");
  if (!Number.isFinite(value)) {
    throw new OverflowError("timestamp out of range for platform time_t");
  }
}

/** A time in seconds past what Python's clock holds (64-bit nanoseconds). */
function checkPyTime(seconds: number): void {
  if (Math.abs(seconds) * 1e9 >= PYTIME_MAX_NS) {
    throw new OverflowError(
      Number.isInteger(seconds)
        ? "timestamp too large to convert to C _PyTime_t"
        : "timestamp out of range for platform time_t",
    );
  }
}

/** `select()`'s timeout in seconds → ms (rounded up), or `null` for none. */
function selectTimeout(timeout: unknown): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== "number" && typeof timeout !== "boolean") {
    throw new TypeError("timeout must be a float or None");
  }
  const seconds = Number(timeout);
  checkFinite(seconds);
  checkPyTime(seconds);
  if (seconds < 0) throw new ValueError("timeout must be non-negative");
  return Math.ceil(seconds * 1000);
}

/** A `poll()`/`epoll.poll()` timeout, given in `unit` ms, → ms (rounded up), or `null` (none, or negative). */
function pollTimeout(timeout: unknown, unit: number): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== "number" && typeof timeout !== "boolean") {
    throw new TypeError("timeout must be an integer or None");
  }
  const value = Number(timeout);
  checkFinite(value);
  checkPyTime((value * unit) / 1000);
  if (value < 0) return null;
  const ms = Math.ceil(value * unit);
  if (ms > INT_MAX) throw new OverflowError("timeout is too large");
  return ms;
}

/**
 * What is open at `fd` for polling; standard output and error, when not ours, are always writable.
 * @internal
 */
export function sourceAt(fd: number): Selectable | undefined {
  const source = lookupFd(fd);
  if (source !== undefined) return source;
  if ((fd === 1 || fd === 2) && ownerOfFd(fd) === undefined) return STDIO_OUT;
  return undefined;
}

/** The process's own standard output and error: always writable (Node buffers what is written). */
const STDIO_OUT: Selectable = {
  fileno: () => 1,
  readiness: () => WRITABLE,
  watch: () => undefined,
  unwatch: () => undefined,
};

/**
 * The source of a registered fd that is not open: closed (`fileno()` is -1), so poll reports `POLLNVAL`.
 * @internal
 */
export const NOT_OPEN: Selectable = {
  fileno: () => -1,
  readiness: () => 0,
  watch: () => undefined,
  unwatch: () => undefined,
};

/** Readable for `select()`: `POLLIN`, hang-up or error (Linux's `POLLIN_SET`). */
const READ_SET = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
/** Writable for `select()`: `POLLOUT` or error (Linux's `POLLOUT_SET`). */
const WRITE_SET = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
/** Exceptional for `select()`: `POLLPRI` (Linux's `POLLEX_SET`). */
const EXCEPT_SET = POLLPRI;

/** The objects of a `select()` list with their fds, checked as `select()` checks them. */
function fdList<T>(list: Iterable<T>): [T, number][] {
  // Programs that are not type-checked may pass anything.
  const value: unknown = list;
  if (
    value === null ||
    (typeof value !== "object" && typeof value !== "string") ||
    !(Symbol.iterator in Object(value))
  ) {
    throw new TypeError("arguments 1-3 must be sequences");
  }
  const out: [T, number][] = [];
  for (const item of list) {
    const fd = fdOf(item);
    if (fd >= FD_SETSIZE) {
      throw new ValueError("filedescriptor out of range in select()").addNote(
        `select(2) watches fds below FD_SETSIZE (${FD_SETSIZE}): use poll() or epoll().`,
      );
    }
    out.push([item, fd]);
  }
  return out;
}

/**
 * What `select(2)` checks of its fd sets before it waits: every fd below {@link FD_SETSIZE}, every fd open.
 * @internal The one check of {@link select} and `selectors.SelectSelector`.
 * @throws ValueError `filedescriptor out of range in select()`; OSError 9 (EBADF).
 */
export function checkFdSets<T>(poller: Poller<T>): void {
  for (const interest of poller.entries()) {
    if (interest.fd >= FD_SETSIZE) {
      throw new ValueError("filedescriptor out of range in select()").addNote(
        `select(2) watches fds below FD_SETSIZE (${FD_SETSIZE}): use a PollSelector or the DefaultSelector.`,
      );
    }
  }
  for (const interest of poller.entries()) {
    if (interest.source.fileno() < 0) throw fromErrno(errno.EBADF);
  }
}

/**
 * Python's `select.select(rlist, wlist, xlist, timeout=None)`: wait until some of the file objects are ready for
 * reading, writing or an exceptional condition, or the timeout passes (see the module rules).
 * @param timeout seconds; `null` or omitted: no limit; `0`: check and return.
 * @returns `[readable, writable, exceptional]`: three new arrays, each the ready objects of its list, in order.
 * @throws TypeError for a list that is not iterable, an object without an fd, a timeout that is not a number;
 *   ValueError for a negative fd or timeout, or `filedescriptor out of range in select()`; OSError 9 (EBADF) for
 *   an fd that is not open; OverflowError for a timeout too large; KeyboardInterrupt on Ctrl-C.
 */
export async function select<R, W, X>(
  rlist: Iterable<R & FileDescriptorLike>,
  wlist: Iterable<W & FileDescriptorLike>,
  xlist: Iterable<X & FileDescriptorLike>,
  timeout?: number | null,
): Promise<[R[], W[], X[]]> {
  const ms = selectTimeout(timeout);
  const reads = fdList(rlist);
  const writes = fdList(wlist);
  const excepts = fdList(xlist);
  const poller = new Poller<null>({ closedEvents: POLLNVAL });
  try {
    const events = new Map<number, number>();
    for (const [, fd] of reads) events.set(fd, (events.get(fd) ?? 0) | POLLIN);
    for (const [, fd] of writes) events.set(fd, (events.get(fd) ?? 0) | POLLOUT);
    for (const [, fd] of excepts) events.set(fd, (events.get(fd) ?? 0) | POLLPRI);
    for (const [fd, mask] of events) poller.add(fd, sourceAt(fd) ?? NOT_OPEN, mask, null);
    checkFdSets(poller);
    let n: number;
    try {
      n = await poller.poll(ms);
    } catch (e) {
      // The program's line, for a KeyboardInterrupt made by the SIGINT listener (see errors.ts).
      throw raisedHere(e);
    }
    const revents = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const bits = poller.revents[i] ?? 0;
      // A file object closed while select() waited: the kernel's EBADF.
      if ((bits & POLLNVAL) !== 0) throw fromErrno(errno.EBADF);
      revents.set(poller.ready[i]?.fd ?? -1, bits);
    }
    const pick = <T>(list: [T, number][], set: number): T[] =>
      list.filter(([, fd]) => ((revents.get(fd) ?? 0) & set) !== 0).map(([item]) => item);
    return [pick(reads, READ_SET), pick(writes, WRITE_SET), pick(excepts, EXCEPT_SET)];
  } finally {
    poller.close();
  }
}

/** Keeps `new` of {@link Poll} to {@link poll}, as Python's `select.poll` type cannot be instantiated. */
const POLL_TOKEN = Symbol("select.poll");

/** An unsigned short event mask, as `poll.register()` takes it. */
function ushortMask(eventmask: unknown): number {
  if (typeof eventmask !== "number" && typeof eventmask !== "boolean") {
    throw new TypeError("an integer is required");
  }
  const mask = Number(eventmask);
  if (!Number.isInteger(mask)) throw new TypeError("an integer is required");
  if (mask < 0) throw new ValueError("value must be positive");
  if (mask > 0xffff) throw new OverflowError("Python int too large for C unsigned short");
  return mask;
}

/**
 * Python's `select.poll` object, made by {@link poll}: a set of fds, each with the events it waits for. `T` is what
 * a selector keeps with each fd (nothing, for a program).
 */
export class Poll<T = undefined> {
  /** @internal The interest set and the waiting. */
  readonly pollster = new Poller<T | undefined>({ closedEvents: POLLNVAL });

  /** @internal Programs call {@link poll}. */
  constructor(token: symbol) {
    if (token !== POLL_TOKEN) throw new TypeError("cannot create 'select.poll' instances");
  }

  /**
   * Watch `fd` for `eventmask` (`POLLIN | POLLPRI | POLLOUT` by default); an fd already registered gets the new
   * mask. An fd that is not open is accepted, and reported `POLLNVAL`.
   * @throws TypeError / ValueError for a bad fd or mask; OverflowError for a mask over 16 bits.
   */
  register(fd: FileDescriptorLike, eventmask: number = POLLIN | POLLPRI | POLLOUT): void {
    this.registerWith(fd, eventmask, undefined);
  }

  /** @internal {@link register} with what a selector keeps for the fd. */
  registerWith(fd: FileDescriptorLike, eventmask: number, tag: T | undefined): void {
    const n = fdOf(fd);
    const mask = ushortMask(eventmask);
    this.pollster.add(n, sourceAt(n) ?? NOT_OPEN, mask, tag);
  }

  /**
   * Change the events of a registered fd.
   * @throws FileNotFoundError 2 (ENOENT) when `fd` is not registered; TypeError / ValueError / OverflowError for a
   *   bad fd or mask.
   */
  modify(fd: FileDescriptorLike, eventmask: number): void {
    this.modifyWith(fd, eventmask, undefined);
  }

  /** @internal {@link modify} with what a selector keeps for the fd. */
  modifyWith(fd: FileDescriptorLike, eventmask: number, tag: T | undefined): void {
    const n = fdOf(fd);
    const mask = ushortMask(eventmask);
    const interest = this.pollster.get(n);
    if (interest === undefined) throw fromErrno(errno.ENOENT);
    this.pollster.modify(interest, mask, tag);
  }

  /**
   * Stop watching `fd`.
   * @throws KeyError (the fd) when it is not registered; TypeError / ValueError for a bad fd.
   */
  unregister(fd: FileDescriptorLike): void {
    const n = fdOf(fd);
    if (this.pollster.remove(n) === undefined) throw new KeyError(n);
  }

  /**
   * Wait until registered fds have events, or `timeout` milliseconds pass.
   * @param timeout ms (rounded up); `null`, omitted or negative: no limit; `0`: check and return.
   * @returns `[fd, events]` for each fd with events (`[]` when the time is up).
   * @throws TypeError `timeout must be an integer or None`; ValueError for NaN; OverflowError for a timeout too
   *   large; RuntimeError `concurrent poll() invocation` (a missing `await`); KeyboardInterrupt on Ctrl-C.
   */
  async poll(timeout?: number | null): Promise<[fd: number, events: number][]> {
    const ms = pollTimeout(timeout, 1);
    const pollster = this.pollster;
    let n: number;
    try {
      n = await pollster.poll(ms);
    } catch (e) {
      throw raisedHere(e);
    }
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) out.push([pollster.ready[i]?.fd ?? -1, pollster.revents[i] ?? 0]);
    return out;
  }

  /** `<select.poll object>`, as Python's repr without the address. */
  toString(): string {
    return "<select.poll object>";
  }
}

/**
 * Python's `select.poll()`: a new {@link Poll} object.
 * @example
 * ```ts
 * const p = select.poll();
 * p.register(sock, select.POLLIN);
 * for (const [fd, events] of await p.poll(1000)) ...
 * ```
 */
export function poll<T = undefined>(): Poll<T> {
  return new Poll<T>(POLL_TOKEN);
}

/** The epoll instance at an fd: what `epoll.fromfd()` shares. */
class EpollFile<T> {
  readonly pollster = new Poller<T | undefined>({ closedEvents: 0 });
  open = true;
}

/** Is `owner` (what is open at an fd) an epoll instance? Its data type is the caller's claim, as in C. */
function isEpollFile<T>(owner: object): owner is EpollFile<T> {
  return owner instanceof EpollFile;
}

/** An unsigned int event mask, as `epoll.register()` takes it. */
function uintMask(eventmask: unknown): number {
  const mask = integer(eventmask) >>> 0;
  // Linux refuses EPOLLEXCLUSIVE with EPOLLONESHOT (and so -1, all bits set).
  if ((mask & EPOLLEXCLUSIVE) !== 0 && (mask & EPOLLONESHOT) !== 0) throw fromErrno(errno.EINVAL);
  return mask;
}

/**
 * Python's `select.epoll(sizehint=-1, flags=0)`: an epoll instance, with an fd of its own. `T` is what a selector
 * keeps with each fd (nothing, for a program). `using ep = new epoll()` closes it at the end of the block, as
 * Python's `with` does.
 */
export class epoll<T = undefined> implements Disposable {
  /** Set while {@link fromfd} makes its object. */
  private static adopting = false;
  private fd: number;
  private file: EpollFile<T>;

  /**
   * @param sizehint ignored by Linux, but checked: `-1` or more than 0.
   * @param flags `0` or {@link EPOLL_CLOEXEC}.
   * @throws TypeError for a non-integer; ValueError `negative sizehint`; OSError `invalid flags`.
   */
  constructor(sizehint = -1, flags = 0) {
    const hint = integer(sizehint);
    const bits = integer(flags);
    if (hint !== -1 && hint <= 0) throw new ValueError("negative sizehint");
    if ((bits & ~EPOLL_CLOEXEC) !== 0) throw new OSError("invalid flags");
    this.file = new EpollFile<T>();
    // epoll.fromfd() takes the instance at its fd instead of a new one.
    this.fd = epoll.adopting ? -1 : allocateFd(this.file);
  }

  /**
   * Python's `select.epoll.fromfd(fd)`: an epoll object for the epoll instance at `fd` (both see the same set; once
   * the fd is closed, the other object's calls raise `OSError: [Errno 9]`).
   * @throws OSError 9 (EBADF) when `fd` is not open; OSError 22 (EINVAL) when it is not an epoll instance.
   */
  static fromfd<T = undefined>(fd: number): epoll<T> {
    const n = integer(fd);
    const owner = ownerOfFd(n);
    if (owner === undefined) throw fromErrno(errno.EBADF);
    if (!isEpollFile<T>(owner)) throw fromErrno(errno.EINVAL);
    epoll.adopting = true;
    let ep: epoll<T>;
    try {
      ep = new epoll<T>();
    } finally {
      epoll.adopting = false;
    }
    ep.file = owner;
    ep.fd = n;
    return ep;
  }

  /** Whether this object is closed. */
  get closed(): boolean {
    return this.fd < 0;
  }

  /** Close the epoll fd (again: nothing). */
  close(): void {
    if (this.fd < 0) return;
    if (this.file.open && ownerOfFd(this.fd) === this.file) {
      this.file.open = false;
      this.file.pollster.close();
      releaseFd(this.fd);
    }
    this.fd = -1;
  }

  /** `using ep = new epoll()` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The epoll fd. @throws ValueError `I/O operation on closed epoll object`. */
  fileno(): number {
    this.checkOpen();
    return this.fd;
  }

  /** The epoll instance; raises what Python raises once this object, or the fd it names, is closed. */
  private checkOpen(): Poller<T | undefined> {
    if (this.fd < 0) throw new ValueError("I/O operation on closed epoll object");
    if (!this.file.open) throw fromErrno(errno.EBADF);
    return this.file.pollster;
  }

  /**
   * Watch `fd` for `eventmask` (`EPOLLIN | EPOLLPRI | EPOLLOUT` by default, with `EPOLLET`/`EPOLLONESHOT` if
   * wanted).
   * @throws OSError 9 (EBADF) when `fd` is not open; FileExistsError 17 when it is registered; PermissionError 1
   *   for a regular file; ValueError once closed, or for a negative fd; TypeError for a bad fd or mask.
   */
  register(fd: FileDescriptorLike, eventmask: number = EPOLLIN | EPOLLPRI | EPOLLOUT): void {
    this.registerWith(fd, eventmask, undefined);
  }

  /** @internal {@link register} with what a selector keeps for the fd. */
  registerWith(fd: FileDescriptorLike, eventmask: number, tag: T | undefined): void {
    const pollster = this.checkOpen();
    const n = fdOf(fd);
    const mask = uintMask(eventmask);
    const source = lookupFd(n);
    if (source === undefined) throw fromErrno(errno.EBADF);
    if (source.regularFile === true) {
      throw fromErrno(errno.EPERM).addNote(
        "epoll cannot watch a regular file (it is always ready): read it directly, or use poll().",
      );
    }
    // A file object closed while registered has left the set already (the kernel forgets it).
    if (pollster.get(n)?.source === source) throw fromErrno(errno.EEXIST);
    pollster.add(n, source, mask, tag);
  }

  /**
   * Change the events of a registered fd.
   * @throws FileNotFoundError 2 (ENOENT) when it is not registered; OSError 9 when it is not open; ValueError once
   *   closed.
   */
  modify(fd: FileDescriptorLike, eventmask: number): void {
    this.modifyWith(fd, eventmask, undefined);
  }

  /** @internal {@link modify} with what a selector keeps for the fd. */
  modifyWith(fd: FileDescriptorLike, eventmask: number, tag: T | undefined): void {
    const pollster = this.checkOpen();
    const n = fdOf(fd);
    const mask = uintMask(eventmask);
    const source = lookupFd(n);
    if (source === undefined) throw fromErrno(errno.EBADF);
    const interest = pollster.get(n);
    if (interest?.source !== source) throw fromErrno(errno.ENOENT);
    pollster.modify(interest, mask, tag);
  }

  /**
   * Stop watching `fd`.
   * @throws FileNotFoundError 2 (ENOENT) when it is not registered; OSError 9 when it is not open (closed since it
   *   was registered, too); ValueError once closed.
   */
  unregister(fd: FileDescriptorLike): void {
    const pollster = this.checkOpen();
    const n = fdOf(fd);
    const source = lookupFd(n);
    if (source === undefined) throw fromErrno(errno.EBADF);
    const interest = pollster.get(n);
    if (interest?.source !== source) throw fromErrno(errno.ENOENT);
    pollster.remove(n);
  }

  /**
   * Wait until registered fds have events, or `timeout` seconds pass.
   * @param timeout seconds (rounded up to ms); `null`, omitted or negative: no limit; `0`: check and return.
   * @param maxevents at most this many results; `-1`: `FD_SETSIZE - 1`.
   * @returns `[fd, events]` for each fd with events (`[]` when the time is up).
   * @throws ValueError once closed, for NaN, or `maxevents must be greater than 0, got 0`; TypeError `timeout
   *   must be an integer or None`; OverflowError for a timeout too large; KeyboardInterrupt on Ctrl-C.
   */
  async poll(timeout?: number | null, maxevents = -1): Promise<[fd: number, events: number][]> {
    const pollster = this.checkOpen();
    const ms = pollTimeout(timeout, 1000);
    let max = integer(maxevents);
    if (max === -1) max = FD_SETSIZE - 1;
    else if (max <= 0) throw new ValueError(`maxevents must be greater than 0, got ${max}`);
    let n: number;
    try {
      n = await pollster.poll(ms, max);
    } catch (e) {
      throw raisedHere(e);
    }
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) out.push([pollster.ready[i]?.fd ?? -1, pollster.revents[i] ?? 0]);
    return out;
  }

  /**
   * @internal {@link poll} as a selector calls it: the timeout in whole ms (`null`: no limit); resolves with
   * `result(n)`, `n` fds being ready in {@link pollster}'s `ready` and `revents` (see `Poller.pollFor()`).
   * @throws ValueError once closed (at once).
   */
  pollInto<R>(ms: number | null, maxevents: number, result: (n: number) => R): Promise<R> {
    return this.checkOpen().pollFor(ms, maxevents, result);
  }

  /** @internal The interest set and the waiting. */
  get pollster(): Poller<T | undefined> {
    return this.file.pollster;
  }

  /** `<select.epoll object>`, as Python's repr without the address. */
  toString(): string {
    return "<select.epoll object>";
  }
}
