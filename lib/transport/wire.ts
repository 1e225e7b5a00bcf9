/**
 * The transport interface: what carries a socket's bytes, in the kernel's terms. The kernel's model of a socket
 * (`lib/kernel/`: states, buffers, readiness, errno) drives a {@link Wire}; a wire tells the kernel what happened
 * through a sink the kernel implements ({@link StreamSink}, {@link ListenerSink}). Two wires exist:
 *
 * - {@link nodeWire}, the default: `node:net`, real TCP and Unix sockets (`node-net.ts`);
 * - `MemoryNetwork` (`selectors-ts/testing`): bytes travel inside the process, and the test decides when.
 *
 * Rules of the interface:
 * - **Errors cross as errno numbers** (Linux's, positive: `111` for a refused connection; a failed name lookup as
 *   Python's negative `gaierror` number, `-2`), never as Node `code` strings. A wire knows nothing of Python's
 *   exceptions; the faces above the kernel make them.
 * - **Events are asynchronous**: a wire reports a connection, data, end of stream or an error from its own event
 *   loop turn, never from inside the call that caused it (as Node does).
 * - **Flow control is the kernel's**: it pauses a stream when its receive buffer is full and resumes it later; it
 *   reads {@link WireStream.pending} (bytes handed to the wire, not yet on the network) to decide writability.
 *
 * A socket takes the wire that is the default when it is made ({@link setDefaultWire}); an accepted socket takes
 * its listener's.
 * @module
 */
import type { Wire } from "./interface.ts";
import { MemoryWire } from "./memory/network.ts";
import { nodeDatagram } from "./node-dgram.ts";
import { nodeNetWire } from "./node-net.ts";

export type { BindPrivilege, PortUse } from "../kernel/bind-rules.ts";
export type {
  ConnectRequest,
  DatagramSink,
  Endpoint,
  HostPort,
  InetEndpoint,
  ListenRequest,
  ListenerSink,
  StreamSink,
  UnixEndpoint,
  Wire,
  WireDatagram,
  WireListener,
  WireStream,
} from "./interface.ts";

/**
 * Node has no Unix datagram sockets: on the default wire, `AF_UNIX` `SOCK_DGRAM` sockets live in this memory
 * network, local to the process (they reach each other, and no other process).
 */
const localUnixDatagrams = new MemoryWire();

/**
 * The default wire: `node:net` for streams, `node:dgram` for UDP, real sockets; Unix datagram sockets in a memory
 * network local to the process.
 */
export const nodeWire: Wire = {
  ...nodeNetWire,
  datagram: (kind) => (kind === "unix" ? localUnixDatagrams.datagram("unix") : nodeDatagram(kind)),
  datagramPair: () => localUnixDatagrams.datagramPair(),
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
