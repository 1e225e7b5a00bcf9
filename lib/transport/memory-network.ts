/**
 * An in-memory network: sockets whose bytes travel inside the process, with no ports, no kernel and a delivery
 * order that is the same on every run. A test decides how bytes arrive.
 *
 * The sockets are the same {@link python/socket.BlockingSocket} and {@link python/socket.NonBlockingSocket} as on the real
 * network (the kernel's model in `lib/kernel/` keeps buffers, readiness, errno and states; only the wire under it
 * changes, see `wire.ts`; this network's parts are in `memory/`),
 * so selectors see them exactly as real ones, level-triggered, and they raise the same Python errors: a refused
 * connection `ConnectionRefusedError` (111), a reset `ConnectionResetError` (104), a closed socket `OSError` (9).
 *
 * The rules:
 * - **Addresses.** Listeners bind loopback (`127.0.0.0/8`, `::1`), the wildcards (`0.0.0.0`, `::`, also reached
 *   by any loopback host of their family) or Unix paths; port 0 takes the next free port from 32768 up, as Linux
 *   does (a closed socket's port is free again; `ephemeralPorts` sets the range). Another host gives `[Errno 99] Cannot assign requested address`; a taken address `[Errno 98]`.
 * - **Delivery.** What a socket writes is delivered in steps. A step makes the connections that were asked for
 *   (or refuses them), then hands each direction that has bytes in flight its next delivery: everything when the
 *   direction has no {@link MemoryPipe.chunkSize}, else at most that many bytes, one delivery per step. Steps run
 *   by themselves (one per turn of Node's event loop, `setImmediate`), or, with `{ auto: false }`, when the test
 *   calls {@link MemoryNetwork.step}. Directions take turns in the order they first had something to deliver.
 * - **Flow control.** A receiving socket takes bytes up to its `SO_RCVBUF`, then stops (as on the real wire);
 *   bytes not yet delivered count in the sender's send buffer, so a direction that is held or whose reader does
 *   not read fills the sender's `SO_SNDBUF`: `send()` goes partial, then raises `BlockingIOError`.
 * - **Faults.** {@link MemoryPipe.hold} keeps a direction's bytes in flight until {@link MemoryPipe.release};
 *   {@link MemoryNetwork.reset} breaks a connection (both ends: `ConnectionResetError`);
 *   {@link MemoryNetwork.refuse} makes an address refuse connections even while something listens there.
 * - **Datagrams.** `SOCK_DGRAM` sockets bind at once (loopback, the wildcards, Unix paths; UDP ports apart from
 *   TCP's). A datagram sent goes out at the next step, whole, through the delivery layers the test added, in
 *   order: {@link MemoryNetwork.loss}, {@link MemoryNetwork.duplicate}, {@link MemoryNetwork.reorder},
 *   {@link MemoryNetwork.delay} (`memory/delivery.ts`), each seeded by `{ seed }`, so a run repeats exactly. A datagram to an address where
 *   nothing is bound is dropped; a connected sender hears `ConnectionRefusedError` (111), as from Linux's ICMP.
 * - **Close.** As on the kernel: `close()` with unread data resets the peer (TCP); otherwise the peer reads what
 *   was sent, then end of stream. Bytes that reach a closed socket reset their sender.
 * - **Restarts and privileges.** The end that closes a connection first stays in TIME-WAIT for `timeWait` seconds
 *   (60) of the network's clock, which {@link MemoryWire.advance} moves (and, with `{ auto: false }`, each step,
 *   by 1 ms): until then a `bind()` of that port fails with `[Errno 98] Address already in use` unless both
 *   sockets set SO_REUSEADDR. Ports below 1024 need the option `administrator`: else `bind()` raises
 *   `PermissionError: [Errno 13]`, as for a normal user on Linux (`lib/kernel/bind-rules.ts` has the rules).
 * - **Tools.** Each connection end has a TCP state (`memory/tcp-state.ts`: SYN-SENT, ESTAB, FIN-WAIT-1/2,
 *   CLOSE-WAIT, LAST-ACK, CLOSING, TIME-WAIT), {@link MemoryNetwork.ss} prints the sockets as `ss -tan` does, and
 *   {@link MemoryNetwork.capture} writes every segment as a pcap file (`memory/capture.ts`), stamped by the
 *   network's clock under `{ auto: false }` (`memory/clock.ts`).
 *
 * @example
 * ```ts
 * using network = new MemoryNetwork({ chunkSize: 1 }).install(); // socket.socket() now makes in-memory sockets
 * const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * lsock.bind(["127.0.0.1", 65432]);
 * await lsock.listen();
 * // ... run the course's server and client unchanged; each recv() gets one byte.
 * ```
 * @module
 */
import type { Address, BlockingSocket, Socket } from "../python/socket.ts";
import { socket } from "../python/socket.ts";
import { AF_INET, SOCK_STREAM } from "../kernel/constants.ts";
import { RuntimeError } from "../python/errors.ts";
import { repr } from "../python/repr.ts";
import { Capture } from "./memory/capture.ts";
import { asKernelSocket, listenersByWire } from "./memory/kernel-view.ts";
import { MemoryWire } from "./memory/network.ts";
import type { MemoryPipe } from "./memory/pipe.ts";
import {
  formatSs,
  socketRows,
  type DatagramInfo,
  type ListenerInfo,
  type SocketRow,
  type SsOptions,
} from "./memory/socket-table.ts";
import { MemoryStream } from "./memory/stream.ts";
import type { EndAddress, SegmentTap, TcpEndpoint } from "./memory/tcp-state.ts";
import { setDefaultWire, type Wire } from "./wire.ts";
import type { Endpoint } from "./interface.ts";

export type { MemoryNetworkOptions } from "./memory/network.ts";
export { MemoryPipe } from "./memory/pipe.ts";
export { Capture } from "./memory/capture.ts";
export { NetworkClock } from "./memory/clock.ts";
export type { Netid, SocketRow, SocketState, SsOptions } from "./memory/socket-table.ts";
export type {
  EndAddress,
  Segment,
  SegmentTap,
  StreamNetid,
  TcpEndpoint,
  TcpState,
} from "./memory/tcp-state.ts";

/**
 * An in-memory network (see the module rules): a {@link Wire} whose connections live inside the process. Make
 * sockets on it with {@link MemoryNetwork.socket}, or {@link MemoryNetwork.install} it so that `socket.socket()`
 * makes them, for code that makes its own sockets (the course's programs).
 */
export class MemoryNetwork extends MemoryWire implements Disposable {
  private previous: Wire | null = null;

  /**
   * Make this network the wire of the sockets `socket.socket()` makes from now on (sockets made before keep
   * theirs), until `uninstall()` or the end of a `using` block.
   * @throws RuntimeError when already installed.
   */
  install(): this {
    if (this.previous !== null) throw new RuntimeError("this MemoryNetwork is already installed");
    this.previous = setDefaultWire(this);
    return this;
  }

  /** Give `socket.socket()` back the wire it had before {@link install}. Does nothing when not installed. */
  uninstall(): void {
    if (this.previous === null) return;
    setDefaultWire(this.previous);
    this.previous = null;
  }

  /** `using network = new MemoryNetwork().install()`: uninstalls at the end of the block. */
  [Symbol.dispose](): void {
    this.uninstall();
  }

  /**
   * Python's `socket.socket(family, type, proto)` on this network, installed or not.
   * @throws OSError as `socket.socket()` does.
   */
  socket(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0): BlockingSocket {
    const previous = setDefaultWire(this);
    try {
      return socket(family, type, proto);
    } finally {
      setDefaultWire(previous);
    }
  }

  /**
   * The direction `sock` sends on: hold it, release it, limit its deliveries.
   * @throws TypeError when `sock` has no connection on this network (never connected, or another wire).
   */
  outgoing(sock: Socket): MemoryPipe {
    return this.connectionOf(sock).out;
  }

  /** The direction `sock` receives on (its peer's outgoing). @throws TypeError as {@link outgoing}. */
  incoming(sock: Socket): MemoryPipe {
    return this.connectionOf(sock).in;
  }

  /**
   * Break the connection of `sock`, as a reset on the way would: what is in flight is lost, and both ends see
   * `ConnectionResetError` (104) at their next `recv`/`send`, and readiness (readable and writable) at once.
   * @throws TypeError as {@link outgoing}.
   */
  reset(sock: Socket): void {
    this.resetStream(this.connectionOf(sock));
  }

  /**
   * Make connections to `address` refused (`ConnectionRefusedError`, 111), even while a socket listens there;
   * `refuse(address, false)` lets them through again.
   */
  refuse(address: Address, on = true): void {
    this.refuseEndpoint(
      typeof address === "string"
        ? { kind: "unix", path: address }
        : { kind: "inet", host: address[0], port: address[1] },
      on,
    );
  }

  // The tools: a socket table, the clock, captures

  /**
   * The socket table: one row per socket, with the columns of `ss -tuan` and the fd (see `memory/socket-table.ts`
   * for what each shows). Ends in TIME-WAIT whose time is over are gone first.
   */
  sockets(): SocketRow[] {
    const open = listenersByWire();
    const listeners: ListenerInfo[] = [];
    for (const [listener, id] of this.listening) {
      const at = listener.address();
      if (at === null) continue;
      const sock = open.get(listener);
      const backlog = listener.backlog;
      listeners.push(
        at.kind === "unix"
          ? { netid: "u_str", host: at.path, port: 0, backlog, sock, id }
          : { netid: "tcp", host: at.host, port: at.port, backlog, sock, id },
      );
    }
    const ends = this.tcp.all().map((end) => {
      const stream = end.stream instanceof MemoryStream ? end.stream : null;
      return {
        end,
        inFlight: stream?.out.bytes ?? 0,
        sock: end.orphan || stream === null ? undefined : asKernelSocket(stream.sink),
      };
    });
    const datagrams: DatagramInfo[] = [...this.datagrams.values()].map((endpoint, id) => ({
      netid: endpoint.kind === "unix" ? "u_dgr" : "udp",
      local: datagramLocal(endpoint.localEnd, endpoint.peer),
      peer: endAddress(endpoint.peer),
      recvQ: asKernelSocket(endpoint.sink)?.buffered ?? 0,
      sendQ: endpoint.inFlight,
      fd: fdOf(endpoint.sink),
      id,
    }));
    return socketRows(listeners, ends, datagrams);
  }

  /**
   * The socket table as `ss -tan` prints it (`{ netids: ["tcp", "u_str"] }`: `ss -txan`, with a Netid column;
   * `{ processes: true }`: `ss -p`'s Process column, with the fd).
   */
  ss(options: SsOptions = {}): string {
    return formatSs(this.sockets(), options);
  }

  /**
   * The TCP ends in TIME-WAIT on local `port` (and `host`, when given), for the rule that refuses to bind such an
   * address without `SO_REUSEADDR`.
   */
  timeWait(port: number, host?: string): readonly TcpEndpoint[] {
    return this.tcp.timeWait(port, host);
  }

  /**
   * Write every segment the network moves from now on to a pcap file at `path`, until the capture is closed (see
   * `memory/capture.ts`: `tshark -r path` reads it). One capture at a time.
   * @throws RuntimeError when a capture is already on; Node's error when the file cannot be made.
   */
  capture(path: string): Capture {
    if (this.tcp.tap !== null) throw new RuntimeError("this MemoryNetwork is already capturing");
    const capture = new Capture(path, () => {
      if (this.tcp.tap === capture) this.tcp.tap = null;
    });
    this.tcp.tap = capture;
    return capture;
  }

  /**
   * Hand every segment the network moves to `tap` (a capture, or a tracer of your own), or stop with `null`.
   * @returns the tap that was there before.
   */
  tapSegments(tap: SegmentTap | null): SegmentTap | null {
    const previous = this.tcp.tap;
    this.tcp.tap = tap;
    return previous;
  }

  /**
   * @internal The hook for datagram sockets (UDP): a datagram from `src` to `dst` was delivered. A capture writes
   * it; with none on, this costs one check.
   */
  datagramDelivered(src: EndAddress, dst: EndAddress, payload: Uint8Array): void {
    if (this.tcp.tap !== null) this.tcp.tap.datagram(src, dst, payload, this.clock.stamp());
  }

  private connectionOf(sock: Socket): MemoryStream {
    const stream = this.streamOf(sock.core);
    if (stream === undefined) {
      throw new TypeError(`${repr(sock)} has no connection on this memory network`);
    }
    return stream;
  }
}

/** An endpoint as the socket table shows it: host and port, or a path and port 0. */
function endAddress(endpoint: Endpoint | null): EndAddress | null {
  if (endpoint === null) return null;
  return endpoint.kind === "unix"
    ? { host: endpoint.path, port: 0 }
    : { host: endpoint.host, port: endpoint.port };
}

/** The fd of the kernel socket behind `sink`, or `null`. */
function fdOf(sink: unknown): number | null {
  const sock = asKernelSocket(sink);
  return sock !== undefined && sock.fd >= 0 ? sock.fd : null;
}

/**
 * A datagram socket's local address as `ss` shows it: a connected socket bound to the wildcard shows the address
 * its connect() chose, as Linux does (here the peer's, every address being loopback).
 */
function datagramLocal(local: Endpoint | null, peer: Endpoint | null): EndAddress | null {
  if (local?.kind !== "inet" || peer?.kind !== "inet") return endAddress(local);
  const wildcard = local.host === "0.0.0.0" || local.host === "::";
  return { host: wildcard ? peer.host : local.host, port: local.port };
}
