/**
 * The `node:dgram` wire for UDP datagram sockets (IPv4 and IPv6), in the kernel's terms (see `interface.ts`).
 *
 * - `bind()` completes in the call, as the kernel's does: the socket is made with a lookup that answers an IP
 *   literal (or `localhost`) at once, so Node binds synchronously and reports a failure (98, 99) before `bind()`
 *   returns. Another name is looked up as usual, and binding ends later.
 * - `connect()` is synchronous the same way; Node then reports the ICMP errors the peer's host sends back
 *   (`ECONNREFUSED` for a closed port), which the kernel keeps as the pending error.
 * - Each send is handed to Node at once; {@link WireDatagram.pending} counts its bytes until Node's callback.
 * - Node has no Unix datagram sockets: `AF_UNIX` datagrams are served by a memory network local to this process
 *   (see `wire.ts`).
 * @module
 */
import * as dgram from "node:dgram";
import { lookup as dnsLookup, type LookupOneOptions } from "node:dns";
import * as net from "node:net";

import type { DatagramSink, Endpoint, WireDatagram } from "./interface.ts";
import { errnoOfNodeError } from "./node-errno.ts";

/** Linux's EINVAL: an address of another family. */
const EINVAL = 22;

/** A sink that drops everything: an endpoint's until the kernel attaches its own. */
const NO_SINK: DatagramSink = {
  datagram: () => undefined,
  error: () => undefined,
  written: () => undefined,
};

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** A lookup that answers IP literals and `localhost` in the same call (see the module rules). */
function lookupNow(
  version: 4 | 6,
): (host: string, options: LookupOneOptions, done: LookupCallback) => void {
  return (host, options, done) => {
    const literal = net.isIP(host);
    if (literal !== 0) done(null, host, literal);
    else if (host === "localhost") done(null, version === 6 ? "::1" : "127.0.0.1", version);
    else dnsLookup(host, { ...options, family: version }, done);
  };
}

/** A `dgram.Socket` driven by the kernel. */
class NodeDatagram implements WireDatagram {
  private sink: DatagramSink = NO_SINK;
  private readonly socket: dgram.Socket;
  private bound = false;
  /** The error Node reported during the current synchronous call, if any. */
  private failure: number | null = null;
  private inFlight = 0;
  /** The connected peer. */
  private peer: { host: string; port: number } | null = null;
  /** `SO_BROADCAST`, applied once bound (Node refuses it before). */
  private broadcast = false;

  constructor(version: 4 | 6) {
    this.socket = dgram.createSocket({
      type: version === 6 ? "udp6" : "udp4",
      lookup: lookupNow(version),
    });
    this.socket.on("message", (data, info) => {
      this.sink.datagram(data, { kind: "inet", host: info.address, port: info.port });
    });
    this.socket.on("error", (err) => {
      const code = errnoOfNodeError(err);
      if (this.failure === null && this.calling) this.failure = code;
      else this.sink.error(code);
    });
    this.socket.unref();
  }

  /** A synchronous call to Node is running: its error is the call's. */
  private calling = false;

  get pending(): number {
    return this.inFlight;
  }

  attach(sink: DatagramSink): void {
    this.sink = sink;
  }

  /** Run `call`; the errno Node reported during it, or 0. */
  private sync(call: () => void): number {
    this.calling = true;
    this.failure = null;
    try {
      call();
    } catch (e) {
      this.failure ??= errnoOfNodeError(e);
    } finally {
      this.calling = false;
    }
    return this.failure ?? 0;
  }

  bind(at: Endpoint): number {
    if (at.kind !== "inet") return EINVAL;
    const code = this.sync(() => {
      this.socket.bind({ port: at.port, address: at.host, exclusive: true });
    });
    if (code === 0) {
      this.bound = true;
      if (this.broadcast) this.socket.setBroadcast(true);
    }
    return code;
  }

  connect(to: Endpoint | null): number {
    if (this.peer !== null) this.socket.disconnect();
    this.peer = null;
    if (to === null) return 0;
    if (to.kind !== "inet") return EINVAL;
    const code = this.sync(() => {
      this.socket.connect(to.port, to.host);
    });
    if (code === 0) this.peer = { host: to.host, port: to.port };
    return code;
  }

  send(data: Uint8Array, to: Endpoint | null): void {
    this.inFlight += data.length;
    const done = (err: Error | null): void => {
      this.inFlight -= data.length;
      if (err) this.sink.error(errnoOfNodeError(err));
      this.sink.written();
    };
    if (to?.kind !== "inet") this.socket.send(data, done);
    else if (this.peer !== null && !(this.peer.host === to.host && this.peer.port === to.port)) {
      // Linux lets a connected socket send elsewhere; Node does not: step out of the connection for this send
      // (disconnect, send and connect all complete in the call, see the module rules).
      const peer = this.peer;
      this.socket.disconnect();
      this.socket.send(data, to.port, to.host, done);
      this.socket.connect(peer.port, peer.host);
    } else if (this.peer !== null) this.socket.send(data, done);
    else this.socket.send(data, to.port, to.host, done);
  }

  setBroadcast(on: boolean): void {
    this.broadcast = on;
    if (this.bound) this.socket.setBroadcast(on);
  }

  keepAlive(on: boolean): void {
    if (on) this.socket.ref();
    else this.socket.unref();
  }

  local(): Endpoint | null {
    if (!this.bound) return null;
    const info = this.socket.address();
    return { kind: "inet", host: info.address, port: info.port };
  }

  close(): void {
    this.socket.close();
  }
}

/** A new UDP endpoint over IPv`version`. */
export function nodeDatagram(version: 4 | 6): WireDatagram {
  return new NodeDatagram(version);
}
