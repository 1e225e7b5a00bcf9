/**
 * Python's `socket` module: the faces a program holds ({@link BlockingSocket}, {@link NonBlockingSocket}), the
 * module's functions and constants, and Python's checks and errors. Below it, the kernel's model of a socket
 * (`lib/kernel/`: states, buffers, readiness, errno) does the work, over a wire (`lib/transport/`: `node:net`, or
 * an in-memory network in tests).
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
 * Datagram sockets (`SOCK_DGRAM`: UDP, and AF_UNIX datagrams) are the same two classes: `sendto`, `recvfrom` and
 * `recvfromInto` keep message boundaries, and `lib/kernel/datagram-socket.ts` states Linux's rules they follow.
 *
 * (This file is over 600 lines on purpose: the two views must live with the functions that make them, since
 * `setblocking()` hands out the other view and `socket()` the first, and each Python method appears once per
 * view. Python's checks and the calls' errors are in `socket-calls.ts`, options in `socket-options.ts`.)
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
import * as net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  type Address,
  type Inet6Address,
  type InetAddress,
  normalize,
  toAddress,
} from "./address.ts";
import { cInt, checkBytes, checkTimeout } from "./arguments.ts";
import {
  acceptNow,
  checkOpen,
  explained,
  listenNow,
  recvNow,
  recvfromIntoNow,
  recvfromNow,
  sendNow,
  sendtoNow,
} from "./socket-calls.ts";
import { blockingCall, deadlineOf, waitFor } from "./blocking.ts";
import { OSError, TimeoutError, errno, fromErrno, raisedHere } from "./errors.ts";
import { ESOCKTNOSUPPORT } from "../kernel/errno.ts";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from "../kernel/constants.ts";
import { READABLE, WRITABLE } from "../kernel/fd.ts";
import { DatagramSocket } from "../kernel/datagram-socket.ts";
import type { KernelSocket } from "../kernel/socket.ts";
import { StreamSocket } from "../kernel/stream-socket.ts";
import { listenForSigint } from "./keyboard-interrupt.ts";
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOL_SOCKET,
  SO_REUSEADDR,
  getOption,
  setOption,
} from "./socket-options.ts";
import { checkBind, checkPrivilegedPort } from "./bind-check.ts";
import { createServerWith, type CreateServerOptions } from "./create-server.ts";
import { AddressFamily, SocketKind } from "./socket-constants.ts";
import { int } from "./int-enum.ts";
import { copyInto, intoCount, recvNowWithFlags, recvWithFlags } from "./recv-flags.ts";
import {
  closeHeldByFiles,
  makefile,
  type MakefileOptions,
  type SocketFile,
  type SocketIO,
  type SocketTextFile,
} from "./socket-file.ts";
import { repr, reprSymbol, type Reprable } from "./repr.ts";
import { defaultWire, type WireDatagram } from "../transport/wire.ts";

/**
 * The socket module's exceptions, under Python's names: `socket.error` is `OSError` and `socket.timeout` is
 * `TimeoutError`, as in Python 3.10 on; `socket.gaierror` and `socket.herror` are OSError's subclasses.
 */
export { OSError as error, TimeoutError as timeout, gaierror, herror } from "./errors.ts";

export { SHUT_RD, SHUT_WR, SHUT_RDWR } from "../kernel/constants.ts";
// The AF_/SOCK_/AI_/MSG_ enum members, the name look-ups, the inet and byte-order helpers.
export * from "./socket-names.ts";
export type {
  FileSocket,
  MakefileOptions,
  SocketFile,
  SocketIO,
  SocketTextFile,
} from "./socket-file.ts";
export type { IntEnum, IntEnumMember } from "./int-enum.ts";
export type { CreateServerOptions } from "./create-server.ts";
export type { Address, Inet6Address, InetAddress, UnixAddress } from "./address.ts";

export {
  SOL_SOCKET,
  SO_REUSEADDR,
  SO_ERROR,
  SO_SNDBUF,
  SO_RCVBUF,
  SO_KEEPALIVE,
  SO_BROADCAST,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_NODELAY,
} from "./socket-options.ts";

/** The timeout new sockets get: `setdefaulttimeout()`. */
let defaultTimeout: number | null = null;

/**
 * What both modes of a socket have: addresses, options, shutdown and close. A socket is one object per mode:
 * `setblocking()` hands out the view for the mode, over the same socket of the kernel.
 */
abstract class SocketBase implements Reprable, Disposable {
  /** @internal The kernel's socket, shared by both views. */
  readonly core: KernelSocket;
  /** @internal The view of the other mode, once made. */
  twin: SocketBase | null = null;

  /** @internal */
  constructor(core: KernelSocket) {
    this.core = core;
  }

  /** The address family: {@link AF_INET}, {@link AF_INET6} or {@link AF_UNIX}. */
  get family(): number {
    return AddressFamily.of(this.core.family);
  }

  /** The socket type: {@link SOCK_STREAM} or {@link SOCK_DGRAM}. */
  get type(): number {
    return SocketKind.of(this.core.type);
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
   * Set the local address, checked as Python does (`OverflowError: bind(): port must be 0-65535.`, `TypeError:
   * AF_INET address must be a pair (host, port)`), then by Linux's port rules (`bind-check.ts`).
   * @throws PermissionError 13 for a privileged port without the right; OSError 98 (EADDRINUSE) for a port in use
   *   or left in TIME_WAIT; OSError 22 (EINVAL) when already bound, listening or connected; OSError 9 when
   *   closed (after the address checks, as in Python).
   */
  bind(address: Address): void {
    const target = normalize(this.core.family, address, "bind");
    checkOpen(this.core);
    const core = this.core;
    // Linux's TCP port rules (listeners, TIME_WAIT, privileged ports); UDP has a port space of its own, where only
    // the privileged-port rule is checked here.
    if (
      core instanceof StreamSocket &&
      target.kind === "inet" &&
      core.bound === null &&
      core.state === "fresh"
    ) {
      checkBind(core, target.host, target.port);
    } else if (target.kind === "inet" && core.bound === null) {
      checkPrivilegedPort(core.wire, target.port);
    }
    const code = this.core.bind(target);
    if (code !== 0) throw explained(code);
  }

  /** The local address: `('127.0.0.1', 65432)`. @throws OSError 9 when closed. */
  getsockname(): Address {
    checkOpen(this.core);
    return toAddress(this.core.family, this.core.localAddress());
  }

  /** The peer's address. @throws OSError 107 (ENOTCONN) when not connected. */
  getpeername(): Address {
    checkOpen(this.core);
    const peer = this.core.peerAddress();
    if (typeof peer === "number") throw explained(peer);
    return toAddress(this.core.family, peer);
  }

  /**
   * Set an option: `SO_REUSEADDR`, `SO_KEEPALIVE`, `SO_SNDBUF`, `SO_RCVBUF` (level `SOL_SOCKET`) or
   * `TCP_NODELAY` (level `IPPROTO_TCP`: each `send()` is then handed to the network at once, where by default a
   * non-blocking socket gathers the sends of one `select()` turn into one write, as Nagle's algorithm would).
   * @throws OSError 92 (ENOPROTOOPT) for other options.
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    checkOpen(this.core);
    setOption(this.core, level, option, value);
  }

  /**
   * Read an option. `SO_ERROR` returns the pending error's errno and clears it (reported once, as in Python).
   * @throws OSError 92 (ENOPROTOOPT) for options we do not have.
   */
  getsockopt(level: number, option: number): number {
    checkOpen(this.core);
    return getOption(this.core, level, option);
  }

  /**
   * Shut down one or both directions (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`). After `SHUT_WR` the peer reads end of
   * stream once what was sent has gone out.
   * @throws OSError 107 (ENOTCONN) when not connected.
   */
  shutdown(how: number): void {
    cInt(
      how,
      "Python int too large to convert to C int",
      "Python int too large to convert to C int",
    );
    const code = this.core.shutdown(how);
    if (code !== 0) throw explained(code);
  }

  /**
   * Close the socket; the fd is freed and `fileno()` returns -1. What was sent still goes out; unread received
   * data makes the peer see a reset, as with a kernel socket. Closing again does nothing. While files from
   * {@link makefile} are open, the socket stays open until the last of them is closed, as in Python.
   */
  close(): void {
    if (!closeHeldByFiles(this.core)) this.core.close();
  }

  /** `using s = socket(...)` closes `s` at the end of the block, like Python's `with`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Python's `makefile(mode='r', buffering=None, *, encoding=None)`: a file over this socket (`socket-file.ts`):
   * `'rb'`/`'wb'`/`'rwb'` read and write bytes, `'r'`/`'w'`/`'rw'` text. Its reads and writes are awaited.
   * @throws ValueError `invalid mode 'x' (only r, w, b allowed)`.
   */
  makefile(mode: "rb" | "wb" | "rwb" | "wrb" | "br" | "bw", options?: MakefileOptions): SocketFile;
  makefile(mode?: "r" | "w" | "rw" | "wr", options?: MakefileOptions): SocketTextFile;
  makefile(mode?: string, options?: MakefileOptions): SocketFile | SocketTextFile | SocketIO;
  makefile(mode = "r", options: MakefileOptions = {}): SocketFile | SocketTextFile | SocketIO {
    return makefile(this as unknown as Socket, this.core, mode, options);
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
    checkOpen(this.core);
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
    checkOpen(this.core);
    this.core.timeout = flag ? null : 0;
    return flag ? this.blockingView() : this.nonBlockingView();
  }

  /** @internal This socket in blocking mode. */
  protected abstract blockingView(): BlockingSocket;

  /** @internal This socket in non-blocking mode. */
  protected abstract nonBlockingView(): NonBlockingSocket;

  /** Python's repr: `<socket.socket fd=5, family=2, type=1, proto=0, laddr=('127.0.0.1', 57217)>`. */
  [reprSymbol](): string {
    const core = this.core;
    const closed = core.isClosed();
    let text = `<socket.socket ${closed ? "[closed] " : ""}fd=${core.fd}, family=${core.family}, type=${core.type}, proto=${core.proto}`;
    if (!closed) {
      const laddr = shown(toAddress(core.family, core.localAddress()));
      if (laddr !== null) text += `, laddr=${laddr}`;
      const peer = core.peerAddress();
      const raddr = typeof peer === "number" ? null : shown(toAddress(core.family, peer));
      if (raddr !== null) text += `, raddr=${raddr}`;
    }
    return `${text}>`;
  }

  /** `console.log(sock)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }
}

/** An address as a repr shows it: `str(addr)`, a Unix path unquoted; `null` when empty. */
function shown(address: Address): string | null {
  if (address === "") return null;
  return typeof address === "string" ? address : repr(address);
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
        listenNow(this.core, backlog, (code) => {
          if (code !== 0) reject(fromErrno(code));
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
    return blockingCall(this.core, READABLE, () => accepted(this.core));
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

  /**
   * Wait for data; returns 1..bufsize bytes, or an empty Buffer at end of stream. `flags`: `MSG_PEEK`,
   * `MSG_DONTWAIT`, `MSG_WAITALL` (`recv-flags.ts`).
   * @throws ValueError for a negative size; OSError 22 for `MSG_OOB`; TimeoutError after the timeout.
   */
  async recv(bufsize: number, flags = 0): Promise<Buffer> {
    if (flags !== 0) return recvWithFlags(this.core, bufsize, flags);
    return blockingCall(this.core, READABLE, () => recvNow(this.core, bufsize));
  }

  /**
   * Python's `recv_into(buffer, nbytes=0, flags=0)`: wait for data and write it at the start of `buffer` (at most
   * `nbytes`, all of it when 0); returns the count (0 at end of stream).
   * @throws ValueError `negative buffersize in recv_into`, `buffer too small for requested bytes`.
   */
  async recvInto(buffer: Uint8Array, nbytes = 0, flags = 0): Promise<number> {
    const count = intoCount(buffer, nbytes, "recv_into");
    return copyInto(buffer, await this.recv(count, flags));
  }

  /** Wait for room in the send buffer; returns how many bytes were taken (may be fewer than given). */
  async send(data: Uint8Array): Promise<number> {
    return blockingCall(this.core, WRITABLE, () => sendNow(this.core, data));
  }

  /**
   * Wait for a datagram (or data); returns its first `bufsize` bytes (the rest of a longer datagram is
   * discarded) and the sender's address (`null` when it has none: a stream, an unnamed Unix socket).
   * @throws ValueError `negative buffersize in recvfrom`; the pending error once (ConnectionRefusedError 111
   *   after a datagram to a closed port); TimeoutError after the timeout.
   */
  async recvfrom(bufsize: number): Promise<[Buffer, Address | null]> {
    return blockingCall(this.core, READABLE, () => recvfromNow(this.core, bufsize));
  }

  /**
   * Python's `recvfrom_into(buffer, nbytes=0, flags=0)`: wait for data (a datagram) and copy at most `nbytes` of
   * it (0: the buffer's length) into `buffer`; returns the count and the sender's address (`null` on a stream
   * socket, which does not give it, and for an unnamed sender).
   * @throws ValueError for a negative `nbytes` or one beyond the buffer; as {@link recvfrom}.
   */
  async recvfromInto(buffer: Uint8Array, nbytes = 0, flags = 0): Promise<[number, Address | null]> {
    if (this.core instanceof StreamSocket || flags !== 0) {
      const count = intoCount(buffer, nbytes, "recvfrom_into");
      return [copyInto(buffer, await this.recv(count, flags)), null];
    }
    return blockingCall(this.core, READABLE, () => recvfromIntoNow(this.core, buffer, nbytes));
  }

  /**
   * Send `data` as one datagram to `address` (Python's `sendto(data, address)` or `sendto(data, flags,
   * address)`, flags 0); waits for room in the send buffer. Returns the length.
   * @throws OSError 90 (`Message too long`) for a datagram larger than the family allows; PermissionError 13
   *   for a broadcast without SO_BROADCAST; BrokenPipeError 32 after shutdown(SHUT_WR).
   */
  async sendto(data: Uint8Array, address: Address): Promise<number>;
  async sendto(data: Uint8Array, flags: number, address: Address): Promise<number>;
  async sendto(data: Uint8Array, ...rest: [Address] | [number, Address]): Promise<number> {
    return blockingCall(this.core, WRITABLE, () => sendtoNow(this.core, data, rest));
  }

  /**
   * Send all of `data`, waiting for room as needed. The socket's timeout bounds the whole call, as in Python 3.5
   * and later: it is not restarted by each send that makes progress.
   * @throws TimeoutError when the timeout passes before all is sent (what was sent stays sent).
   */
  async sendall(data: Uint8Array): Promise<void> {
    checkBytes(data);
    const core = this.core;
    const deadline = core.timeout === 0 ? null : deadlineOf(core);
    let offset = 0;
    do {
      // As CPython's sock_sendall(): once the time is up, no further send is tried.
      if (offset > 0 && deadline !== null && performance.now() >= deadline) {
        throw new TimeoutError("timed out");
      }
      offset += await blockingCall(
        core,
        WRITABLE,
        () => sendNow(core, data.subarray(offset)),
        deadline,
      );
    } while (offset < data.length);
  }

  protected blockingView(): BlockingSocket {
    return pairOf(this, this.twin, BlockingSocket);
  }

  protected nonBlockingView(): NonBlockingSocket {
    return pairOf(this, this.twin, NonBlockingSocket);
  }
}

/** A connection taken from a listening socket, with the default timeout, in blocking mode, and its peer. */
function accepted(core: KernelSocket): [BlockingSocket, Address] {
  const [conn, address] = acceptNow(core, defaultTimeout);
  return [new BlockingSocket(conn), address];
}

/** Start connecting, then wait for the outcome: 0, or the errno. */
async function connectAndWait(core: KernelSocket, address: Address, fn: string): Promise<number> {
  // Python parses the address first, before it looks at the socket.
  const started = core.connect(normalize(core.family, address, fn));
  if (started !== errno.EINPROGRESS) return started;
  try {
    await waitFor(core, WRITABLE);
  } catch (e) {
    throw raisedHere(e);
  }
  if (core.isClosed()) return errno.EBADF;
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
    listenNow(this.core, backlog);
  }

  /**
   * Take a pending connection: returns the new socket (blocking, as in Python: call `setblocking(false)` on it)
   * and the peer's address.
   * @throws BlockingIOError (11) when none is pending; OSError 22 when not listening.
   */
  accept(): [BlockingSocket, Address] {
    return accepted(this.core);
  }

  /**
   * Start connecting.
   * @throws BlockingIOError (115, `Operation now in progress`): the connection is under way.
   */
  connect(address: Address): void {
    const code = this.core.connect(normalize(this.core.family, address, "connect"));
    if (code !== 0) throw fromErrno(code);
  }

  /**
   * Start connecting; returns 115 (EINPROGRESS) instead of raising. Called again: 114 (EALREADY) while under
   * way, 0 once when connected (then 106, EISCONN), or the pending error's errno (111 when refused).
   */
  connectEx(address: Address): number {
    return this.core.connect(normalize(this.core.family, address, "connect_ex"));
  }

  /**
   * Read up to `bufsize` buffered bytes; an empty Buffer at end of stream.
   * @throws BlockingIOError (11) when nothing is buffered; the pending error (e.g. ConnectionResetError 104)
   *   once; OSError 107 when never connected; ValueError for a negative size.
   */
  recv(bufsize: number, flags = 0): Buffer {
    return flags === 0 ? recvNow(this.core, bufsize) : recvNowWithFlags(this.core, bufsize, flags);
  }

  /** Python's `recv_into(buffer, nbytes=0, flags=0)`; returns the count. @throws as {@link recv}. */
  recvInto(buffer: Uint8Array, nbytes = 0, flags = 0): number {
    return copyInto(buffer, this.recv(intoCount(buffer, nbytes, "recv_into"), flags));
  }

  /**
   * Queue as much of `data` as the send buffer has room for; returns the count (0 for an empty buffer).
   * @throws BlockingIOError (11) when the buffer is full; BrokenPipeError (32) after shutdown or a broken
   *   connection; the pending error once.
   */
  send(data: Uint8Array): number {
    return sendNow(this.core, data);
  }

  /**
   * Take one queued datagram (or data): its first `bufsize` bytes and the sender's address (`null` when it has
   * none).
   * @throws BlockingIOError (11) when none is queued; the pending error once (ConnectionRefusedError 111 after a
   *   datagram to a closed port); ValueError for a negative size.
   */
  recvfrom(bufsize: number): [Buffer, Address | null] {
    return recvfromNow(this.core, bufsize);
  }

  /**
   * Python's `recvfrom_into(buffer, nbytes=0, flags=0)`: copy at most `nbytes` (0: the buffer's length) of one
   * queued datagram (or of the stream's data) into `buffer`; returns the count and the sender's address (`null`
   * on a stream socket).
   * @throws as {@link recvfrom}; ValueError for an `nbytes` beyond the buffer.
   */
  recvfromInto(buffer: Uint8Array, nbytes = 0, flags = 0): [number, Address | null] {
    if (this.core instanceof StreamSocket || flags !== 0) {
      return [copyInto(buffer, this.recv(intoCount(buffer, nbytes, "recvfrom_into"), flags)), null];
    }
    return recvfromIntoNow(this.core, buffer, nbytes);
  }

  /**
   * Send `data` as one datagram to `address` (or `sendto(data, flags, address)`, flags 0); returns the length.
   * @throws BlockingIOError (11) when the send buffer is full; OSError 90 (`Message too long`); PermissionError
   *   13 for a broadcast without SO_BROADCAST; the pending error once.
   */
  sendto(data: Uint8Array, address: Address): number;
  sendto(data: Uint8Array, flags: number, address: Address): number;
  sendto(data: Uint8Array, ...rest: [Address] | [number, Address]): number {
    return sendtoNow(this.core, data, rest);
  }

  /**
   * Send all of `data` or raise: like Python's non-blocking `sendall`, it sends until the buffer is full and then
   * raises `BlockingIOError`, and how much went out is lost.
   */
  sendall(data: Uint8Array): void {
    checkBytes(data);
    let offset = 0;
    while (offset < data.length) offset += sendNow(this.core, data.subarray(offset));
  }

  protected blockingView(): BlockingSocket {
    return pairOf(this, this.twin, BlockingSocket);
  }

  protected nonBlockingView(): NonBlockingSocket {
    return pairOf(this, this.twin, NonBlockingSocket);
  }
}

/** `view` itself when it is a `Kind`, else its twin: made once, and linked both ways. */
function pairOf<T extends SocketBase>(
  view: SocketBase,
  twin: SocketBase | null,
  Kind: new (core: KernelSocket) => T,
): T {
  if (view instanceof Kind) return view;
  if (twin instanceof Kind) return twin;
  const made = new Kind(view.core);
  view.twin = made;
  made.twin = view;
  return made;
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

/** `SOCK_NONBLOCK` and `SOCK_CLOEXEC`, the flags Linux takes in `socket()`'s type. */
const TYPE_FLAGS = 2048 | 524288;
/** `SOCK_RAW`, `SOCK_SEQPACKET`, `SOCK_PACKET`: types Linux has, and this emulation does not. */
const SOCK_RAW = 3;
const SOCK_SEQPACKET = 5;
const SOCK_PACKET = 10;

/**
 * Python's `socket.socket(family, type, proto)`: a new socket, in blocking mode, or non-blocking when the type
 * has `SOCK_NONBLOCK` (its timeout is then 0.0, as Python's); `SOCK_CLOEXEC` is taken and has no effect here.
 * `type` reads back without the flags. `proto` is 0, or {@link IPPROTO_TCP} (6) / {@link IPPROTO_UDP} (17) for an
 * AF_INET/AF_INET6 socket; it shows in the repr.
 * @throws OSError 97 for an unknown family; OSError 94 (Socket type not supported) for a type the family does
 *   not have; OSError 93 (Protocol not supported) for another protocol, and for the types Linux has that are not
 *   emulated (`SOCK_RAW`, `SOCK_SEQPACKET`, `SOCK_PACKET`).
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): BlockingSocket {
  [family, type] = [int(family), int(type)]; // a member of AddressFamily / SocketKind, or its number
  if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
    throw fromErrno(errno.EAFNOSUPPORT);
  }
  const nonblocking = (type & 2048) !== 0;
  type &= ~TYPE_FLAGS;
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM) {
    const linuxHasIt =
      family === AF_UNIX
        ? type === SOCK_RAW || type === SOCK_SEQPACKET
        : type === SOCK_RAW || (family === AF_INET && type === SOCK_PACKET);
    throw fromErrno(linuxHasIt ? errno.EPROTONOSUPPORT : ESOCKTNOSUPPORT);
  }
  const ipProto = type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  if (proto !== 0 && (proto !== ipProto || family === AF_UNIX)) {
    throw fromErrno(errno.EPROTONOSUPPORT);
  }
  // Like a selector: from here on a Ctrl-C that comes just before a blocking call starts to wait is not fatal
  // (Node runs the listener from its event loop, when the call waits, and the call raises KeyboardInterrupt).
  listenForSigint();
  const wire = defaultWire();
  const core =
    type === SOCK_STREAM
      ? new StreamSocket(family, type, proto, wire)
      : new DatagramSocket(family, type, proto, wire);
  core.open(nonblocking ? 0 : defaultTimeout);
  return new BlockingSocket(core);
}

/**
 * Python's `socket.socketpair(family, type)`: two connected AF_UNIX sockets, in blocking mode. Node has no
 * socketpair, so a stream pair is connected through a temporary listening socket, and is awaited; a datagram pair
 * (`SOCK_DGRAM`) is two unnamed Unix datagram sockets of the wire, each the other's peer (on the default wire, in
 * a memory network local to the process: Node has no Unix datagram sockets).
 * @throws OSError 95 for a family other than AF_UNIX; OSError 93 for another type or protocol.
 */
export async function socketpair(
  family: number = AF_UNIX,
  type: number = SOCK_STREAM,
  proto = 0,
): Promise<[BlockingSocket, BlockingSocket]> {
  [family, type] = [int(family), int(type)];
  if (family !== AF_UNIX) throw fromErrno(errno.EOPNOTSUPP);
  if ((type !== SOCK_STREAM && type !== SOCK_DGRAM) || proto !== 0) {
    throw fromErrno(errno.EPROTONOSUPPORT);
  }
  if (type === SOCK_DGRAM) return datagramPair();
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

/** Two unnamed Unix datagram sockets, each the other's peer. */
function datagramPair(): [BlockingSocket, BlockingSocket] {
  listenForSigint();
  const wire = defaultWire();
  const [a, b] = wire.datagramPair();
  const end = (endpoint: WireDatagram): BlockingSocket => {
    const core = new DatagramSocket(AF_UNIX, SOCK_DGRAM, 0, wire, endpoint);
    core.unnamed = true;
    core.peer = { kind: "unix", path: "" };
    core.open(defaultTimeout);
    return new BlockingSocket(core);
  };
  return [end(a), end(b)];
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

/**
 * Python's `socket.create_server(address, *, family=AF_INET, backlog=None, reuse_port=False,
 * dualstack_ipv6=False)`: a listening socket, SO_REUSEADDR set, as `socket.py` makes it (`create-server.ts`).
 * Awaited (it listens).
 * @throws ValueError for `dualstackIpv6` without AF_INET6; OSError with the address in its text for a bind error.
 */
export function createServer(
  address: InetAddress | Inet6Address,
  options: CreateServerOptions = {},
): Promise<BlockingSocket> {
  return createServerWith((family) => socket(family), address, options, {
    SOL_SOCKET,
    SO_REUSEADDR,
  });
}

/** Is this a socket of ours (either mode)? */
export function isSocket(value: unknown): value is Socket {
  return value instanceof SocketBase;
}
