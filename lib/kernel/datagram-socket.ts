/**
 * The kernel's model of a datagram socket (UDP, or a Unix datagram socket): a queue of whole datagrams received,
 * the send buffer the wire has not yet emptied, a peer when connected, and Linux's rules for each call. A
 * {@link WireDatagram} carries the datagrams; its events arrive here as a `DatagramSink`.
 *
 * Rules (Linux's, as Python shows them):
 * - Message boundaries are kept: each `recv`/`recvfrom` takes one datagram; a shorter read returns its first
 *   `bufsize` bytes and discards the rest. An empty datagram is a datagram (`b''`).
 * - Readable while a datagram is queued or an error is pending; writable while the send buffer has room. A fresh
 *   socket is writable only (no HUP, unlike a stream).
 * - A datagram larger than the family allows is `EMSGSIZE` (90): 65,507 bytes over IPv4, 65,527 over IPv6,
 *   `SO_SNDBUF` − 32 for a Unix socket. A datagram that finds the receive buffer full is dropped, as Linux drops it.
 * - Unbound, a socket takes the any-address and a free port at its first send or receive (Linux's autobind).
 * - Connected, it sends to its peer by default, takes datagrams from its peer only (those queued before stay), and
 *   hears the errors its datagrams cause: a datagram to a closed port makes the next call raise
 *   `ECONNREFUSED` (111), once. Unconnected, such errors are not reported.
 * - `listen`/`accept` are `EOPNOTSUPP` (95). `shutdown` of an unconnected socket shuts down and still returns
 *   `ENOTCONN` (107), as Linux does; after `SHUT_WR` sends are `EPIPE`; after `SHUT_RD` datagrams still arrive.
 * @module
 */
import type { DatagramSink, Endpoint, Wire, WireDatagram } from "../transport/interface.ts";
import { AF_INET6, AF_UNIX, SHUT_RD, SHUT_RDWR, SHUT_WR } from "./constants.ts";
import {
  EACCES,
  EAGAIN,
  EBADF,
  EDESTADDRREQ,
  EINVAL,
  EMSGSIZE,
  ENOTCONN,
  EOPNOTSUPP,
  EPIPE,
} from "./errno.ts";
import { HANGUP, READABLE, WRITABLE, releaseFd } from "./fd.ts";
import { KernelSocket, anyAddress } from "./socket.ts";

/** Linux's default `SO_RCVBUF` and `SO_SNDBUF` of a datagram socket (`net.core.rmem_default`). */
export const DATAGRAM_BUFFER = 212_992;
/** The largest UDP payload over IPv4 (65,535 − 20 − 8) and over IPv6 (65,535 − 8). */
const MAX_UDP4 = 65_507;
const MAX_UDP6 = 65_527;
/** What a Unix datagram takes of the send buffer besides its bytes. */
const UNIX_OVERHEAD = 32;

/** One datagram received: its bytes and its sender. */
interface Received {
  readonly data: Buffer;
  readonly from: Endpoint;
}

/** A datagram socket of the kernel's model. */
export class DatagramSocket extends KernelSocket implements DatagramSink {
  private closed = false;
  /** The datagrams received, not yet read, oldest first. */
  private readonly queue: Received[] = [];
  private queuedBytes = 0;
  /** The connected peer, if any. */
  peer: Endpoint | null = null;
  /** Sends were shut down (`SHUT_WR`). Shutting down reading changes nothing: datagrams still arrive, as on Linux. */
  private writeShut = false;
  /** Set when a send found no room: the next completion may make the socket writable again. */
  private sendBlocked = false;
  /** Datagrams are still in the wire: it keeps the process alive until they are sent. */
  private flushing = false;
  /** The wire's endpoint. */
  readonly endpoint: WireDatagram;

  constructor(family: number, type: number, proto: number, wire: Wire, endpoint?: WireDatagram) {
    super(family, type, proto, wire);
    this.rcvbuf = this.sndbuf = DATAGRAM_BUFFER;
    this.endpoint =
      endpoint ?? wire.datagram(family === AF_UNIX ? "unix" : family === AF_INET6 ? 6 : 4);
    this.endpoint.attach(this);
  }

  get buffered(): number {
    return this.queuedBytes;
  }

  isClosed(): boolean {
    return this.closed;
  }

  readiness(): number {
    if (this.closed) return 0;
    if (this.pendingErrno !== null) return READABLE | WRITABLE | HANGUP;
    let bits = this.queue.length > 0 ? READABLE : 0;
    if (this.endpoint.pending < this.sndbuf) bits |= WRITABLE;
    return bits;
  }

  // The wire's events (DatagramSink)

  datagram(data: Buffer, from: Endpoint): void {
    if (this.closed) return;
    const peer = this.peer;
    if (peer !== null && !sameEndpoint(peer, from)) return;
    // Linux drops a datagram that finds the receive buffer full.
    if (this.queuedBytes > 0 && this.queuedBytes + data.length > this.rcvbuf) return;
    this.queue.push({ data, from });
    this.queuedBytes += data.length;
    this.watchers.notify();
  }

  error(errno: number): void {
    if (this.closed || this.peer === null) return;
    this.pendingErrno = errno;
    this.watchers.notify();
  }

  written(): void {
    if (this.flushing && this.endpoint.pending === 0) {
      this.flushing = false;
      this.endpoint.keepAlive(false);
    }
    if (this.sendBlocked && this.endpoint.pending < this.sndbuf) {
      this.sendBlocked = false;
      this.watchers.notify();
    }
  }

  // The calls

  recv(bufsize: number): Buffer | number {
    const got = this.recvfrom(bufsize);
    return typeof got === "number" ? got : got[0];
  }

  recvfrom(bufsize: number): [Buffer, Endpoint | null] | number {
    if (this.closed) return EBADF;
    const code = this.takeErrno();
    if (code !== 0) return code;
    if (this.bound === null) this.autobind();
    const first = this.queue.shift();
    if (first === undefined) return EAGAIN;
    this.queuedBytes -= first.data.length;
    const data = first.data.length > bufsize ? first.data.subarray(0, bufsize) : first.data;
    const from = first.from;
    return [data, from.kind === "unix" && from.path === "" ? null : from];
  }

  /** The next datagram's first `bufsize` bytes, left queued (`MSG_PEEK`); or an errno. */
  peek(bufsize: number): Buffer | number {
    if (this.closed) return EBADF;
    if (this.pendingErrno !== null) return this.takeErrno();
    const first = this.queue[0];
    if (first === undefined) return EAGAIN;
    return first.data.length > bufsize ? first.data.subarray(0, bufsize) : first.data;
  }

  send(data: Uint8Array): number {
    return this.sendto(data, null);
  }

  /** Send one datagram to `to` (`null`: the peer): its length, or `-errno`. */
  sendto(data: Uint8Array, to: Endpoint | null): number {
    if (this.closed) return -EBADF;
    if (data.length > this.largest()) return -EMSGSIZE;
    if (this.writeShut) return -EPIPE;
    const code = this.takeErrno();
    if (code !== 0) return -code;
    const target = to ?? this.peer;
    if (target === null) return -EDESTADDRREQ;
    if (target.kind === "inet" && target.host === "255.255.255.255" && this.broadcast === 0) {
      return -EACCES;
    }
    if (this.endpoint.pending >= this.sndbuf) {
      this.sendBlocked = true;
      return -EAGAIN;
    }
    if (this.bound === null) this.autobind();
    // The kernel copies what send() accepts: the caller may reuse its buffer.
    this.endpoint.send(Buffer.from(data), to);
    if (!this.flushing && this.endpoint.pending > 0) {
      // Like the kernel, send what sendto() accepted even if the program ends now.
      this.flushing = true;
      this.endpoint.keepAlive(true);
    }
    if (this.endpoint.pending >= this.sndbuf) this.sendBlocked = true;
    return data.length;
  }

  /** The largest datagram this socket can send. */
  private largest(): number {
    if (this.family === AF_UNIX) return this.sndbuf - UNIX_OVERHEAD;
    return this.family === AF_INET6 ? MAX_UDP6 : MAX_UDP4;
  }

  /** Linux's autobind: the any-address and a free port (a Unix socket stays unnamed). */
  private autobind(): void {
    if (this.family === AF_UNIX) return;
    if (this.endpoint.bind(anyAddress(this.family)) === 0) this.bound = this.endpoint.local();
  }

  accept(_timeout: number | null): number {
    return this.closed ? EBADF : EOPNOTSUPP;
  }

  listen(_backlog: number | undefined, _report?: (errno: number) => void): number {
    return this.closed ? EBADF : EOPNOTSUPP;
  }

  /** Set the peer (at once: there is no handshake): 0, or an errno. */
  connect(target: Endpoint): number {
    if (this.closed) return EBADF;
    if (this.bound === null) this.autobind();
    const peer =
      target.kind === "inet" ? { ...target, host: loopbackFor(target.host, this.family) } : target;
    const code = this.endpoint.connect(peer);
    if (code !== 0) return code;
    this.peer = peer;
    return 0;
  }

  connectResult(): number {
    return 0;
  }

  shutdown(how: number): number {
    if (this.closed) return EBADF;
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return EINVAL;
    if (how !== SHUT_RD) this.writeShut = true;
    this.watchers.notify();
    return this.peer === null ? ENOTCONN : 0;
  }

  bind(target: Endpoint): number {
    if (this.bound !== null) return EINVAL;
    const code = this.endpoint.bind(target);
    if (code !== 0) return code;
    this.bound = this.endpoint.local() ?? target;
    return 0;
  }

  localAddress(): Endpoint {
    if (this.unnamed) return { kind: "unix", path: "" };
    return this.endpoint.local() ?? this.bound ?? anyAddress(this.family);
  }

  peerAddress(): Endpoint | number {
    if (this.peer === null) return ENOTCONN;
    return this.unnamed ? { kind: "unix", path: "" } : this.peer;
  }

  /** `SO_BROADCAST`. */
  override setBroadcast(value: number): void {
    this.broadcast = value;
    this.endpoint.setBroadcast(value !== 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) releaseFd(this.fd);
    this.fd = -1;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.endpoint.close();
    this.watchers.notify();
  }
}

/** `localhost` as the family's loopback address, as the resolver gives it; other hosts as they are. */
function loopbackFor(host: string, family: number): string {
  if (host !== "localhost") return host;
  return family === AF_INET6 ? "::1" : "127.0.0.1";
}

/** Do two endpoints name the same address? (An IPv4-mapped IPv6 host matches its IPv4 form.) */
function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (a.kind === "unix" || b.kind === "unix") {
    return a.kind === b.kind && a.kind === "unix" && b.kind === "unix" && a.path === b.path;
  }
  return a.port === b.port && unmapped(a.host) === unmapped(b.host);
}

function unmapped(host: string): string {
  return host.startsWith("::ffff:") ? host.slice(7) : host;
}
