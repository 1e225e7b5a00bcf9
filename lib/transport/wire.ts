/**
 * The wire under our sockets: what carries their bytes. `socket.ts` models the kernel's part of a socket (buffers,
 * readiness, errno, states); a {@link Wire} makes its connections and listeners. Two wires exist:
 *
 * - {@link nodeWire}, the default: `node:net`, real TCP and Unix sockets;
 * - `MemoryNetwork` (`selectors-ts/testing`): bytes travel inside the process, and the test decides when.
 *
 * A socket takes the wire that is the default when it is made ({@link setDefaultWire}); an accepted socket takes
 * its listener's. A wire hands out objects with the part of `net.Socket` and `net.Server` that `socket.ts` uses
 * ({@link WireStream}, {@link WireServer}); the `node:net` wire hands out Node's own, with nothing in between.
 * @module
 */
import * as net from "node:net";

import type { BindPrivilege, PortUse } from "../kernel/bind-rules.ts";
import { processPrivilege } from "../kernel/privileged-ports.ts";
import { procPortUses } from "../kernel/proc-net.ts";

/**
 * What `socket.ts` uses of a connection: the part of `net.Socket` it calls. Events: `data` (a chunk arrived),
 * `end` (the peer shut down writing), `error` (the connection failed; `code` names the errno, e.g.
 * `ECONNRESET`), `close` (gone), `connect` (a connection being made is made).
 */
export interface WireStream {
  /** Bytes written and not yet handed to the network. */
  readonly writableLength: number;
  /** The local host, once connected. */
  readonly localAddress?: string | undefined;
  /** The local port, once connected. */
  readonly localPort?: number | undefined;
  /** The peer's host, while connected. */
  readonly remoteAddress?: string | undefined;
  /** The peer's port, while connected. */
  readonly remotePort?: number | undefined;
  /** A chunk arrived. */
  on(event: "data", listener: (chunk: Buffer) => void): this;
  /** The connection failed. */
  on(event: "error", listener: (err: Error) => void): this;
  /** `end`, `close` or `connect` happened. */
  on(event: "end" | "close" | "connect", listener: () => void): this;
  /** The connection is made. */
  once(event: "connect", listener: () => void): this;
  /** Send `chunk`; `callback` runs once it is handed to the network (or dropped). */
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean;
  /** Shut down writing, once what was written has gone out. */
  end(): this;
  /** Stop delivering `data` (the receive buffer is full). */
  pause(): this;
  /** Deliver `data` again. */
  resume(): this;
  /** Keep the process alive while this is open. */
  ref(): this;
  /** Do not keep the process alive for this. */
  unref(): this;
  /** Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay: boolean): this;
  /** TCP keep-alive probes on or off. */
  setKeepAlive(enable: boolean): this;
  /** Close now; what was not yet handed to the network is dropped. */
  destroy(): this;
  /** Close once what was written has gone out. */
  destroySoon(): void;
  /** Close now and make the peer see a reset. */
  resetAndDestroy(): this;
}

/** What `socket.ts` uses of a listener: the part of `net.Server` it calls. */
export interface WireServer {
  /** A connection came in. */
  on(event: "connection", listener: (stream: WireStream) => void): this;
  /** Listening failed (`code`: `EADDRINUSE`, ...). */
  on(event: "error", listener: (err: Error) => void): this;
  /** Listening has started. */
  once(event: "listening", listener: () => void): this;
  /** Report an error found before `listen()` (a failed name lookup). */
  emit(event: "error", err: Error): boolean;
  /** Start listening. */
  listen(options: net.ListenOptions): this;
  /** The address listened on: host and port, or a path; `null` before listening. */
  address(): net.AddressInfo | string | null;
  /** Stop listening. */
  close(): this;
  /** Do not keep the process alive for this. */
  unref(): this;
}

/** Makes connections and listeners for sockets. */
export interface Wire {
  /** Start a connection (`net.connect`'s options). */
  connect(options: net.NetConnectOpts): WireStream;
  /** Make a listener (`net.createServer`'s options). */
  createServer(options: net.ServerOpts): WireServer;
  /**
   * The other uses of a TCP port that `bind()` must respect (listeners, connections, TIME_WAIT) beyond this
   * process's own bound sockets, which `socket.ts` knows; none when absent.
   */
  portUses?(port: number): PortUse[];
  /** Who binds: the privileged ports and whether this process may bind them; Linux's defaults when absent. */
  privilege?(): BindPrivilege;
}

/** The default wire: `node:net`, real sockets. */
export const nodeWire: Wire = {
  connect: (options) => net.connect(options),
  createServer: (options) => net.createServer(options),
  // Node sets SO_REUSEADDR on every listener: the kernel's table shows what Python's bind() would meet.
  portUses: procPortUses,
  privilege: processPrivilege,
};

let current: Wire = nodeWire;

/** The wire new sockets use. */
export function defaultWire(): Wire {
  return current;
}

/**
 * Make `wire` the one new sockets use (sockets already made keep theirs); returns the previous one, to put back.
 * `MemoryNetwork.install()` does this for a test.
 */
export function setDefaultWire(wire: Wire): Wire {
  const previous = current;
  current = wire;
  return previous;
}
