/**
 * The kernel's model of a stream socket (TCP, or a Unix stream socket): its states, its receive and send buffers,
 * its readiness as epoll reports it on Linux, and the calls (`recv`, `send`, `accept`, `connect`, `listen`,
 * `shutdown`, `close`) that change them. A `Wire` carries the bytes; its events arrive here as a
 * `StreamSink`.
 *
 * Rules (see `lib/python/socket.ts` for what the program sees):
 * - States: `fresh` (made, maybe bound), `listening`, `connecting`, `connected` (a connection, or a failed one:
 *   `hangup` set), `closed`. A fresh socket is readable, writable and hung up (Linux's OUT|HUP for a TCP socket
 *   never connected); a listening one is readable when a connection or an error is pending.
 * - The receive buffer holds at most `SO_RCVBUF` bytes: beyond that the wire is paused until the program reads.
 *   The send buffer is what `send()` accepted and the wire has not yet sent ({@link SendQueue} plus the wire's
 *   {@link WireStream.pending}); the socket is writable while that is under `SO_SNDBUF`.
 * - A non-blocking socket gathers the sends of one `select()` turn and writes them at once (before `select()`
 *   waits, when 64 KiB is gathered, or after 1 ms at the latest: `fd.ts`'s flush queue). The wire below runs with
 *   Nagle's algorithm off from its second write on, so the two do not add up (Nagle below our gathered writes
 *   would hold each one's tail until the peer's delayed ACK). `TCP_NODELAY` writes each send at once.
 * - Calls return an errno on failure (`EAGAIN` when they would block); none throws.
 * @module
 */
import type {
  Endpoint,
  ListenerSink,
  StreamSink,
  WireListener,
  WireStream,
} from "../transport/interface.ts";
import { AF_UNIX, SHUT_RD, SHUT_RDWR, SHUT_WR } from "./constants.ts";
import {
  EAGAIN,
  EALREADY,
  EBADF,
  ECONNREFUSED,
  EINPROGRESS,
  EINVAL,
  EIO,
  EISCONN,
  ENOTCONN,
  EPIPE,
} from "./errno.ts";
import { HANGUP, READABLE, WRITABLE, queueFlush, releaseFd, type Flushable } from "./fd.ts";
import { ReceiveQueue } from "./receive-queue.ts";
import { GATHER_LIMIT, SendQueue } from "./send-queue.ts";
import { KernelSocket, anyAddress } from "./socket.ts";

/** The states of a stream socket (see the module rules). */
export type StreamState = "fresh" | "listening" | "connecting" | "connected" | "closed";

/** A write no longer than this fits in one TCP segment on any network (IPv6's smallest MTU is 1280). */
const ONE_SEGMENT = 1024;
const EMPTY: Buffer = Buffer.alloc(0);
/** The `pending` of every socket that is not listening: always empty. */
const NO_CONNECTIONS: StreamSocket[] = [];

/** A stream socket of the kernel's model. */
export class StreamSocket extends KernelSocket implements StreamSink, Flushable {
  state: StreamState = "fresh";
  /** A listening socket's connections not yet accepted (its own array from `listen()` on). */
  pending: StreamSocket[] = NO_CONNECTIONS;
  /** The listener, while listening. */
  listener: WireListener | null = null;
  /** The connection, once connecting or accepted. */
  stream: WireStream | null = null;
  /** Received, not yet read. */
  private readonly rx = new ReceiveQueue();
  /** The wire is paused: the receive buffer is full. */
  private paused = false;
  /** We shut down writing, or the connection broke: send returns EPIPE. */
  writeShut = false;
  /** A completed connect was already reported by connect/connectEx. */
  connectReported = false;
  /** Accepted by send(), not yet handed to the wire. */
  private readonly tx = new SendQueue();
  /** Bytes handed to the wire and not yet sent by it (its `pending`, read when it changes). */
  private inWire = 0;
  /** Sent bytes are still in the wire: it keeps the process alive until they are written. */
  private flushing = false;
  /** Set when a send left no room: the next write completion may make the socket writable again. */
  private sendBlocked = false;
  /** AF_UNIX: the path this socket connected to, its peer's name (`getpeername()`). */
  peerPath = "";

  keepalive = 0;
  nodelay = 0;
  /** Has this connection written before? (See {@link flushQueued} on Nagle.) */
  private wrote = false;
  /** The peer's FIN has come (`shutdown(SHUT_RD)` also ends the stream, but receives none). */
  private finIn = false;
  /** A read has passed it (see {@link receiveQueue}). */
  private finRead = false;
  /** Nagle's algorithm is off in the wire. */
  private nagleOff = false;

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.rx.bytes;
  }

  /**
   * The receive queue as Linux's `ss` counts it (`rcv_nxt - copied_seq`): the bytes not yet read, and one for
   * the peer's FIN until a read has passed it (a `recv()` that returns `b''`, or one that takes the last bytes
   * when the FIN is already in; `MSG_PEEK` passes nothing).
   */
  get receiveQueue(): number {
    return this.rx.bytes + (this.finIn && !this.finRead ? 1 : 0);
  }

  isClosed(): boolean {
    return this.state === "closed";
  }

  readiness(): number {
    // A selector asks this of every ready key on every select(): the common case comes first.
    switch (this.state) {
      case "connected": {
        if (this.hangup) return READABLE | WRITABLE | HANGUP;
        let bits = this.rx.bytes > 0 || this.eof ? READABLE : 0;
        if (this.writeShut || this.tx.bytes + this.inWire < this.sndbuf) bits |= WRITABLE;
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

  // The wire's events (StreamSink)

  /** Take `stream`'s events from now on. */
  attach(stream: WireStream): void {
    this.stream = stream;
    stream.attach(this);
  }

  connected(): void {
    if (this.state === "connecting") this.state = "connected";
    this.watchers.notify();
  }

  data(chunk: Buffer): void {
    if (this.state === "closed" || this.eof) return;
    this.rx.push(chunk);
    if (this.rx.bytes >= this.rcvbuf && !this.paused) {
      this.paused = true;
      this.stream?.pause();
    }
    this.watchers.notify();
  }

  end(): void {
    this.eof = true;
    this.finIn = true;
    this.watchers.notify();
  }

  error(errno: number): void {
    if (this.state === "closed") return;
    // A failed connect leaves a connection in error: readable and writable (epoll's ERR|HUP).
    if (this.state === "connecting") this.state = "connected";
    this.pendingErrno = errno === 0 ? EIO : errno;
    this.hangup = true;
    this.writeShut = true;
    this.watchers.notify();
  }

  closed(): void {
    // Closed by the program, and now by the wire too: nothing more comes from it. Forgotten, so that this socket
    // does not keep the wire's objects alive (see the wire's own note on closed connections).
    if (this.state === "closed") this.stream = null;
    this.watchers.notify();
  }

  written(): void {
    this.inWire = this.stream?.pending ?? 0;
    if (this.flushing && this.outstanding() === 0) {
      this.flushing = false;
      if (this.state !== "closed") this.stream?.keepAlive(false);
    }
    if (this.sendBlocked && this.outstanding() < this.sndbuf) {
      this.sendBlocked = false;
      this.watchers.notify();
    }
  }

  // Buffers

  /** Bytes sent by the program and not yet sent by the wire: the used part of the send buffer. */
  outstanding(): number {
    return this.tx.bytes + this.inWire;
  }

  /** Turn Nagle's algorithm off in the wire (see {@link flushQueued}). */
  turnNagleOff(): void {
    if (this.nagleOff || this.stream === null) return;
    this.stream.setNoDelay(true);
    this.nagleOff = true;
  }

  /**
   * Hand the gathered output to the wire in one write. Unless `force`, keep gathering while the program still has
   * input to read from this socket (its next `send()` is probably coming) and less than {@link GATHER_LIMIT} is
   * gathered.
   * @returns whether output is still gathered.
   */
  flushQueued(force: boolean): boolean {
    const count = this.tx.bytes;
    if (count === 0) return false;
    if (!force && this.rx.bytes > 0 && count < GATHER_LIMIT && this.state === "connected")
      return true;
    const chunk = this.tx.takeAll();
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
    stream.write(chunk);
    this.inWire = stream.pending;
    if (!this.flushing && this.inWire > 0) {
      // Like the kernel, finish sending what send() accepted even if the program ends now.
      this.flushing = true;
      stream.keepAlive(true);
    }
    return false;
  }

  /** Take `n` buffered bytes (n ≤ buffered), and let the wire deliver again once there is room. */
  private take(n: number): Buffer {
    const out = this.rx.take(n);
    // Linux's read goes on into a FIN queued behind the last bytes (see receiveQueue).
    if (this.finIn && this.rx.bytes === 0) this.finRead = true;
    if (this.paused && this.rx.bytes < this.rcvbuf) {
      this.paused = false;
      this.stream?.resume();
    }
    return out;
  }

  // The calls

  /** Read up to `bufsize` (≥ 0) bytes: the bytes, an empty Buffer at end of stream, or an errno. */
  recv(bufsize: number): Buffer | number {
    switch (this.state) {
      case "closed":
        return EBADF;
      case "fresh":
      case "listening":
        return ENOTCONN;
      case "connecting":
      case "connected":
        break;
    }
    const buffered = this.rx.bytes;
    if (buffered > 0) return bufsize === 0 ? EMPTY : this.take(Math.min(bufsize, buffered));
    return this.nothingBuffered(bufsize, true);
  }

  /**
   * A read with no byte buffered: the pending errno, end of stream (an empty Buffer), or EAGAIN. `consume`: the
   * read passes the peer's FIN (not so for `MSG_PEEK`, nor for a read of 0 bytes; see {@link receiveQueue}).
   */
  private nothingBuffered(bufsize: number, consume: boolean): Buffer | number {
    const code = this.takeErrno();
    if (code !== 0) return code;
    if (consume && this.finIn && bufsize > 0) this.finRead = true;
    if (this.eof || this.hangup || bufsize === 0) return EMPTY;
    return EAGAIN;
  }

  /** A stream's recvfrom: the bytes, from no address (`null`), as Linux gives it for a connected stream. */
  recvfrom(bufsize: number): [Buffer, null] | number {
    const got = this.recv(bufsize);
    return typeof got === "number" ? got : [got, null];
  }

  /** A stream's sendto: the address is ignored, as Linux ignores it on a connected stream. */
  sendto(data: Uint8Array, _to: Endpoint): number {
    return this.send(data);
  }

  /** As {@link recv}, but what is returned stays in the receive buffer (`MSG_PEEK`). */
  peek(bufsize: number): Buffer | number {
    const buffered = this.rx.bytes;
    if (this.state !== "connected" && this.state !== "connecting") return this.recv(bufsize);
    if (buffered > 0) return bufsize === 0 ? EMPTY : this.rx.peek(Math.min(bufsize, buffered));
    return this.nothingBuffered(bufsize, false);
  }

  /** Take what fits of `data` into the send buffer: the count, or `-errno`. */
  send(data: Uint8Array): number {
    if (this.state === "closed") return -EBADF;
    const code = this.takeErrno();
    if (code !== 0) return -code;
    if (this.state === "fresh" || this.state === "listening") return -EPIPE;
    if (this.state === "connecting") return -EAGAIN;
    if (this.writeShut) return -EPIPE;
    if (data.length === 0) return 0;
    let room = this.sndbuf - this.outstanding();
    if (room < data.length && this.tx.bytes > 0) {
      // Before refusing bytes, hand what was gathered to the wire: only what the wire still holds counts as full.
      this.flushQueued(true);
      room = this.sndbuf - this.outstanding();
    }
    if (room <= 0) {
      this.sendBlocked = true;
      return -EAGAIN;
    }
    const count = Math.min(room, data.length);
    // The kernel copies what send() accepts; so do we, so the caller may reuse its buffer. Like the kernel, we
    // may gather several sends into one write (see flushQueued).
    if (this.tx.bytes === 0) queueFlush(this);
    this.tx.add(count === data.length ? data : data.subarray(0, count));
    if (this.timeout !== 0 || this.nodelay !== 0 || this.tx.bytes >= GATHER_LIMIT) {
      this.flushQueued(true);
    }
    if (this.outstanding() >= this.sndbuf) this.sendBlocked = true;
    return count;
  }

  /** Take a pending connection, giving it an fd and `timeout`; or an errno. */
  accept(timeout: number | null): StreamSocket | number {
    if (this.state === "closed") return EBADF;
    if (this.state !== "listening") return EINVAL;
    const code = this.takeErrno();
    if (code !== 0) return code;
    const conn = this.pending.shift();
    if (conn === undefined) return EAGAIN;
    conn.open(timeout);
    return conn;
  }

  /**
   * The peer's address, for accept() to return. Node's accept does not give it, so it is asked of the wire
   * (getpeername(2)) when the program accepts the connection, not when the connection arrives (asked then, while
   * the peer's first bytes come in, it costs a busy server much more). A connection that the peer reset before
   * accept() has no address left to ask: `null`.
   */
  override acceptedFrom(): Endpoint | null {
    if (this.family === AF_UNIX) return { kind: "unix", path: "" };
    const remote = this.stream?.remote();
    return remote ? { kind: "inet", host: remote.host, port: remote.port } : null;
  }

  /** Start connecting to `target`; returns the errno Python's connect_ex would return (9 on a closed socket). */
  connect(target: Endpoint): number {
    switch (this.state) {
      case "closed":
        return EBADF;
      case "listening":
        return EISCONN;
      case "connecting":
        return EALREADY;
      case "connected": {
        const code = this.takeErrno();
        if (code !== 0) return code;
        if (this.hangup) {
          // The last attempt failed and its error was reported: start a new one, as Linux does.
          this.resetConnection();
          break;
        }
        if (!this.connectReported) {
          this.connectReported = true;
          return 0;
        }
        return EISCONN;
      }
      case "fresh":
        break;
    }
    this.state = "connecting";
    if (target.kind === "unix") this.peerPath = target.path;
    const stream = this.wire.connect({ to: target, from: this.bound, ipVersion: this.ipVersion() });
    this.attach(stream);
    if (this.nodelay !== 0) this.turnNagleOff();
    if (this.keepalive) stream.setKeepAlive(true);
    return EINPROGRESS;
  }

  private resetConnection(): void {
    this.stream?.destroy();
    this.stream = null;
    this.rx.clear();
    this.eof = false;
    this.finIn = false;
    this.finRead = false;
    this.hangup = false;
    this.writeShut = false;
    this.connectReported = false;
    this.paused = false;
    this.wrote = false;
    this.nagleOff = false;
    this.inWire = 0;
  }

  /**
   * The result of a connect, for a blocking connect(): 0, the error's errno, or 115 (EINPROGRESS) when it is
   * still under way.
   */
  connectResult(): number {
    if (this.state === "connecting") return EINPROGRESS;
    if (this.state === "connected" && !this.hangup) {
      this.connectReported = true;
      return 0;
    }
    const code = this.takeErrno();
    return code !== 0 ? code : ECONNREFUSED;
  }

  /**
   * Start listening (`backlog` as given, or Python's default). `report` hears the outcome (0 or an errno); without
   * it a bind error becomes the pending error, and the socket readable.
   * @returns 0, or the errno of a call that cannot start (EBADF, EINVAL).
   */
  listen(backlog: number | undefined, report?: (errno: number) => void): number {
    if (this.state === "closed") return EBADF;
    if (this.state === "listening") {
      report?.(0);
      return 0;
    }
    if (this.state !== "fresh") return EINVAL;
    this.pending = [];
    this.state = "listening";
    // Python passes min(backlog, 128) by default; a negative backlog is 0, as Linux takes it.
    this.listener = this.wire.listen(
      {
        at: this.bound ?? anyAddress(this.family),
        backlog: Math.max(0, backlog ?? 128),
        ipVersion: this.ipVersion(),
      },
      new Listening(this, report),
    );
    return 0;
  }

  /** A connection came in on this listening socket (see {@link Listening}). */
  incoming(stream: WireStream): void {
    if (this.state !== "listening") {
      stream.destroy();
      return;
    }
    const conn = new StreamSocket(this.family, this.type, this.proto, this.wire);
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
  }

  /** Shut down `how` (SHUT_RD, SHUT_WR, SHUT_RDWR): 0 or an errno. */
  shutdown(how: number): number {
    if (this.state === "closed") return EBADF;
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return EINVAL;
    if (this.state !== "connected") return ENOTCONN;
    if (how !== SHUT_WR) {
      this.eof = true;
      this.rx.clear();
    }
    if (how !== SHUT_RD && !this.writeShut) {
      this.flushQueued(true);
      this.writeShut = true;
      this.stream?.end();
    }
    this.watchers.notify();
    return 0;
  }

  close(): void {
    if (this.state === "closed") return;
    const unread = this.rx.bytes > 0;
    this.state = "closed";
    if (this.fd >= 0) releaseFd(this.fd);
    this.fd = -1;
    this.rx.clear();
    const stream = this.stream;
    if (stream) {
      // As the kernel does: unread data means a TCP peer gets a reset; otherwise what was sent still goes out.
      // Node can reset only TCP: an AF_UNIX peer sees end of stream (Linux gives it ECONNRESET once).
      if (unread && this.family !== AF_UNIX) stream.reset();
      else {
        this.flushQueued(true);
        stream.close();
      }
    }
    this.tx.clear();
    if (this.listener) {
      this.listener.close();
      for (const conn of this.pending) conn.abort();
      this.pending.length = 0;
    }
    this.watchers.notify();
  }

  /** Drop a connection never accepted: a TCP peer gets a reset, an AF_UNIX one (Node cannot reset a pipe) end of stream. */
  private abort(): void {
    const stream = this.stream;
    if (stream === null) return;
    if (this.family === AF_UNIX) stream.destroy();
    else stream.reset();
  }

  // Addresses

  /** The local address (the caller checks the socket is open). */
  localAddress(): Endpoint {
    const address = this.listener?.address();
    if (address) return address;
    if (this.stream && this.state === "connected") {
      if (this.family === AF_UNIX) {
        return {
          kind: "unix",
          path: this.unnamed || this.bound?.kind !== "unix" ? "" : this.bound.path,
        };
      }
      const local = this.stream.local();
      if (local) return { kind: "inet", host: local.host, port: local.port };
    }
    return this.bound ?? anyAddress(this.family);
  }

  /** The peer's address, or ENOTCONN (the caller checks the socket is open). */
  peerAddress(): Endpoint | number {
    const stream = this.stream;
    if (this.state !== "connected" || !stream || this.hangup) return ENOTCONN;
    if (this.family === AF_UNIX) return { kind: "unix", path: this.unnamed ? "" : this.peerPath };
    const remote = stream.remote();
    return remote ? { kind: "inet", host: remote.host, port: remote.port } : ENOTCONN;
  }

  /** Set the local address: 0, or EINVAL when already bound or not fresh. */
  bind(target: Endpoint): number {
    if (this.bound !== null || this.state !== "fresh") return EINVAL;
    this.bound = target;
    return 0;
  }

  /** `SO_KEEPALIVE`. */
  setKeepAliveOption(value: number): void {
    this.keepalive = value;
    this.stream?.setKeepAlive(value !== 0);
  }

  /** `TCP_NODELAY`. */
  setNoDelayOption(value: number): void {
    this.nodelay = value;
    if (value !== 0) this.turnNagleOff();
  }
}

/** What a listening socket hears from its wire. */
class Listening implements ListenerSink {
  constructor(
    private readonly sock: StreamSocket,
    /** The blocking `listen()` waiting for the outcome; without it an error becomes the pending error. */
    private report: ((errno: number) => void) | undefined,
  ) {}

  listening(): void {
    this.report?.(0);
    this.report = undefined;
  }

  accepted(stream: WireStream): void {
    this.sock.incoming(stream);
  }

  error(errno: number): void {
    const code = errno === 0 ? EIO : errno;
    if (this.report) {
      this.report(code);
      this.report = undefined;
    } else {
      this.sock.pendingErrno = code;
      this.sock.watchers.notify();
    }
  }
}
