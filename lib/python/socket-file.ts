/**
 * `socket.makefile()`: a file over a socket, as Python's `SocketIO` inside `io.BufferedReader` /
 * `io.BufferedWriter` / `io.BufferedRWPair` / `io.TextIOWrapper` (Python 3.11, measured with python3):
 *
 * - `mode` is made of `r`, `w` and `b` (`'r'` by default); anything else is `ValueError("invalid mode 'x' (only r,
 *   w, b allowed)")`. With `b` the file reads and writes bytes, else text (`encoding` UTF-8 unless told; `\r\n`
 *   and `\r` read as `\n`).
 * - Reading: `read(n)` waits for `n` bytes or the end of the stream, `read()` for the end, `readline()` for a
 *   line (with its `\n`) or the end. The file keeps what it received beyond that for the next read (8192-byte
 *   reads). On a socket with a timeout a read that times out raises `TimeoutError('timed out')`, and every read
 *   after it `OSError('cannot read from timed out object')`. On a non-blocking socket a read with nothing there
 *   returns `null` (Python's `None`; `readline()` returns what it has).
 * - Writing: `write(b)` keeps bytes in the file's buffer (8192 bytes, sent when full) and returns their count;
 *   `flush()` sends them (`sendall`); `close()` flushes first.
 * - Closing: each file holds the socket open. `sock.close()` while files are open leaves the socket working
 *   (its `fileno()` unchanged) until the last of them is closed, and then closes it, as Python's `_io_refs` do.
 * - Blocking calls are awaited: `await f.readline()`, `await f.write(b)`, `await f.flush()`, `await f.close()`.
 * @module
 */
import { inspect } from "node:util";

import { OSError, TimeoutError, ValueError, errno } from "./errors.ts";
import { reprSymbol, type Reprable } from "./repr.ts";

/** What a file needs of a socket (either view of it). */
export interface FileSocket {
  /** Receive up to `bufsize` bytes (awaited in blocking mode). */
  recv(bufsize: number): Buffer | Promise<Buffer>;
  /** Send all of `data` (awaited in blocking mode). */
  sendall(data: Uint8Array): void | Promise<void>;
  /** The socket's fd. */
  fileno(): number;
  /** Close the socket. */
  close(): void;
}

/** makefile()'s options, as Python's keyword arguments. */
export interface MakefileOptions {
  /** Python's `buffering`: 0 (binary only) for the raw `SocketIO`; otherwise the buffer size (8192). */
  readonly buffering?: number | null;
  /** Text mode: the encoding (`'UTF-8'` unless told). */
  readonly encoding?: string | null;
}

const BUFFER_SIZE = 8192;

/** Per socket (its shared state object): how many files are open, and whether close() waits for them. */
const refs = new WeakMap<object, { count: number; closeWhenDone: boolean }>();

/**
 * `sock.close()`'s question: are files open on this socket? Then the close is put off until the last is closed
 * (`true`: do not close now).
 */
export function closeHeldByFiles(state: object): boolean {
  const held = refs.get(state);
  if (held === undefined || held.count === 0) return false;
  held.closeWhenDone = true;
  return true;
}

let nextId = 0x7f0000001000;
function fakeAddress(): string {
  nextId += 0x40;
  return `0x${nextId.toString(16)}`;
}

/** Python's `SocketIO`: the raw file, one `recv`/`sendall` per call. Base of the buffered files. */
export class SocketIO implements Reprable {
  private timedOut = false;
  private released = false;
  /** `close()` was called. */
  closed = false;
  private readonly address = fakeAddress();

  /** @internal */
  constructor(
    /** The socket the file reads and writes. */
    protected readonly sock: FileSocket,
    private readonly state: object,
    /** The mode: `'rb'`, `'wb'` or `'rwb'` (the text file's own is without `b`). */
    readonly mode: string,
  ) {
    const held = refs.get(state) ?? { count: 0, closeWhenDone: false };
    held.count++;
    refs.set(state, held);
  }

  /** The socket's fd, Python's `name`. */
  get name(): number {
    return this.sock.fileno();
  }

  /** Can it read (`r` in the mode)? @throws ValueError when closed. */
  readable(): boolean {
    this.checkClosed();
    return this.mode.includes("r");
  }

  /** Can it write (`w` in the mode)? @throws ValueError when closed. */
  writable(): boolean {
    this.checkClosed();
    return this.mode.includes("w");
  }

  /** A socket cannot seek: `false`. @throws ValueError when closed. */
  seekable(): boolean {
    this.checkClosed();
    return false;
  }

  /** The socket's fd. @throws ValueError when closed. */
  fileno(): number {
    this.checkClosed();
    return this.sock.fileno();
  }

  /**
   * One receive of at most `n` bytes: empty at the end of the stream, `null` when a non-blocking socket has
   * nothing.
   * @throws TimeoutError on a timeout, then OSError `cannot read from timed out object`; ValueError when closed.
   */
  async recvSome(n: number): Promise<Buffer | null> {
    this.checkClosed();
    if (this.timedOut) throw new OSError("cannot read from timed out object");
    try {
      return await this.sock.recv(n);
    } catch (e) {
      if (e instanceof TimeoutError) this.timedOut = true;
      else if (e instanceof OSError && e.errno === errno.EAGAIN) return null;
      throw e;
    }
  }

  /** Send all of `data`. @throws ValueError when closed. */
  async sendAll(data: Uint8Array): Promise<void> {
    this.checkClosed();
    await this.sock.sendall(data);
  }

  /** Close the file (not the socket, unless the socket was closed meanwhile and this was its last file). */
  close(): Promise<void> | void {
    this.release();
  }

  /** Mark the file closed and give the socket its reference back (closing it if it waits for that). */
  protected release(): void {
    if (this.released) return;
    this.released = true;
    this.closed = true;
    const held = refs.get(this.state);
    if (held === undefined) return;
    held.count--;
    if (held.count === 0 && held.closeWhenDone) {
      held.closeWhenDone = false;
      this.sock.close();
    }
  }

  /** @throws ValueError `I/O operation on closed file.` when closed. */
  protected checkClosed(): void {
    if (this.closed) throw new ValueError("I/O operation on closed file.");
  }

  /** `<socket.SocketIO object at 0x…>`. */
  [reprSymbol](): string {
    return `<socket.SocketIO object at ${this.address}>`;
  }

  /** `console.log(f)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

/** Python's `io.BufferedReader` / `BufferedWriter` / `BufferedRWPair` over a socket: bytes in, bytes out. */
export class SocketFile extends SocketIO {
  private readonly inbox: Buffer[] = [];
  private inboxBytes = 0;
  private ended = false;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;

  /** @internal */
  constructor(
    sock: FileSocket,
    state: object,
    mode: string,
    private readonly size = BUFFER_SIZE,
  ) {
    super(sock, state, mode);
  }

  /** Receive once into the inbox; `false` when nothing came (end of stream, or non-blocking and empty). */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const chunk = await this.recvSome(this.size);
    if (chunk === null) return false;
    if (chunk.length === 0) {
      this.ended = true;
      return false;
    }
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    return true;
  }

  private takeInbox(n: number): Buffer {
    const all = Buffer.concat(this.inbox, this.inboxBytes);
    const out = all.subarray(0, n);
    this.inbox.length = 0;
    this.inboxBytes = 0;
    if (n < all.length) {
      this.inbox.push(all.subarray(n));
      this.inboxBytes = all.length - n;
    }
    return Buffer.from(out);
  }

  /**
   * Read `n` bytes (fewer only at the end of the stream), or everything to the end when `n` is omitted or -1.
   * @returns the bytes, or `null` when a non-blocking socket had nothing.
   * @throws TimeoutError on a timeout; ValueError when closed.
   */
  async read(n = -1): Promise<Buffer | null> {
    this.checkClosed();
    if (!this.readable()) throw new OSError("File not open for reading");
    const want = n < 0 ? Infinity : n;
    while (this.inboxBytes < want) {
      if (!(await this.fill())) {
        if (this.inboxBytes === 0 && !this.ended && want > 0) return null;
        break;
      }
    }
    return this.takeInbox(Math.min(want, this.inboxBytes));
  }

  /**
   * Read a line, with its `\n`, or what is left at the end of the stream (empty at the end).
   * @throws TimeoutError on a timeout; ValueError when closed.
   */
  async readline(limit = -1): Promise<Buffer> {
    this.checkClosed();
    if (!this.readable()) throw new OSError("File not open for reading");
    for (;;) {
      const all = Buffer.concat(this.inbox, this.inboxBytes);
      const newline = all.indexOf(0x0a);
      if (newline >= 0 && (limit < 0 || newline < limit)) return this.takeInbox(newline + 1);
      if (limit >= 0 && all.length >= limit) return this.takeInbox(limit);
      if (!(await this.fill())) return this.takeInbox(this.inboxBytes);
    }
  }

  /** Read lines to the end of the stream. */
  async readlines(): Promise<Buffer[]> {
    const lines: Buffer[] = [];
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
    }
  }

  /**
   * Keep `data` in the buffer, sending the buffer when it is full; returns the count.
   * @throws ValueError when closed; the socket's error when a send fails.
   */
  async write(data: Uint8Array): Promise<number> {
    this.checkClosed();
    if (!this.writable()) throw new OSError("File not open for writing");
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`a bytes-like object is required, not '${typeof data}'`);
    }
    this.outbox.push(Buffer.from(data));
    this.outboxBytes += data.length;
    if (this.outboxBytes >= this.size) await this.flush();
    return data.length;
  }

  /** Send what the buffer holds. @throws ValueError when closed. */
  async flush(): Promise<void> {
    this.checkClosed();
    if (this.outboxBytes === 0) return;
    const data = Buffer.concat(this.outbox, this.outboxBytes);
    this.outbox = [];
    this.outboxBytes = 0;
    await this.sendAll(data);
  }

  /** Flush, then close the file (see the module's rules on the socket). */
  override async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.mode.includes("w") && this.outboxBytes > 0) await this.flush();
    } finally {
      this.release();
    }
  }

  /** `<_io.BufferedReader name=5>`, `<_io.BufferedWriter name=4>`, `<_io.BufferedRWPair object at 0x…>`. */
  override [reprSymbol](): string {
    const [reads, writes] = [this.mode.includes("r"), this.mode.includes("w")];
    if (reads && writes) return `<_io.BufferedRWPair object at 0x7f5302e9b1c0>`;
    return `<_io.Buffered${reads ? "Reader" : "Writer"} name=${String(this.name)}>`;
  }
}

/** Python's `io.TextIOWrapper` over a socket: text in, text out. */
export class SocketTextFile implements Reprable {
  /** @internal */
  constructor(
    private readonly file: SocketFile,
    /** The text's encoding (`'UTF-8'` unless told). */
    readonly encoding: string,
  ) {}

  private decode(data: Buffer): string {
    return new TextDecoder(this.encoding).decode(data).replace(/\r\n?/g, "\n");
  }

  /** The mode (`'r'`, `'w'`, `'rw'`). */
  get mode(): string {
    return this.file.mode.replace("b", "");
  }

  /** Is the file closed? */
  get closed(): boolean {
    return this.file.closed;
  }

  /** Read everything to the end (or `n` bytes' worth). */
  async read(n = -1): Promise<string | null> {
    const data = await this.file.read(n);
    return data === null ? null : this.decode(data);
  }

  /** Read a line, with its `\n`; `''` at the end. */
  async readline(): Promise<string> {
    return this.decode(await this.file.readline());
  }

  /** Write `text`; returns its length. */
  async write(text: string): Promise<number> {
    if (typeof text !== "string") {
      throw new TypeError(`write() argument must be str, not ${typeof text}`);
    }
    await this.file.write(Buffer.from(text, "utf8"));
    return text.length;
  }

  /** Send what is buffered. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Flush and close. */
  close(): Promise<void> {
    return this.file.close();
  }

  /** `<_io.TextIOWrapper name=5 mode='r' encoding='utf-8'>`. */
  [reprSymbol](): string {
    return `<_io.TextIOWrapper name=${String(this.file.name)} mode='${this.mode}' encoding='${this.encoding}'>`;
  }

  /** `console.log(f)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

/**
 * Python's `sock.makefile(mode, buffering, encoding=...)` (see the module's rules).
 * @param state the socket's shared state (both views of a socket share it), where open files are counted
 * @throws ValueError for a bad mode, or `unbuffered streams must be binary` for buffering 0 without `b`.
 */
export function makefile(
  sock: FileSocket,
  state: object,
  mode = "r",
  options: MakefileOptions = {},
): SocketFile | SocketTextFile | SocketIO {
  for (const c of mode) {
    if (c !== "r" && c !== "w" && c !== "b") {
      throw new ValueError(`invalid mode '${mode}' (only r, w, b allowed)`);
    }
  }
  const reading = mode.includes("r") || !mode.includes("w");
  const writing = mode.includes("w");
  const raw = `${reading ? "r" : ""}${writing ? "w" : ""}b`;
  const binary = mode.includes("b");
  if (options.buffering === 0) {
    if (!binary) throw new ValueError("unbuffered streams must be binary");
    return new SocketIO(sock, state, raw);
  }
  const size =
    options.buffering === undefined || options.buffering === null || options.buffering < 0
      ? BUFFER_SIZE
      : options.buffering;
  const file = new SocketFile(sock, state, raw, size);
  return binary ? file : new SocketTextFile(file, options.encoding ?? "UTF-8");
}
