/**
 * The part of Python's `os` module that selectors meet: `pipe()`, `read()`, `write()`, `close()`, `open()` and
 * `dup2()` on the file descriptors of `fd.ts`.
 *
 * Rules (Linux's, as Python shows them):
 *
 * - **Pipes.** `pipe()` returns `[r, w]`, the lowest two free fds. A pipe holds at most {@link PIPE_CAPACITY}
 *   (64 KiB) unread bytes. The read end is readable while bytes are waiting or once the write end is closed
 *   (then `read()` returns an empty Buffer: end of file). The write end is writable while there is room. A write
 *   of at most {@link PIPE_BUF} (4096) bytes is atomic: all of it or `BlockingIOError`; a longer one takes what
 *   fits. Writing when the read end is closed raises `BrokenPipeError` (errno 32: Python ignores SIGPIPE). A
 *   closed peer end is a hang-up, which epoll reports as readable and writable.
 * - **Nothing waits.** JavaScript cannot block, so where Python's blocking `os.read`/`os.write` would wait (an
 *   empty pipe whose write end is open, a full pipe), these raise `BlockingIOError` (errno 11) at once, as after
 *   `os.set_blocking(fd, False)`. Wait for readiness with a selector first.
 * - **Regular files.** `open(path, flags)` opens a file as `os.open` does; `poll` and `select` report a regular
 *   file always ready, and `EpollSelector.register()` refuses it with `PermissionError: [Errno 1] Operation not
 *   permitted`, as `epoll_ctl(2)` does.
 * - **Errors**: an fd that is not open raises `OSError: [Errno 9] Bad file descriptor`; reading the write end or
 *   writing the read end raises the same, as Linux does.
 *
 * The pipe lives in this process (Node has no `pipe(2)`), like our file descriptors: it is for one program that
 * waits on a pipe and sockets at once, not for another process.
 *
 * @example
 * ```ts
 * const [r, w] = os.pipe();
 * sel.register(r, EVENT_READ);
 * os.write(w, Buffer.from("wake up"));
 * await sel.select(); // [[key of r, EVENT_READ]]
 * os.read(r, 1024); // <Buffer 77 61 6b 65 20 75 70>
 * ```
 * @module
 */
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";

import { OSError, ValueError, errno, fromErrno, fromNodeError } from "./errors.ts";
import {
  HANGUP,
  READABLE,
  WRITABLE,
  Watchers,
  allocateFd,
  allocateFdAt,
  ownerOfFd,
  releaseFd,
  type Selectable,
  type Watcher,
} from "../kernel/fd.ts";

/** How many unread bytes a pipe holds (Linux's default pipe capacity). */
export const PIPE_CAPACITY = 65536;
/** Writes of at most this many bytes to a pipe are atomic (`PIPE_BUF`). */
export const PIPE_BUF = 4096;

/** `open()` flag: read only. */
export const O_RDONLY = fsConstants.O_RDONLY;
/** `open()` flag: write only. */
export const O_WRONLY = fsConstants.O_WRONLY;
/** `open()` flag: read and write. */
export const O_RDWR = fsConstants.O_RDWR;
/** `open()` flag: create the file if it does not exist. */
export const O_CREAT = fsConstants.O_CREAT;
/** `open()` flag: truncate the file to length 0. */
export const O_TRUNC = fsConstants.O_TRUNC;
/** `open()` flag: every write appends. */
export const O_APPEND = fsConstants.O_APPEND;

const EMPTY = Buffer.alloc(0);

/** Something `close(fd)` can close: everything in the fd table that we open (sockets, pipes, files, ...). */
interface Closable {
  close(): void;
}

function isClosable(owner: object): owner is Closable {
  return "close" in owner && typeof owner.close === "function";
}

/** The bytes in a pipe, and which of its ends are open. */
class PipeBuffer {
  readonly chunks: Buffer[] = [];
  size = 0;
  readonly reader: PipeEnd;
  readonly writer: PipeEnd;

  constructor() {
    this.reader = new PipeEnd(this, true);
    this.writer = new PipeEnd(this, false);
  }

  /** Take `n` bytes or all there are: a view when the first chunk holds them, else a copy. */
  take(n: number): Buffer {
    const count = Math.min(n, this.size);
    this.size -= count;
    const first = this.chunks[0] ?? EMPTY;
    if (first.length >= count) {
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0] ?? EMPTY;
      const part = Math.min(chunk.length, count - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}

/** One end of a pipe: a {@link Selectable} at its fd. */
class PipeEnd implements Selectable, Closable {
  fd = -1;
  open = true;
  readonly watchers = new Watchers();

  constructor(
    readonly pipe: PipeBuffer,
    readonly reading: boolean,
  ) {}

  fileno(): number {
    return this.fd;
  }

  readiness(): number {
    if (!this.open) return 0;
    const pipe = this.pipe;
    if (this.reading) {
      if (!pipe.writer.open) return READABLE | WRITABLE | HANGUP;
      return pipe.size > 0 ? READABLE : 0;
    }
    if (!pipe.reader.open) return READABLE | WRITABLE | HANGUP;
    return pipe.size < PIPE_CAPACITY ? WRITABLE : 0;
  }

  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  read(n: number): Buffer {
    if (!this.reading) throw fromErrno(errno.EBADF);
    const pipe = this.pipe;
    if (pipe.size === 0) {
      if (!pipe.writer.open || n === 0) return EMPTY;
      throw wouldBlock("os.read()", "the pipe is empty");
    }
    const data = pipe.take(n);
    pipe.writer.watchers.notify();
    this.watchers.notify();
    return data;
  }

  write(data: Uint8Array): number {
    if (this.reading) throw fromErrno(errno.EBADF);
    const pipe = this.pipe;
    if (!pipe.reader.open) throw fromErrno(errno.EPIPE);
    if (data.length === 0) return 0;
    const room = PIPE_CAPACITY - pipe.size;
    if (room === 0 || (data.length <= PIPE_BUF && room < data.length)) {
      throw wouldBlock("os.write()", "the pipe is full");
    }
    const count = Math.min(room, data.length);
    // Like the kernel, copy what is taken: the caller may reuse its buffer.
    pipe.chunks.push(Buffer.from(data.subarray(0, count)));
    pipe.size += count;
    pipe.reader.watchers.notify();
    this.watchers.notify();
    return count;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    releaseFd(this.fd);
    this.fd = -1;
    if (this.reading) {
      // Unread bytes are gone with the last reader.
      this.pipe.chunks.length = 0;
      this.pipe.size = 0;
    }
    this.watchers.notify();
    (this.reading ? this.pipe.writer : this.pipe.reader).watchers.notify();
  }
}

/** A regular file opened with {@link open}: always ready for poll and select, refused by epoll. */
class RegularFile implements Selectable, Closable {
  readonly regularFile = true;
  fd = -1;

  constructor(readonly realFd: number) {}

  fileno(): number {
    return this.fd;
  }

  readiness(): number {
    return this.fd < 0 ? 0 : READABLE | WRITABLE;
  }

  watch(): void {
    // always ready: nothing ever changes
  }

  unwatch(): void {
    // nothing to forget
  }

  read(n: number): Buffer {
    const buffer = Buffer.allocUnsafe(n);
    const count = readSync(this.realFd, buffer, 0, n, null);
    return buffer.subarray(0, count);
  }

  write(data: Uint8Array): number {
    return writeSync(this.realFd, data);
  }

  close(): void {
    if (this.fd < 0) return;
    releaseFd(this.fd);
    this.fd = -1;
    closeSync(this.realFd);
  }
}

/** A second fd for an open file object (`dup2()`): the same readiness; closing it closes only this number. */
class Duplicate implements Selectable, Closable {
  constructor(
    readonly fd: number,
    readonly target: object,
  ) {}

  fileno(): number {
    return this.fd;
  }

  readiness(): number {
    return isSelectable(this.target) ? this.target.readiness() : 0;
  }

  watch(watcher: Watcher): void {
    if (isSelectable(this.target)) this.target.watch(watcher);
  }

  unwatch(watcher: Watcher): void {
    if (isSelectable(this.target)) this.target.unwatch(watcher);
  }

  close(): void {
    releaseFd(this.fd);
  }
}

function isSelectable(owner: object): owner is Selectable {
  return "readiness" in owner && "watch" in owner;
}

function wouldBlock(call: string, why: string): OSError {
  return fromErrno(errno.EAGAIN).addNote(
    `${call} cannot wait in JavaScript (${why}): wait until a selector reports the fd ready, then call it.`,
  );
}

function ownerOf(fd: number): object {
  if (!Number.isInteger(fd))
    throw new TypeError(`'${typeof fd}' object cannot be interpreted as an integer`);
  const owner = ownerOfFd(fd);
  if (owner === undefined) throw fromErrno(errno.EBADF);
  return owner;
}

/**
 * Python's `os.pipe()`: a new pipe, as `[readFd, writeFd]`.
 * @example `const [r, w] = os.pipe();`
 */
export function pipe(): [number, number] {
  const buffer = new PipeBuffer();
  buffer.reader.fd = allocateFd(buffer.reader);
  buffer.writer.fd = allocateFd(buffer.writer);
  return [buffer.reader.fd, buffer.writer.fd];
}

/**
 * Python's `os.read(fd, n)`: at most `n` bytes; an empty Buffer at end of file.
 * @throws BlockingIOError (11) when a pipe is empty and its write end open; OSError 9 for an fd that is not
 *   open or not readable; ValueError for a negative `n`.
 */
export function read(fd: number, n: number): Buffer {
  if (n < 0) throw new ValueError("negative length");
  const owner = ownerOf(fd);
  const target = owner instanceof Duplicate ? owner.target : owner;
  if (target instanceof PipeEnd || target instanceof RegularFile) return target.read(n);
  throw fromErrno(errno.EBADF).addNote(
    "os.read() reads pipes and files here; read a socket with its recv().",
  );
}

/**
 * Python's `os.write(fd, data)`: how many bytes were taken.
 * @throws BlockingIOError (11) when a pipe has no room (see the module rules); BrokenPipeError (32) when its read
 *   end is closed; OSError 9 for an fd that is not open or not writable.
 */
export function write(fd: number, data: Uint8Array): number {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${typeof data}'`);
  }
  const owner = ownerOf(fd);
  const target = owner instanceof Duplicate ? owner.target : owner;
  if (target instanceof PipeEnd || target instanceof RegularFile) return target.write(data);
  throw fromErrno(errno.EBADF).addNote(
    "os.write() writes pipes and files here; write a socket with its send().",
  );
}

/**
 * Python's `os.close(fd)`: close whatever is open at `fd` (a pipe end, a file, a socket, a selector, standard
 * input). A socket closed this way is closed as by its own `close()`.
 * @throws OSError 9 when `fd` is not open.
 */
export function close(fd: number): void {
  const owner = ownerOf(fd);
  if (isClosable(owner)) owner.close();
  else releaseFd(fd);
}

/**
 * Python's `os.open(path, flags, mode)`: open a file; returns its fd.
 * @throws FileNotFoundError (2), PermissionError (13), ... as the OS reports them.
 */
export function open(path: string, flags: number, mode = 0o777): number {
  let realFd: number;
  try {
    realFd = openSync(path, flags, mode);
  } catch (e) {
    throw fromNodeError(e);
  }
  if (!fstatSync(realFd).isFile()) {
    closeSync(realFd);
    throw fromErrno(errno.EINVAL).addNote("os.open() here opens regular files only.");
  }
  const file = new RegularFile(realFd);
  file.fd = allocateFd(file);
  return file.fd;
}

/**
 * Python's `os.dup2(fd, fd2)`: make `fd2` refer to what `fd` refers to (closing what `fd2` held first).
 * @returns `fd2`.
 * @throws OSError 9 when `fd` is not open.
 */
export function dup2(fd: number, fd2: number): number {
  const owner = ownerOf(fd);
  if (fd === fd2) return fd2;
  const held = ownerOfFd(fd2);
  if (held !== undefined) close(fd2);
  const target = owner instanceof Duplicate ? owner.target : owner;
  allocateFdAt(fd2, new Duplicate(fd2, target));
  return fd2;
}
