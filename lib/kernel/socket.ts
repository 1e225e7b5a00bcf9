/**
 * What every socket of the kernel's model has, whatever its type: an fd, a family, type and protocol, the wire
 * that carries its bytes, a timeout for the calls that wait, the options, a pending error reported once, and the
 * watchers told when its readiness may have changed (the wait queue selectors and blocking calls sleep on).
 *
 * Rules:
 * - The model knows no Node API and no Python exception: a call that fails returns an errno
 *   (`lib/kernel/errno.ts`), and the faces in `lib/python/` raise Python's error for it.
 * - Readiness is computed on demand from the state ({@link KernelSocket.readiness}); whatever may change it calls
 *   `watchers.notify()`.
 * - A pending error is reported once: the first call that reads it ({@link KernelSocket.takeErrno}) clears it.
 * @module
 */
import type { Endpoint, Wire } from "../transport/interface.ts";
import { AF_INET6, AF_UNIX } from "./constants.ts";
import { Watchers, allocateFd, type Selectable, type Watcher } from "./fd.ts";

/** Default receive and send buffer sizes, in bytes. */
export const DEFAULT_BUFFER = 256 * 1024;

/** The base of the stream and datagram sockets. */
export abstract class KernelSocket implements Selectable {
  /** The fd, or -1 before {@link open} and once closed. */
  fd = -1;
  /** Seconds the waiting calls wait; `null` = without limit, `0` = they do not wait (non-blocking). */
  timeout: number | null = null;
  readonly watchers = new Watchers();
  /** The local address given to `bind()`, if any. */
  bound: Endpoint | null = null;
  /** A pending error (errno), reported once. */
  pendingErrno: number | null = null;

  rcvbuf = DEFAULT_BUFFER;
  sndbuf = DEFAULT_BUFFER;
  reuseaddr = 0;
  /** `SO_BROADCAST`, as set. */
  broadcast = 0;
  /** Sockets from socketpair() have no name: their addresses are `''`. */
  unnamed = false;
  /** A stream's peer ended its side, or reading was shut down (always `false` for a datagram socket). */
  eof = false;
  /** An error ended the connection: readable and writable from now on (epoll's ERR|HUP). */
  hangup = false;

  constructor(
    readonly family: number,
    readonly type: number,
    readonly proto: number,
    /** What carries the bytes: `node:net`, or a memory network (see `lib/transport/wire.ts`). */
    readonly wire: Wire,
  ) {}

  /** Give the socket its fd (the lowest free) and its timeout, as a new socket gets. */
  open(timeout: number | null): void {
    this.fd = allocateFd(this);
    this.timeout = timeout;
  }

  /** Is the socket closed? */
  abstract isClosed(): boolean;

  /** The readiness bits (`READABLE`, `WRITABLE`, `HANGUP` of `fd.ts`); 0 once closed. */
  abstract readiness(): number;

  /** Close the socket; closing again does nothing. */
  abstract close(): void;

  /** Bytes received and not yet read. */
  abstract get buffered(): number;

  /** Read up to `bufsize` (≥ 0) bytes: the bytes (empty at end of stream), or an errno. */
  abstract recv(bufsize: number): Buffer | number;

  /** As {@link recv}, but what is returned stays queued (`MSG_PEEK`). */
  abstract peek(bufsize: number): Buffer | number;

  /** {@link recv}, with the sender's address (`null` when it has none: a stream, an unnamed Unix socket). */
  abstract recvfrom(bufsize: number): [Buffer, Endpoint | null] | number;

  /** Send what fits of `data` to the peer: the count, or `-errno`. */
  abstract send(data: Uint8Array): number;

  /** Send `data` to `to` (a stream ignores it, as Linux does once connected): the count, or `-errno`. */
  abstract sendto(data: Uint8Array, to: Endpoint): number;

  /** Take a pending connection, giving it an fd and `timeout`; or an errno. */
  abstract accept(timeout: number | null): KernelSocket | number;

  /** Start connecting to `target` (a datagram socket: set its peer): the errno `connect_ex` would return. */
  abstract connect(target: Endpoint): number;

  /** The outcome of a connect under way: 0, its errno, or 115 (EINPROGRESS) while it is still under way. */
  abstract connectResult(): number;

  /** Start listening; `report` hears the outcome. @returns 0, or the errno of a call that cannot start. */
  abstract listen(backlog: number | undefined, report?: (errno: number) => void): number;

  /** Shut down `how` (SHUT_RD, SHUT_WR, SHUT_RDWR): 0 or an errno. */
  abstract shutdown(how: number): number;

  /** Set the local address: 0 or an errno. */
  abstract bind(target: Endpoint): number;

  /** The local address (the caller checks the socket is open). */
  abstract localAddress(): Endpoint;

  /** The peer's address, or ENOTCONN (the caller checks the socket is open). */
  abstract peerAddress(): Endpoint | number;

  /** The peer's address as accept() returns it; `null` when it cannot be known any more. */
  acceptedFrom(): Endpoint | null {
    return null;
  }

  fileno(): number {
    return this.fd;
  }

  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  /** The pending error's errno, cleared (reported once); 0 when none. */
  takeErrno(): number {
    const code = this.pendingErrno;
    if (code === null) return 0;
    this.pendingErrno = null;
    return code;
  }

  /** `SO_BROADCAST`. */
  setBroadcast(value: number): void {
    this.broadcast = value;
  }

  /** The IP version names are resolved in: 6 for AF_INET6, else 4. */
  ipVersion(): 4 | 6 {
    return this.family === AF_INET6 ? 6 : 4;
  }
}

/** The family's any-address: `0.0.0.0` or `::` port 0, or the unnamed Unix address `''`. */
export function anyAddress(family: number): Endpoint {
  if (family === AF_UNIX) return { kind: "unix", path: "" };
  return { kind: "inet", host: family === AF_INET6 ? "::" : "0.0.0.0", port: 0 };
}
