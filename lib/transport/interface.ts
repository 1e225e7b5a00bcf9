/**
 * The transport interface's types (see `wire.ts` for its rules): the kernel drives a {@link Wire}, and a wire
 * reports to the sinks the kernel implements. Errors cross as errno numbers.
 * @module
 */
import type { BindPrivilege, PortUse } from "../kernel/bind-rules.ts";

/** An IP endpoint: a host (IPv4 or IPv6, or a name to resolve) and a port. */
export interface InetEndpoint {
  /** Tells the endpoint kinds apart. */
  readonly kind: "inet";
  /** The host: an address, or a name a listener resolves. */
  readonly host: string;
  /** The port; 0 asks for any free one. */
  readonly port: number;
}

/** A Unix domain endpoint: a path (`''` when unnamed). */
export interface UnixEndpoint {
  /** Tells the endpoint kinds apart. */
  readonly kind: "unix";
  /** The path. */
  readonly path: string;
}

/** A local or remote endpoint: a host and port (IPv4 or IPv6), or a Unix path. */
export type Endpoint = InetEndpoint | UnixEndpoint;

/** A host and port, as a wire reports an IP endpoint it knows. */
export interface HostPort {
  /** The host's address. */
  readonly host: string;
  /** The port. */
  readonly port: number;
}

/** What the kernel hears about one connection. Called by the wire; must not throw. */
export interface StreamSink {
  /** The connection asked for by {@link Wire.connect} is made. */
  connected(): void;
  /** A chunk arrived (the receive buffer is the kernel's: the wire hands each chunk over once). */
  data(chunk: Buffer): void;
  /** The peer shut down writing: end of stream. */
  end(): void;
  /** The connection failed (`errno`: 111 refused, 104 reset, 32 broken pipe, ...). */
  error(errno: number): void;
  /** The connection is gone. */
  closed(): void;
  /** Some of what was written has left the wire: {@link WireStream.pending} went down. */
  written(): void;
}

/** What the kernel hears about one listener. Called by the wire; must not throw. */
export interface ListenerSink {
  /** Listening has started. */
  listening(): void;
  /** A connection came in; the kernel attaches a {@link StreamSink} to it, or aborts it. */
  accepted(stream: WireStream): void;
  /** Listening failed, or a name did not resolve (`errno`: 98, 99, -2, ...). */
  error(errno: number): void;
}

/** One connection, as the kernel drives it. */
export interface WireStream {
  /** Bytes handed to {@link write} that have not yet left the wire. */
  readonly pending: number;
  /** Report this connection's events to `sink` from now on. */
  attach(sink: StreamSink): void;
  /** Send `chunk` (the wire may keep it until written: the caller does not reuse it). */
  write(chunk: Uint8Array): void;
  /** Shut down writing, once what was written has gone out. */
  end(): void;
  /** Stop delivering data (the receive buffer is full). */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
  /** Keep the process alive while this is open (`true`), or not. */
  keepAlive(on: boolean): void;
  /** Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay: boolean): void;
  /** TCP keep-alive probes on or off. */
  setKeepAlive(enable: boolean): void;
  /** Close once what was written has gone out. */
  close(): void;
  /** Close now; what was not yet on the network is dropped; the peer sees end of stream. */
  destroy(): void;
  /** Close now and make the peer see a reset. */
  reset(): void;
  /** The local host and port, once connected (`null` for a Unix connection or before). */
  local(): HostPort | null;
  /** The peer's host and port, while connected (`null` for a Unix connection, or once gone). */
  remote(): HostPort | null;
}

/** One listener, as the kernel drives it. */
export interface WireListener {
  /** The address listened on (host and port, or a path); `null` before listening. */
  address(): Endpoint | null;
  /** Stop listening. */
  close(): void;
}

/** Where and how to connect. */
export interface ConnectRequest {
  /** The peer. */
  readonly to: Endpoint;
  /** The local address bound before connecting, if any. */
  readonly from: Endpoint | null;
  /** IP version of the socket (a name is resolved in it): 4 or 6. */
  readonly ipVersion: 4 | 6;
}

/** Where and how to listen. */
export interface ListenRequest {
  /** The address to listen on (a host name is resolved in {@link ipVersion}). */
  readonly at: Endpoint;
  /** The backlog, ≥ 0. */
  readonly backlog: number;
  /** IP version of the socket: 4 or 6. */
  readonly ipVersion: 4 | 6;
}

/** What the kernel hears about one datagram endpoint. Called by the wire; must not throw. */
export interface DatagramSink {
  /** A datagram arrived from `from` (the wire hands each over once, whole). */
  datagram(data: Buffer, from: Endpoint): void;
  /** An error came back for what was sent (111: the peer's port is closed, ICMP port unreachable). */
  error(errno: number): void;
  /** Some of what was sent has left the wire: {@link WireDatagram.pending} went down. */
  written(): void;
}

/** One datagram endpoint (a UDP or Unix datagram socket), as the kernel drives it. */
export interface WireDatagram {
  /** Bytes handed to {@link send} that have not yet left the wire. */
  readonly pending: number;
  /** Report this endpoint's events to `sink` from now on. */
  attach(sink: DatagramSink): void;
  /** Take the local address at once (`port` 0: any free one): 0, or an errno (98 in use, 99 not here). */
  bind(at: Endpoint): number;
  /** Send to one peer only and hear its errors (`to`), or to anyone again (`null`): 0, or an errno. */
  connect(to: Endpoint | null): number;
  /** Send one datagram to `to` (`null`: the connected peer); the caller does not reuse `data`. */
  send(data: Uint8Array, to: Endpoint | null): void;
  /** `SO_BROADCAST`. */
  setBroadcast(on: boolean): void;
  /** Keep the process alive while this is open (`true`), or not. */
  keepAlive(on: boolean): void;
  /** The local address once bound, else `null`. */
  local(): Endpoint | null;
  /** Close; what was not yet sent may be dropped. */
  close(): void;
}

/** Makes connections, listeners and datagram endpoints for the kernel's sockets. */
export interface Wire {
  /** Start a connection; its outcome comes to the sink attached to the stream returned. */
  connect(request: ConnectRequest): WireStream;
  /** Start listening; the outcome and the connections come to `sink`. */
  listen(request: ListenRequest, sink: ListenerSink): WireListener;
  /** A new datagram endpoint: UDP over IPv4 (4) or IPv6 (6), or a Unix datagram socket (`"unix"`). */
  datagram(kind: 4 | 6 | "unix"): WireDatagram;
  /** Two unnamed Unix datagram endpoints, each the other's peer (`socketpair(AF_UNIX, SOCK_DGRAM)`). */
  datagramPair(): [WireDatagram, WireDatagram];
  /**
   * The other uses of a TCP port that `bind()` must respect (listeners, connections, TIME_WAIT) beyond this
   * process's own bound sockets, which the kernel's port table knows; none when absent.
   */
  portUses?(port: number): PortUse[];
  /** Who binds: the privileged ports and whether this process may bind them; no rule when absent. */
  privilege?(): BindPrivilege;
}
