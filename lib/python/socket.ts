/**
 * Python's `socket` module on top of `node:net`, or of an in-memory network in tests (the wire is `wire.ts`'s
 * business: this module is the kernel's part, buffers, readiness, errno and states).
 *
 * `socket(family, type)` makes a socket in **blocking mode**, as Python does. JavaScript cannot block, so in
 * blocking mode the calls that block in Python return Promises: `await s.accept()`, `await conn.recv(1024)`,
 * `await s.sendall(data)`, `await s.connect(addr)`. `setblocking(false)` returns the same socket typed as a
 * {@link NonBlockingSocket}, whose calls are synchronous and behave as Python's on Linux:
 *
 * - `recv(n)` returns 1..n buffered bytes, an empty Buffer at end of stream, or throws
 *   `BlockingIOError` (errno 11, EAGAIN) when nothing is buffered;
 * - `send(data)` takes what fits in the send buffer and returns the count (partial sends happen), or throws
 *   `BlockingIOError` when the buffer is full;
 * - `accept()` throws `BlockingIOError` when no connection is pending;
 * - `connectEx(addr)` returns 115 (EINPROGRESS); the outcome shows up as readiness, as `SO_ERROR`, and as the
 *   next `recv`/`send` (a refused connection raises `ConnectionRefusedError`, errno 111, once).
 *
 * Like a kernel socket, each socket buffers at most `SO_RCVBUF` bytes (256 KiB) received but not yet read; beyond
 * that it stops reading from the network until the program calls `recv`, so a peer cannot grow our memory. It
 * also holds at most `SO_SNDBUF` bytes (256 KiB) sent but not yet written to the network, and that decides
 * writability. A pending error is reported once, as in Python: by `recv`, `send`, `connectEx` or
 * `getsockopt(SOL_SOCKET, SO_ERROR)`, whichever comes first.
 *
 * The send buffer also does the part of Nagle's algorithm: a non-blocking socket gathers the sends of one
 * `select()` turn and writes them at once (before `select()` waits, when 64 KiB is gathered, or after 1 ms at the
 * latest). The real socket below runs with Nagle's algorithm off from its second write on, so the two do not
 * add up (Nagle below our gathered writes would hold each one's tail until the peer's delayed ACK).
 * `setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)` writes each send at once; `getsockopt` reports the option as the
 * program set it (0 by default, as in Python).
 *
 * Differences that Node forces (the side-by-side guide explains each): `listen()` is where Node binds, so a
 * blocking socket's `listen()` is awaited and raises the bind errors (`[Errno 98] Address already in use`);
 * `getsockname()` before `listen()` shows the port as given (0 stays 0); `socketpair()` is awaited; file
 * descriptors are numbered by us (see `fd.ts`).
 *
 * @example
 * ```ts
 * import * as socket from "selectors-ts/lib/socket.ts";
 * using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * s.bind(["127.0.0.1", 0]);
 * await s.listen();
 * const [conn, addr] = await s.accept();
 * ```
 * @module
 */
import { inspect } from "node:util";
import { lookup } from "node:dns";
import * as net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  type KeyboardInterrupt,
  OSError,
  OverflowError,
  TimeoutError,
  ValueError,
  errno,
  fromErrno,
  fromNodeError,
  errnoOf,
  raisedHere,
} from "./errors.ts";
import {
  HANGUP,
  READABLE,
  WRITABLE,
  Watchers,
  allocateFd,
  queueFlush,
  releaseFd,
  type Flushable,
  type Selectable,
  type Watcher,
} from "../kernel/fd.ts";
import {
  listenForSigint,
  startWaiting,
  stopWaiting,
  type Interruptible,
} from "./keyboard-interrupt.ts";
import { repr, reprSymbol, type Reprable } from "./repr.ts";
import { defaultWire, type Wire, type WireServer, type WireStream } from "../transport/wire.ts";

/**
 * The socket module's exceptions, under Python's names: `socket.error` is `OSError` and `socket.timeout` is
 * `TimeoutError`, as in Python 3.10 on; `socket.gaierror` and `socket.herror` are OSError's subclasses.
 */
export { OSError as error, TimeoutError as timeout, gaierror, herror } from "./errors.ts";

/** Address family: Unix domain sockets (a filesystem path). */
export const AF_UNIX = 1;
/** Address family: IPv4, addresses `[host, port]`. */
export const AF_INET = 2;
/** Address family: IPv6, addresses `[host, port, flowinfo, scopeId]`. */
export const AF_INET6 = 10;
/** Socket type: a byte stream (TCP). The only type we emulate. */
export const SOCK_STREAM = 1;
/** `setsockopt`/`getsockopt` level for socket options. */
export const SOL_SOCKET = 1;
/** Option: allow binding an address in TIME_WAIT. Node always sets it on listeners; we record the value. */
export const SO_REUSEADDR = 2;
/** Option (read only): the pending error, reported once, then 0. */
export const SO_ERROR = 4;
/** Option: the send buffer size in bytes (decides writability and partial sends). */
export const SO_SNDBUF = 7;
/** Option: the receive buffer size in bytes (unread data beyond it stops reading from the network). */
export const SO_RCVBUF = 8;
/** Option: TCP keep-alive probes. */
export const SO_KEEPALIVE = 9;
/** `setsockopt`/`getsockopt` level for TCP options. */
export const IPPROTO_TCP = 6;
/** TCP option: disable Nagle's algorithm. */
export const TCP_NODELAY = 1;
/** `shutdown()`: no more receives. */
export const SHUT_RD = 0;
/** `shutdown()`: no more sends (the peer sees end of stream). */
export const SHUT_WR = 1;
/** `shutdown()`: both. */
export const SHUT_RDWR = 2;

/** An IPv4 address, as Python writes it: `('127.0.0.1', 65432)`. */
export type InetAddress = readonly [host: string, port: number];
/** An IPv6 address, as Python gives it: `('::1', 65432, 0, 0)` (host, port, flowinfo, scope id). */
export type Inet6Address = readonly [host: string, port: number, flowinfo: number, scopeId: number];
/** A Unix domain socket address: a path, or `''` when unnamed. */
export type UnixAddress = string;
/** Any socket address. */
export type Address = InetAddress | Inet6Address | UnixAddress;

/** getaddrinfo()'s EAI_ADDRFAMILY, as Python's `socket.gaierror` numbers it. */
const EAI_ADDRFAMILY = -9;
/** The largest C int. */
const INT_MAX = 0x7fffffff;
/** Past the largest timeout Python takes, in nanoseconds (a signed 64-bit count). */
const MAX_NANOSECONDS = 2 ** 63;
/** The timeout new sockets get: `setdefaulttimeout()`. */
let defaultTimeout: number | null = null;
/** Most output gathered from several send()s before it is handed to Node in one write. */
const GATHER_LIMIT = 64 * 1024;
/** A write no longer than this fits in one TCP segment on any network (IPv6's smallest MTU is 1280). */
const ONE_SEGMENT = 1024;
/** Default receive and send buffer sizes, in bytes. */
const DEFAULT_BUFFER = 256 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);
/** The `pending` of every socket that is not listening: always empty. */
const NO_CONNECTIONS: SocketCore[] = [];
/** Node's longest timer; a waiting call with no timeout re-arms it to stay alive, as a blocking call does. */
const FOREVER_MS = 0x7fffffff;

/**
 * `fresh`: made, maybe bound; `listening`; `connecting`: connect under way; `connected`: a connection, or a
 * failed one (`hangup` set); `closed`.
 */
type State = "fresh" | "listening" | "connecting" | "connected" | "closed";

/**
 * What both views of a socket share: the state, the buffers, the Node objects. Internal; programs hold a
 * {@link BlockingSocket} or a {@link NonBlockingSocket}.
 */
class SocketCore implements Selectable, Flushable {
  fd = -1;
  state: State = "fresh";
  /** Seconds; `null` = blocking without limit, `0` = non-blocking. */
  timeout: number | null = null;
  readonly watchers = new Watchers();

  bound: NormalizedAddress | null = null;
  server: WireServer | null = null;
  /** A listening socket's connections not yet accepted (its own array from `listen()` on). */
  pending: SocketCore[] = NO_CONNECTIONS;

  stream: WireStream | null = null;
  /** Received, not yet read: chunks, with `head` bytes of the first already taken. */
  private readonly chunks: Buffer[] = [];
  private head = 0;
  buffered = 0;
  private paused = false;
  /** The peer ended its side (or we shut down reading). */
  eof = false;
  /** A pending error (errno), reported once by recv/send/connectEx/SO_ERROR. */
  pendingErrno: number | null = null;
  /** An error happened on this connection (epoll's ERR|HUP): readable and writable from now on. */
  hangup = false;
  /** We shut down writing, or the connection broke: send raises EPIPE. */
  writeShut = false;
  /** A completed connect was already reported by connect/connectEx. */
  connectReported = false;
  /** Accepted by send(), not yet handed to Node: the first `queuedBytes` bytes of `queued` (see enqueue). */
  private queued: Buffer = EMPTY;
  private queuedBytes = 0;
  /** Bytes handed to Node and not yet written by it (its `writableLength`, read when it changes). */
  private inNode = 0;
  /** Sent bytes are still queued in Node: the stream is ref'd until they are written. */
  private flushing = false;
  /** Set when a send left no room: the next write completion may make the socket writable again. */
  private sendBlocked = false;
  /** Unix sockets from socketpair() have no name. */
  unnamed = false;
  /** AF_UNIX: the path this socket connected to, its peer's name (`getpeername()`). */
  peerPath = "";

  rcvbuf = DEFAULT_BUFFER;
  sndbuf = DEFAULT_BUFFER;
  reuseaddr = 0;
  keepalive = 0;
  nodelay = 0;

  private blockingView: BlockingSocket | null = null;
  private nonBlockingView: NonBlockingSocket | null = null;
  /** Node's callback for our writes (see {@link written}), made at the first write. */
  private onWritten: (() => void) | null = null;
  /** Has this connection written before? (See {@link flushQueued} on Nagle.) */
  private wrote = false;
  /** Nagle's algorithm is off in the real socket. */
  private nagleOff = false;

  constructor(
    readonly family: number,
    readonly type: number,
    readonly proto = 0,
    /** What carries the bytes: `node:net`, or a memory network (see `wire.ts`). */
    readonly wire: Wire = defaultWire(),
  ) {}

  // Views

  blocking(): BlockingSocket {
    return (this.blockingView ??= new BlockingSocket(this));
  }

  nonBlocking(): NonBlockingSocket {
    return (this.nonBlockingView ??= new NonBlockingSocket(this));
  }

  /** Give the socket its fd and the module's default timeout (`setdefaulttimeout()`), as a new socket gets. */
  open(): void {
    this.fd = allocateFd(this);
    this.timeout = defaultTimeout;
  }

  // Selectable

  fileno(): number {
    return this.fd;
  }

  readiness(): number {
    // A selector asks this of every ready key on every select(): the common case comes first.
    switch (this.state) {
      case "connected": {
        if (this.hangup) return READABLE | WRITABLE | HANGUP;
        let bits = this.buffered > 0 || this.eof ? READABLE : 0;
        if (this.writeShut || this.queuedBytes + this.inNode < this.sndbuf) bits |= WRITABLE;
        return bits;
      }
      case "listening":
        return this.pending.length > 0 || this.pendingErrno !== null ? READABLE : 0;
      case "fresh":
        // Linux reports a never-connected TCP socket as OUT|HUP.
        return READABLE | WRITABLE | HANGUP;
      case "closed":
      case "connecting":
        return 0;
    }
  }

  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  // Node events

  attach(stream: WireStream): void {
    this.stream = stream;
    (stream as OwnedStream)[owner] = this;
    // An open socket does not keep a program alive, as in Python: only waiting does (select(), a blocking call),
    // and bytes still on their way out (see `sendNow`).
    stream.unref();
    // The listeners are shared by every socket: each finds its SocketCore on the stream.
    stream.on("data", onStreamData);
    stream.on("end", onStreamEnd);
    stream.on("error", onStreamError);
    stream.on("close", onStreamClose);
  }

  received(chunk: Buffer): void {
    if (this.state === "closed" || this.eof) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= this.rcvbuf && !this.paused) {
      this.paused = true;
      this.stream?.pause();
    }
    this.watchers.notify();
  }

  ended(): void {
    this.eof = true;
    this.watchers.notify();
  }

  failed(err: Error): void {
    if (this.state === "closed") return;
    // A failed connect leaves a connection in error: readable and writable (epoll's ERR|HUP).
    if (this.state === "connecting") this.state = "connected";
    this.pendingErrno = errnoOf(err) ?? errno.EIO;
    this.hangup = true;
    this.writeShut = true;
    this.watchers.notify();
  }

  connected(): void {
    if (this.state === "connecting") this.state = "connected";
    this.watchers.notify();
  }

  /** Turn Nagle's algorithm off in the real socket (see {@link flushQueued}). */
  turnNagleOff(): void {
    if (this.nagleOff || this.stream === null) return;
    this.stream.setNoDelay(true);
    this.nagleOff = true;
  }

  /** Node wrote (or dropped) one of our writes. */
  written(): void {
    this.inNode = this.stream?.writableLength ?? 0;
    if (this.flushing && this.outstanding() === 0) {
      this.flushing = false;
      if (this.state !== "closed") this.stream?.unref();
    }
    if (this.sendBlocked && this.outstanding() < this.sndbuf) {
      this.sendBlocked = false;
      this.watchers.notify();
    }
  }

  // Buffers

  /** Bytes sent by the program and not yet written to the network: the used part of the send buffer. */
  outstanding(): number {
    return this.queuedBytes + this.inNode;
  }

  /**
   * Hand the queued output to Node in one write. Unless `force`, keep gathering while the program still has input
   * to read from this socket (its next `send()` is probably coming) and less than {@link GATHER_LIMIT} is queued.
   * @returns whether output is still queued.
   */
  flushQueued(force: boolean): boolean {
    const count = this.queuedBytes;
    if (count === 0) return false;
    if (!force && this.buffered > 0 && count < GATHER_LIMIT && this.state === "connected")
      return true;
    const queued = this.queued;
    const chunk = count === queued.length ? queued : queued.subarray(0, count);
    this.queued = EMPTY;
    this.queuedBytes = 0;
    const stream = this.stream;
    if (stream === null) return false;
    if (!this.nagleOff) {
      // Our send buffer plays the kernel's part, Nagle's algorithm included: it gathers one turn's sends into one
      // write. Nagle in the real socket below as well would hold the tail of each gathered write until the peer's
      // delayed ACK (up to 40 ms on Linux). A connection's first write, if it fits in one segment, finds nothing
      // unacknowledged and goes out at once: the option (a system call) waits for a second write.
      if (this.wrote || chunk.length > ONE_SEGMENT) this.turnNagleOff();
      this.wrote = true;
    }
    stream.write(chunk, (this.onWritten ??= this.written.bind(this)));
    this.inNode = stream.writableLength;
    if (!this.flushing && this.inNode > 0) {
      // Like the kernel, finish sending what send() accepted even if the program ends now.
      this.flushing = true;
      stream.ref();
    }
    return false;
  }

  /**
   * Copy `bytes` into the send queue. A lone send gets an exact copy; a second one before the flush moves the
   * queue to a buffer with room for more, which later sends fill.
   */
  private enqueue(bytes: Uint8Array): void {
    const used = this.queuedBytes;
    const needed = used + bytes.length;
    let queued = this.queued;
    if (used === 0) {
      queueFlush(this);
      queued = this.queued = Buffer.allocUnsafe(bytes.length);
    } else if (queued.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(GATHER_LIMIT, 8 * needed)));
      queued.copy(grown, 0, 0, used);
      queued = this.queued = grown;
    }
    queued.set(bytes, used);
    this.queuedBytes = needed;
  }

  /** Take `n` buffered bytes (n ≤ buffered): a view when one chunk holds them, else a copy. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return EMPTY;
    let out: Buffer;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0];
        if (chunk === undefined) break;
        const count = Math.min(chunk.length - this.head, n - filled);
        chunk.copy(out, filled, this.head, this.head + count);
        filled += count;
        this.head += count;
        if (this.head === chunk.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.buffered -= n;
    if (this.paused && this.buffered < this.rcvbuf) {
      this.paused = false;
      this.stream?.resume();
    }
    return out;
  }

  /** Drop unread data (after SHUT_RD or close). */
  discard(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.buffered = 0;
  }

  /** Report the pending error, once. */
  takeError(): OSError | null {
    const code = this.pendingErrno;
    if (code === null) return null;
    this.pendingErrno = null;
    return explained(code);
  }

  // Non-blocking operations (also the second half of every blocking one)

  checkOpen(): void {
    if (this.state === "closed") throw explained(errno.EBADF);
  }

  recvNow(bufsize: number): Buffer {
    if (bufsize < 0) throw new ValueError("negative buffersize in recv");
    this.checkOpen();
    if (this.state === "fresh" || this.state === "listening") {
      throw fromErrno(errno.ENOTCONN).addNote(
        "recv() reads from a connected socket: connect() this one, or recv() on the socket accept() returned.",
      );
    }
    if (this.buffered > 0)
      return bufsize === 0 ? EMPTY : this.take(Math.min(bufsize, this.buffered));
    const error = this.takeError();
    if (error) throw error;
    if (this.eof || this.hangup || bufsize === 0) return EMPTY;
    throw fromErrno(errno.EAGAIN);
  }

  sendNow(data: Uint8Array): number {
    checkBytes(data);
    this.checkOpen();
    const error = this.takeError();
    if (error) throw error;
    if (this.state === "fresh" || this.state === "listening") throw fromErrno(errno.EPIPE);
    if (this.state === "connecting") throw fromErrno(errno.EAGAIN);
    if (this.writeShut) throw fromErrno(errno.EPIPE);
    if (data.length === 0) return 0;
    let room = this.sndbuf - this.outstanding();
    if (room < data.length && this.queuedBytes > 0) {
      // Before refusing bytes, hand what was gathered to the network: only what Node still holds counts as full.
      this.flushQueued(true);
      room = this.sndbuf - this.outstanding();
    }
    if (room <= 0) {
      this.sendBlocked = true;
      throw fromErrno(errno.EAGAIN);
    }
    const count = Math.min(room, data.length);
    // The kernel copies what send() accepts; so do we, so the caller may reuse its buffer. Like the kernel, we
    // may gather several sends into one write (see flushQueued).
    this.enqueue(count === data.length ? data : data.subarray(0, count));
    if (this.timeout !== 0 || this.nodelay !== 0 || this.queuedBytes >= GATHER_LIMIT) {
      this.flushQueued(true);
    }
    if (this.outstanding() >= this.sndbuf) this.sendBlocked = true;
    return count;
  }

  /**
   * The peer's address, for accept() to return. Node's accept does not give it, so it is asked of the socket
   * (getpeername(2)) when the program accepts the connection, not when the connection arrives (asked then, while
   * the peer's first bytes come in, it costs a busy server much more). A connection that the peer reset before
   * accept() has no address left to ask: accept() then returns the family's any-address, `('0.0.0.0', 0)`, where
   * Linux would give the address the connection came from.
   */
  peerOnAccept(): Address {
    if (this.family === AF_UNIX) return "";
    const stream = this.stream;
    const host = stream?.remoteAddress;
    const port = stream?.remotePort;
    return host !== undefined && port !== undefined
      ? format(this.family, host, port)
      : anyAddressOf(this.family);
  }

  acceptNow(): [BlockingSocket, Address] {
    this.checkOpen();
    if (this.state !== "listening") throw fromErrno(errno.EINVAL);
    const error = this.takeError();
    if (error) throw error;
    const conn = this.pending.shift();
    if (conn === undefined) throw fromErrno(errno.EAGAIN);
    conn.open();
    return [conn.blocking(), conn.peerOnAccept()];
  }

  /**
   * Start connecting; returns the errno Python's connect_ex would return (9 on a closed socket).
   * @throws TypeError / OverflowError for a bad address, before anything else, as Python parses it first.
   */
  connectNow(address: Address, fn: string): number {
    const target = normalize(this.family, address, fn);
    switch (this.state) {
      case "closed":
        return errno.EBADF;
      case "listening":
        return errno.EISCONN;
      case "connecting":
        return errno.EALREADY;
      case "connected": {
        const error = this.takeError();
        if (error) return error.errno ?? errno.EIO;
        if (this.hangup) {
          // The last attempt failed and its error was reported: start a new one, as Linux does.
          this.resetConnection();
          break;
        }
        if (!this.connectReported) {
          this.connectReported = true;
          return 0;
        }
        return errno.EISCONN;
      }
      case "fresh":
        break;
    }
    this.state = "connecting";
    if (target.kind === "unix") this.peerPath = target.path;
    const stream: WireStream =
      target.kind === "unix"
        ? this.wire.connect({ path: target.path, allowHalfOpen: true })
        : this.wire.connect({
            host: target.host,
            port: target.port,
            allowHalfOpen: true,
            family: this.family === AF_INET6 ? 6 : 4,
            ...(this.bound?.kind === "inet"
              ? { localAddress: this.bound.host, localPort: this.bound.port }
              : {}),
          });
    this.attach(stream);
    if (this.nodelay !== 0) this.turnNagleOff();
    stream.once("connect", onStreamConnect);
    if (this.keepalive) stream.setKeepAlive(true);
    return errno.EINPROGRESS;
  }

  private resetConnection(): void {
    this.stream?.destroy();
    this.stream = null;
    this.discard();
    this.eof = false;
    this.hangup = false;
    this.writeShut = false;
    this.connectReported = false;
    this.paused = false;
    this.wrote = false;
    this.nagleOff = false;
    this.inNode = 0;
  }

  /**
   * The result of a connect, for a blocking connect(): 0, the error's errno, or 115 (EINPROGRESS) when it is
   * still under way (timeout 0 does not wait).
   */
  connectResult(): number {
    if (this.state === "connecting") return errno.EINPROGRESS;
    if (this.state === "connected" && !this.hangup) {
      this.connectReported = true;
      return 0;
    }
    const error = this.takeError();
    return error?.errno ?? errno.ECONNREFUSED;
  }

  /**
   * Start listening. `onDone` (blocking mode) hears the outcome; without it a bind error becomes the pending
   * error, and the socket readable.
   */
  listenNow(backlog: number | undefined, onDone?: (error: OSError | null) => void): void {
    let report = onDone;
    if (backlog !== undefined) {
      cInt(
        backlog,
        "signed integer is greater than maximum",
        "signed integer is less than minimum",
      );
    }
    this.checkOpen();
    if (this.state === "listening") return;
    if (this.state !== "fresh") throw fromErrno(errno.EINVAL);
    const server = this.wire.createServer({ allowHalfOpen: true });
    this.server = server;
    this.pending = [];
    this.state = "listening";
    server.on("connection", (stream: WireStream) => {
      if (this.state !== "listening") {
        stream.destroy();
        return;
      }
      const conn = new SocketCore(this.family, this.type, this.proto, this.wire);
      conn.state = "connected";
      // An accepted Unix socket is named after the listener (getsockname() gives its path).
      if (this.bound?.kind === "unix") conn.bound = this.bound;
      conn.connectReported = true;
      conn.rcvbuf = this.rcvbuf;
      conn.sndbuf = this.sndbuf;
      conn.attach(stream);
      conn.nodelay = this.nodelay;
      if (this.nodelay !== 0) conn.turnNagleOff();
      this.pending.push(conn);
      this.watchers.notify();
    });
    server.on("error", (err: Error) => {
      const error = fromNodeError(err);
      if (report) {
        report(error);
        report = undefined;
      } else {
        this.pendingErrno = error.errno ?? errno.EIO;
        this.watchers.notify();
      }
    });
    server.once("listening", () => {
      report?.(null);
      report = undefined;
    });
    const target = this.bound ?? anyAddress(this.family);
    // Python passes min(backlog, 128) by default; a negative backlog is 0, as Linux takes it.
    const options: net.ListenOptions = { backlog: Math.max(0, backlog ?? 128) };
    if (target.kind === "unix") options.path = target.path;
    else {
      options.host = target.host;
      options.port = target.port;
    }
    if (options.host !== undefined && net.isIP(options.host) === 0) {
      // Node would look a host name up in any family (`localhost` may give ::1 to an AF_INET socket): look it up
      // in the socket's own, as Python's bind() does (a name without an address there: gaierror -2).
      lookup(options.host, { family: this.family === AF_INET6 ? 6 : 4 }, (err, address) => {
        if (this.server !== server || this.state !== "listening") return; // closed meanwhile
        if (err) server.emit("error", err);
        else server.listen({ ...options, host: address });
      });
    } else server.listen(options);
    // A listening socket does not keep a program alive by itself (see `attach`).
    server.unref();
  }

  shutdownNow(how: number): void {
    cInt(
      how,
      "Python int too large to convert to C int",
      "Python int too large to convert to C int",
    );
    this.checkOpen();
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) throw fromErrno(errno.EINVAL);
    if (this.state !== "connected") throw fromErrno(errno.ENOTCONN);
    if (how !== SHUT_WR) {
      this.eof = true;
      this.discard();
    }
    if (how !== SHUT_RD && !this.writeShut) {
      this.flushQueued(true);
      this.writeShut = true;
      this.stream?.end();
    }
    this.watchers.notify();
  }

  close(): void {
    if (this.state === "closed") return;
    const unread = this.buffered > 0;
    this.state = "closed";
    if (this.fd >= 0) releaseFd(this.fd);
    this.fd = -1;
    this.discard();
    const stream = this.stream;
    if (stream) {
      // As the kernel does: unread data means a TCP peer gets a reset; otherwise what was sent still goes out.
      // Node can reset only TCP: an AF_UNIX peer sees end of stream (Linux gives it ECONNRESET once).
      if (unread && this.family !== AF_UNIX) stream.resetAndDestroy();
      else {
        this.flushQueued(true);
        stream.destroySoon();
      }
    }
    this.queued = EMPTY;
    this.queuedBytes = 0;
    if (this.server) {
      this.server.close();
      for (const conn of this.pending) abort(conn.stream, this.family);
      this.pending.length = 0;
    }
    this.watchers.notify();
  }

  // Addresses

  localAddress(): Address {
    this.checkOpen();
    const family = this.family;
    if (this.server) {
      const info = this.server.address();
      if (typeof info === "string") return info;
      if (info) return format(family, info.address, info.port);
    }
    if (this.stream && this.state === "connected") {
      if (family === AF_UNIX)
        return this.unnamed ? "" : this.bound?.kind === "unix" ? this.bound.path : "";
      const host = this.stream.localAddress;
      const port = this.stream.localPort;
      if (host !== undefined && port !== undefined) return format(family, host, port);
    }
    const bound = this.bound ?? anyAddress(family);
    return bound.kind === "unix" ? bound.path : format(family, bound.host, bound.port);
  }

  peerAddress(): Address {
    this.checkOpen();
    const stream = this.stream;
    if (this.state !== "connected" || !stream || this.hangup) throw fromErrno(errno.ENOTCONN);
    if (this.family === AF_UNIX) return this.unnamed ? "" : this.peerPath;
    const host = stream.remoteAddress;
    const port = stream.remotePort;
    if (host === undefined || port === undefined) throw fromErrno(errno.ENOTCONN);
    return format(this.family, host, port);
  }

  // Waiting (blocking mode)

  /**
   * Wait until `bits` are ready (or the socket closes, or the timeout passes). With timeout 0 it does not wait:
   * the operation that follows raises BlockingIOError itself.
   */
  waitFor(bits: number): Promise<void> {
    if (this.state === "closed" || (this.readiness() & bits) !== 0 || this.timeout === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      new Waiter(this, bits, this.timeout, resolve, reject).start();
    });
  }

  /**
   * A blocking-mode call: try `op` at once and, while it would block (BlockingIOError 11), wait until `bits` are
   * ready and try again. So what fails whatever the readiness fails at once, as in Python: `accept()` on a socket
   * that is not listening (OSError 22), `recv()` on a listening one (107). With timeout 0 the BlockingIOError is
   * raised instead of waiting.
   */
  async blockingCall<T>(bits: number, op: () => T): Promise<T> {
    for (;;) {
      try {
        return op();
      } catch (e) {
        if (!(e instanceof OSError) || e.errno !== errno.EAGAIN || this.timeout === 0) throw e;
      }
      try {
        await this.waitFor(bits);
      } catch (e) {
        throw raisedHere(e);
      }
    }
  }
}

/** One blocking call waiting for a socket: a watcher, a timer, and a SIGINT hook. */
class Waiter implements Watcher, Interruptible {
  private timer: NodeJS.Timeout | null = null;
  /** Milliseconds of the timeout not yet armed. */
  private left = 0;

  constructor(
    private readonly core: SocketCore,
    private readonly bits: number,
    private readonly timeout: number | null,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    this.core.watch(this);
    startWaiting(this);
    if (this.timeout === null) this.timer = setInterval(noop, FOREVER_MS);
    else {
      this.left = Math.ceil(this.timeout * 1000);
      this.arm();
    }
  }

  /** Wait what is left of the timeout, at most Node's longest timer at a time (a longer one fires at once). */
  private arm(): void {
    const ms = Math.min(this.left, FOREVER_MS);
    this.left -= ms;
    this.timer = setTimeout(this.onTimeout, ms);
  }

  readinessChanged(): void {
    if (this.core.state === "closed" || (this.core.readiness() & this.bits) !== 0) {
      this.finish();
      this.resolve();
    }
  }

  interrupt(error: KeyboardInterrupt): void {
    this.finish();
    this.reject(error);
  }

  private readonly onTimeout = (): void => {
    if (this.left > 0) {
      this.arm();
      return;
    }
    this.finish();
    this.reject(new TimeoutError("timed out"));
  };

  private finish(): void {
    this.core.unwatch(this);
    stopWaiting(this);
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Drop a connection at once: a TCP peer gets a reset, an AF_UNIX one (Node cannot reset a pipe) end of stream. */
function abort(stream: WireStream | null, family: number): void {
  if (stream === null) return;
  if (family === AF_UNIX) stream.destroy();
  else stream.resetAndDestroy();
}

/** Python's exception for `code`, with a note for a person where one helps (see `PythonException.notes`). */
function explained(code: number): OSError {
  const error = fromErrno(code);
  if (code === errno.EBADF) {
    error.addNote(
      "The socket was closed (its fileno() is -1): a closed socket cannot be used again.",
    );
  } else if (code === errno.ECONNREFUSED) {
    error.addNote(
      "Nobody listens at that address and port: start the server first, or check them.",
    );
  }
  return error;
}

function noop(): void {
  // keeps the event loop alive while a blocking call waits
}

/** Where a Node stream keeps its {@link SocketCore}, for the listeners every stream shares. */
const owner = Symbol("SocketCore");
type OwnedStream = WireStream & { [owner]: SocketCore };

function coreOf(stream: WireStream): SocketCore {
  return (stream as OwnedStream)[owner];
}

function onStreamData(this: WireStream, chunk: Buffer): void {
  coreOf(this).received(chunk);
}

function onStreamEnd(this: WireStream): void {
  coreOf(this).ended();
}

function onStreamError(this: WireStream, err: Error): void {
  coreOf(this).failed(err);
}

function onStreamClose(this: WireStream): void {
  coreOf(this).watchers.notify();
}

function onStreamConnect(this: WireStream): void {
  coreOf(this).connected();
}

type NormalizedAddress =
  | { readonly kind: "inet"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

function anyAddress(family: number): NormalizedAddress {
  if (family === AF_UNIX) return { kind: "unix", path: "" };
  return { kind: "inet", host: family === AF_INET6 ? "::" : "0.0.0.0", port: 0 };
}

function anyAddressOf(family: number): Address {
  const any = anyAddress(family);
  return any.kind === "unix" ? any.path : format(family, any.host, any.port);
}

function format(family: number, host: string, port: number): Address {
  return family === AF_INET6 ? [host, port, 0, 0] : [host, port];
}

/** Check an address as Python does for this family and call (`fn` names it in messages). */
function normalize(family: number, address: Address, fn: string): NormalizedAddress {
  if (family === AF_UNIX) {
    if (typeof address !== "string") {
      throw new TypeError(`a bytes-like object is required, not '${typeName(address)}'`);
    }
    return { kind: "unix", path: address };
  }
  const v6 = family === AF_INET6;
  if (typeof address === "string" || !Array.isArray(address)) {
    // Python: `bind(): AF_INET address must be tuple, not str`.
    throw new TypeError(
      `${fn}(): AF_INET${v6 ? "6" : ""} address must be tuple, not ${typeName(address)}`,
    );
  }
  if (v6 ? address.length < 2 || address.length > 4 : address.length !== 2) {
    throw new TypeError(
      v6
        ? "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"
        : "AF_INET address must be a pair (host, port)",
    );
  }
  const [host, port] = address;
  if (typeof host !== "string")
    throw new TypeError(`str, bytes or bytearray expected, not ${typeName(host)}`);
  if (!Number.isInteger(port))
    throw new TypeError(`'${typeName(port)}' object cannot be interpreted as an integer`);
  // Python resolves the host for the socket's family before it checks the port: an IP literal of the other
  // family is `gaierror(-9, 'Address family for hostname not supported')` (getaddrinfo's EAI_ADDRFAMILY).
  // An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is IPv6.
  if (v6 ? net.isIPv4(host) : net.isIPv6(host)) throw fromErrno(EAI_ADDRFAMILY);
  if (port < 0 || port > 65535) throw new OverflowError(`${fn}(): port must be 0-65535.`);
  const items: readonly unknown[] = address;
  const flowinfo = v6 ? (items[2] ?? 0) : 0;
  if (typeof flowinfo !== "number" || !Number.isInteger(flowinfo)) {
    throw new TypeError(`'${typeName(flowinfo)}' object cannot be interpreted as an integer`);
  }
  if (flowinfo < 0 || flowinfo > 0xfffff) {
    throw new OverflowError(`${fn}(): flowinfo must be 0-1048575.`);
  }
  return { kind: "inet", host: host === "" ? (v6 ? "::" : "0.0.0.0") : host, port };
}

/**
 * Check a timeout as Python's `settimeout()` and `setdefaulttimeout()` do: NaN, then beyond what a 64-bit count
 * of nanoseconds holds, then negative. `-0` becomes `0`. Not a number: `TypeError("'str' object cannot be
 * interpreted as an integer")`.
 */
function checkTimeout(given: unknown): number | null {
  if (given === null) return null;
  // Python takes an int or a float (a bool is an int); anything else is a TypeError (settimeout('x')).
  const value = typeof given === "boolean" ? Number(given) : given;
  if (typeof value !== "number") {
    throw new TypeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
  }
  if (Number.isNaN(value)) throw new ValueError("Invalid value NaN (not a number)");
  if (!(Math.abs(value) * 1e9 < MAX_NANOSECONDS)) {
    throw new OverflowError("timestamp out of range for platform time_t");
  }
  if (value < 0) throw new ValueError("Timeout value out of range");
  return value === 0 ? 0 : value;
}

/** Python's conversion of an argument to a C int: TypeError for a float, OverflowError outside int's range. */
function cInt(value: number, tooBig: string, tooSmall: string): void {
  if (!Number.isInteger(value)) {
    throw new TypeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
  }
  if (value > INT_MAX) throw new OverflowError(tooBig);
  if (value < -INT_MAX - 1) throw new OverflowError(tooSmall);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "string") return "str";
  if (Array.isArray(value)) return "tuple";
  return typeof value;
}

function checkBytes(data: unknown): void {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${typeName(data)}'`);
  }
}

/**
 * What both modes of a socket have: addresses, options, shutdown and close. A socket is one object per mode:
 * `setblocking()` hands out the view for the mode, over the same connection.
 */
abstract class SocketBase implements Reprable, Disposable {
  /** @internal The state shared by both views. */
  readonly core: SocketCore;

  /** @internal */
  constructor(core: SocketCore) {
    this.core = core;
  }

  /** The address family: {@link AF_INET}, {@link AF_INET6} or {@link AF_UNIX}. */
  get family(): number {
    return this.core.family;
  }

  /** The socket type: {@link SOCK_STREAM}. */
  get type(): number {
    return this.core.type;
  }

  /**
   * The protocol number: 0 from `socket(AF_INET, SOCK_STREAM)`, 6 (IPPROTO_TCP) from {@link createConnection}, as
   * Python's `create_connection()` takes it from `getaddrinfo()`. An accepted socket has its listener's.
   */
  get proto(): number {
    return this.core.proto;
  }

  /** The file descriptor (numbered by us, lowest free first), or -1 once closed. */
  fileno(): number {
    return this.core.fd;
  }

  /**
   * Set the local address. Checked here as Python does (`OverflowError: bind(): port must be 0-65535.`,
   * `TypeError: AF_INET address must be a pair (host, port)`); Node binds when `listen()` (or `connect`) runs,
   * so that is where an address in use is reported.
   * @throws OSError 22 (EINVAL) when already bound, listening or connected; OSError 9 when closed (after the
   *   address checks, as in Python).
   */
  bind(address: Address): void {
    const target = normalize(this.core.family, address, "bind");
    this.core.checkOpen();
    if (this.core.bound !== null || this.core.state !== "fresh") throw fromErrno(errno.EINVAL);
    this.core.bound = target;
  }

  /** The local address: `('127.0.0.1', 65432)`. @throws OSError 9 when closed. */
  getsockname(): Address {
    return this.core.localAddress();
  }

  /** The peer's address. @throws OSError 107 (ENOTCONN) when not connected. */
  getpeername(): Address {
    return this.core.peerAddress();
  }

  /**
   * Set an option: `SO_REUSEADDR`, `SO_KEEPALIVE`, `SO_SNDBUF`, `SO_RCVBUF` (level `SOL_SOCKET`) or
   * `TCP_NODELAY` (level `IPPROTO_TCP`: each `send()` is then handed to the network at once, where by default a
   * non-blocking socket gathers the sends of one `select()` turn into one write, as Nagle's algorithm would).
   * @throws OSError 92 (ENOPROTOOPT) for other options.
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    this.core.checkOpen();
    const n = Number(value);
    const core = this.core;
    if (level === SOL_SOCKET && option === SO_REUSEADDR) core.reuseaddr = n;
    else if (level === SOL_SOCKET && option === SO_KEEPALIVE) {
      core.keepalive = n;
      core.stream?.setKeepAlive(n !== 0);
    } else if (level === SOL_SOCKET && option === SO_SNDBUF) core.sndbuf = Math.max(1, n);
    else if (level === SOL_SOCKET && option === SO_RCVBUF) core.rcvbuf = Math.max(1, n);
    else if (level === IPPROTO_TCP && option === TCP_NODELAY) {
      core.nodelay = n;
      if (n !== 0) core.turnNagleOff();
    } else throw fromErrno(errno.ENOPROTOOPT);
    core.watchers.notify();
  }

  /**
   * Read an option. `SO_ERROR` returns the pending error's errno and clears it (reported once, as in Python).
   * @throws OSError 92 (ENOPROTOOPT) for options we do not have.
   */
  getsockopt(level: number, option: number): number {
    this.core.checkOpen();
    const core = this.core;
    if (level === SOL_SOCKET) {
      switch (option) {
        case SO_ERROR: {
          const code = core.pendingErrno ?? 0;
          core.pendingErrno = null;
          return code;
        }
        case SO_REUSEADDR:
          return core.reuseaddr;
        case SO_KEEPALIVE:
          return core.keepalive;
        case SO_SNDBUF:
          return core.sndbuf;
        case SO_RCVBUF:
          return core.rcvbuf;
      }
    } else if (level === IPPROTO_TCP && option === TCP_NODELAY) return core.nodelay;
    throw fromErrno(errno.ENOPROTOOPT);
  }

  /**
   * Shut down one or both directions (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`). After `SHUT_WR` the peer reads end of
   * stream once what was sent has gone out.
   * @throws OSError 107 (ENOTCONN) when not connected.
   */
  shutdown(how: number): void {
    this.core.shutdownNow(how);
  }

  /**
   * Close the socket; the fd is freed and `fileno()` returns -1. What was sent still goes out; unread received
   * data makes the peer see a reset, as with a kernel socket. Closing again does nothing.
   */
  close(): void {
    this.core.close();
  }

  /** `using s = socket(...)` closes `s` at the end of the block, like Python's `with`. */
  [Symbol.dispose](): void {
    this.core.close();
  }

  /** The timeout in seconds: `null` when blocking without limit, `0` when non-blocking. */
  gettimeout(): number | null {
    return this.core.timeout;
  }

  /** `true` unless the timeout is 0. */
  getblocking(): boolean {
    return this.core.timeout !== 0;
  }

  /**
   * Set the timeout of blocking calls, in seconds: they then reject with `TimeoutError('timed out')`.
   * `null` waits without limit; `0` makes the blocking calls raise `BlockingIOError` instead of waiting (use
   * {@link setblocking} to get the synchronous view).
   * @throws ValueError `Timeout value out of range` for negative values, `Invalid value NaN (not a number)`;
   *   OverflowError `timestamp out of range for platform time_t` beyond 2**63 ns; OSError 9 when closed;
   *   TypeError `'str' object cannot be interpreted as an integer` for what is not a number.
   */
  settimeout(value: number | null): void {
    const timeout = checkTimeout(value);
    this.core.checkOpen();
    this.core.timeout = timeout;
  }

  /**
   * Python's `setblocking()`. `setblocking(false)` makes the socket non-blocking and returns it typed as a
   * {@link NonBlockingSocket}, whose calls are synchronous; `setblocking(true)` returns the
   * {@link BlockingSocket} view, whose calls return Promises. Both views are the same connection.
   * @throws OSError 9 when closed.
   */
  setblocking(flag: false): NonBlockingSocket;
  setblocking(flag: true): BlockingSocket;
  setblocking(flag: boolean): Socket;
  setblocking(flag: boolean): Socket {
    this.core.checkOpen();
    this.core.timeout = flag ? null : 0;
    return flag ? this.core.blocking() : this.core.nonBlocking();
  }

  /** Python's repr: `<socket.socket fd=5, family=2, type=1, proto=0, laddr=('127.0.0.1', 57217)>`. */
  [reprSymbol](): string {
    const core = this.core;
    const closed = core.state === "closed";
    let text = `<socket.socket ${closed ? "[closed] " : ""}fd=${core.fd}, family=${core.family}, type=${core.type}, proto=${core.proto}`;
    if (!closed) {
      const laddr = tryAddress(() => core.localAddress());
      if (laddr !== null) text += `, laddr=${laddr}`;
      const raddr = tryAddress(() => core.peerAddress());
      if (raddr !== null) text += `, raddr=${raddr}`;
    }
    return `${text}>`;
  }

  /** `console.log(sock)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

function tryAddress(get: () => Address): string | null {
  try {
    const address = get();
    if (address === "") return null;
    return typeof address === "string" ? address : repr(address);
  } catch (e) {
    if (e instanceof OSError) return null;
    throw e;
  }
}

/**
 * A socket in blocking mode (the default): the calls that block in Python return Promises. With
 * `settimeout(t)` they reject with `TimeoutError('timed out')` after t seconds. A waiting call throws
 * `KeyboardInterrupt` on Ctrl-C.
 */
export class BlockingSocket extends SocketBase {
  /**
   * Start listening; Node binds here, so bind errors are raised here: `OSError: [Errno 98] Address already in
   * use`, `[Errno 99] Cannot assign requested address`, `gaierror: [Errno -2] Name or service not known`.
   */
  async listen(backlog?: number): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        this.core.listenNow(backlog, (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (e) {
      if (e instanceof OSError && e.errno === errno.EADDRINUSE) {
        e.addNote(
          "Another program listens on that port. Pick another port, or stop it; SO_REUSEADDR only helps with a port left in TIME_WAIT.",
        );
      }
      throw raisedHere(e);
    }
  }

  /**
   * Wait for a connection; returns the new socket (blocking, as in Python) and the peer's address.
   * @throws OSError 22 when not listening.
   */
  async accept(): Promise<[BlockingSocket, Address]> {
    return this.core.blockingCall(READABLE, () => this.core.acceptNow());
  }

  /**
   * Connect and wait until connected.
   * @throws ConnectionRefusedError (111) when nobody listens; TimeoutError after the timeout.
   */
  async connect(address: Address): Promise<void> {
    const code = await connectAndWait(this.core, address, "connect");
    if (code !== 0) throw explained(code);
  }

  /** Connect and wait; returns 0, or the errno instead of raising (`111` when refused). */
  connectEx(address: Address): Promise<number> {
    return connectAndWait(this.core, address, "connect_ex");
  }

  /** Wait for data; returns 1..bufsize bytes, or an empty Buffer at end of stream. */
  async recv(bufsize: number): Promise<Buffer> {
    return this.core.blockingCall(READABLE, () => this.core.recvNow(bufsize));
  }

  /** Wait for room in the send buffer; returns how many bytes were taken (may be fewer than given). */
  async send(data: Uint8Array): Promise<number> {
    return this.core.blockingCall(WRITABLE, () => this.core.sendNow(data));
  }

  /** Send all of `data`, waiting for room as needed. */
  async sendall(data: Uint8Array): Promise<void> {
    checkBytes(data);
    let offset = 0;
    do {
      offset += await this.core.blockingCall(WRITABLE, () =>
        this.core.sendNow(data.subarray(offset)),
      );
    } while (offset < data.length);
  }
}

async function connectAndWait(core: SocketCore, address: Address, fn: string): Promise<number> {
  const started = core.connectNow(address, fn);
  if (started !== errno.EINPROGRESS) return started;
  try {
    await core.waitFor(WRITABLE);
  } catch (e) {
    throw raisedHere(e);
  }
  if (core.state === "closed") return errno.EBADF;
  return core.connectResult();
}

/**
 * A socket in non-blocking mode: every call returns at once, as Python's do after `setblocking(False)`. What
 * would block raises `BlockingIOError`. This is the kind of socket a selector watches.
 */
export class NonBlockingSocket extends SocketBase {
  /**
   * Start listening. A bind error is reported later, as a pending error: the socket turns readable and
   * `accept()` raises it.
   */
  listen(backlog?: number): void {
    this.core.listenNow(backlog);
  }

  /**
   * Take a pending connection: returns the new socket (blocking, as in Python: call `setblocking(false)` on it)
   * and the peer's address.
   * @throws BlockingIOError (11) when none is pending; OSError 22 when not listening.
   */
  accept(): [BlockingSocket, Address] {
    return this.core.acceptNow();
  }

  /**
   * Start connecting.
   * @throws BlockingIOError (115, `Operation now in progress`): the connection is under way.
   */
  connect(address: Address): void {
    const code = this.core.connectNow(address, "connect");
    if (code !== 0) throw fromErrno(code);
  }

  /**
   * Start connecting; returns 115 (EINPROGRESS) instead of raising. Called again: 114 (EALREADY) while under
   * way, 0 once when connected (then 106, EISCONN), or the pending error's errno (111 when refused).
   */
  connectEx(address: Address): number {
    return this.core.connectNow(address, "connect_ex");
  }

  /**
   * Read up to `bufsize` buffered bytes; an empty Buffer at end of stream.
   * @throws BlockingIOError (11) when nothing is buffered; the pending error (e.g. ConnectionResetError 104)
   *   once; OSError 107 when never connected; ValueError for a negative size.
   */
  recv(bufsize: number): Buffer {
    return this.core.recvNow(bufsize);
  }

  /**
   * Queue as much of `data` as the send buffer has room for; returns the count (0 for an empty buffer).
   * @throws BlockingIOError (11) when the buffer is full; BrokenPipeError (32) after shutdown or a broken
   *   connection; the pending error once.
   */
  send(data: Uint8Array): number {
    return this.core.sendNow(data);
  }

  /**
   * Send all of `data` or raise: like Python's non-blocking `sendall`, it sends until the buffer is full and then
   * raises `BlockingIOError`, and how much went out is lost.
   */
  sendall(data: Uint8Array): void {
    checkBytes(data);
    let offset = 0;
    while (offset < data.length) offset += this.core.sendNow(data.subarray(offset));
  }
}

/** A socket in either mode. */
export type Socket = BlockingSocket | NonBlockingSocket;

/**
 * Python's `socket.getdefaulttimeout()`: the timeout, in seconds, that new sockets get (`null`, blocking without
 * limit, unless {@link setdefaulttimeout} changed it).
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/**
 * Python's `socket.setdefaulttimeout(t)`: the timeout of the sockets made from now on by {@link socket},
 * {@link socketpair}, `accept()` and {@link createConnection} (without a timeout of its own). `0` makes them
 * non-blocking: their blocking calls raise `BlockingIOError` instead of waiting.
 * @throws ValueError `Timeout value out of range` for negative values (as {@link BlockingSocket.settimeout}).
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout);
}

/**
 * Python's `socket.socket(family, type, proto)`: a new socket, in blocking mode. `proto` is 0, or
 * {@link IPPROTO_TCP} (6) for an AF_INET/AF_INET6 socket; it shows in the repr.
 * @throws OSError 97 for an unknown family; OSError 93 for a type other than SOCK_STREAM or another protocol.
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): BlockingSocket {
  if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
    throw fromErrno(errno.EAFNOSUPPORT);
  }
  if (type !== SOCK_STREAM) throw fromErrno(errno.EPROTONOSUPPORT);
  if (proto !== 0 && (proto !== IPPROTO_TCP || family === AF_UNIX)) {
    throw fromErrno(errno.EPROTONOSUPPORT);
  }
  // Like a selector: from here on a Ctrl-C that comes just before a blocking call starts to wait is not fatal
  // (Node runs the listener from its event loop, when the call waits, and the call raises KeyboardInterrupt).
  listenForSigint();
  const core = new SocketCore(family, type, proto);
  core.open();
  return core.blocking();
}

/**
 * Python's `socket.socketpair()`: two connected AF_UNIX sockets, in blocking mode. Node has no socketpair, so
 * this connects through a temporary listening socket, and is awaited.
 */
export async function socketpair(): Promise<[BlockingSocket, BlockingSocket]> {
  const dir = await mkdtemp(join(tmpdir(), "selectors-ts-"));
  const path = join(dir, "pair");
  const listener = socket(AF_UNIX);
  const a = socket(AF_UNIX);
  try {
    // The pair is made by blocking calls whatever the default timeout; the two sockets then get it.
    listener.settimeout(null);
    a.settimeout(null);
    listener.bind(path);
    await listener.listen(1);
    const [[b]] = await Promise.all([listener.accept(), a.connect(path)]);
    a.core.unnamed = true;
    b.core.unnamed = true;
    a.core.timeout = b.core.timeout = defaultTimeout;
    return [a, b];
  } catch (e) {
    a.close();
    throw e;
  } finally {
    listener.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Python's `socket.create_connection(address, timeout, source_address)`: a connected blocking socket, with
 * protocol 6 (IPPROTO_TCP) as `getaddrinfo()` gives it to Python; it is closed again if the connect fails.
 * Without `timeout` (`undefined`) the socket keeps the default timeout ({@link setdefaulttimeout}); `null` waits
 * without limit. `sourceAddress` is bound before connecting (`['', 0]`: any address, any port).
 */
export async function createConnection(
  address: InetAddress | Inet6Address,
  timeout?: number | null,
  sourceAddress: InetAddress | Inet6Address | null = null,
): Promise<BlockingSocket> {
  const family = address.length === 4 || net.isIPv6(address[0]) ? AF_INET6 : AF_INET;
  const s = socket(family, SOCK_STREAM, IPPROTO_TCP);
  try {
    if (timeout !== undefined) s.settimeout(timeout);
    if (sourceAddress !== null) s.bind(sourceAddress);
    await s.connect(address);
  } catch (e) {
    s.close();
    throw e;
  }
  return s;
}

/** Is this a socket of ours (either mode)? */
export function isSocket(value: unknown): value is Socket {
  return value instanceof SocketBase;
}
