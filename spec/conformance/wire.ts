/**
 * The functions that make sockets, taken from one place, so that the ported CPython tests can run on each way of
 * carrying bytes ("wire") that lib/python/socket.ts has: `node:net`, and the in-memory network (the vitest project
 * "memory wire" installs one for each test, so the same functions make in-memory sockets there). A way of making
 * sockets that is not the default wire adds an entry to {@link WIRES}.
 *
 * Rules:
 * - A ported test makes its sockets only through a {@link Wire} (and the fixtures below), never through
 *   lib/python/socket.ts directly; module-level functions that make no socket (`setdefaulttimeout`, constants) are
 *   imported from lib/python/socket.ts.
 * - Every socket made here is closed when the current vitest test finishes ({@link track}), pass or fail.
 * @module
 */
import * as socket from "../../lib/python/socket.ts";
import { HOST, track } from "../helpers/sockets.ts";
import { ON_MEMORY_WIRE } from "../helpers/wire.ts";

/** A way of making sockets: Python's `socket.socket`, `socket.socketpair`, `socket.create_connection`. */
export interface Wire {
  /** Shown in the test names. */
  readonly name: string;
  /** Python's `socket.socket(family, type, proto)`. */
  readonly socket: typeof socket.socket;
  /** Python's `socket.socketpair()`. */
  readonly socketpair: typeof socket.socketpair;
  /** Python's `socket.create_connection(address, timeout, source_address)`. */
  readonly createConnection: typeof socket.createConnection;
}

/**
 * The sockets of lib/python/socket.ts: over `node:net`, or over the in-memory network when the vitest project "memory
 * wire" has installed one (spec/helpers/wire.ts).
 */
export const SOCKET_WIRE: Wire = {
  name: ON_MEMORY_WIRE ? "memory wire" : "node:net",
  socket: socket.socket,
  socketpair: socket.socketpair,
  createConnection: socket.createConnection,
};

/** Every wire the ported tests run on. */
export const WIRES: readonly Wire[] = [SOCKET_WIRE];

/** CPython's `MSG`: a unicode string and a carriage return, encoded as UTF-8. */
export const MSG = Buffer.from("Michael Gilfix was here\u1234\r\n", "utf8");

/** CPython's `support.LOOPBACK_TIMEOUT`, in seconds. */
export const LOOPBACK_TIMEOUT = 10;

/** What the fixtures make on one wire; every socket is closed when the test finishes. */
export interface Fixtures {
  /** A new socket (`socket.socket(family, SOCK_STREAM)`), tracked. */
  readonly sock: (family?: number) => socket.BlockingSocket;
  /** CPython's `SocketTCPTest.setUp`: a socket listening on `(HOST, 0)`, its port and its address. */
  readonly listening: () => Promise<{
    serv: socket.BlockingSocket;
    port: number;
    address: socket.InetAddress;
  }>;
  /**
   * CPython's `SocketConnectedTest.setUp` / `clientSetUp`: `serv` listening, `servConn` (the client, "the
   * connection to the server") connected by `connect` (or by `createConnection`, as `BasicTCPTest2` does),
   * and `cliConn` (the server's side, "the connection to the client") from `accept()`.
   */
  readonly connected: (client?: "connect" | "createConnection") => Promise<{
    serv: socket.BlockingSocket;
    port: number;
    cliConn: socket.BlockingSocket;
    servConn: socket.BlockingSocket;
  }>;
  /** CPython's `SocketPairTest.setUp`: `serv, cli = socketpair()`. */
  readonly pair: () => Promise<{ serv: socket.BlockingSocket; cli: socket.BlockingSocket }>;
  /**
   * CPython's `SocketUDPTest.setUp` (`serv`, a datagram socket bound to `(HOST, 0)`, and its `port`) and
   * `ThreadedUDPSocketTest.clientSetUp` (`cli`, an unbound datagram socket).
   */
  readonly udp: () => { serv: socket.BlockingSocket; port: number; cli: socket.BlockingSocket };
}

/** The fixtures of CPython's test classes, on `wire`. */
export function fixtures(wire: Wire): Fixtures {
  const sock = (family: number = socket.AF_INET): socket.BlockingSocket =>
    track(wire.socket(family, socket.SOCK_STREAM));
  const listening = async (): Promise<{
    serv: socket.BlockingSocket;
    port: number;
    address: socket.InetAddress;
  }> => {
    const serv = sock();
    serv.bind([HOST, 0]);
    await serv.listen();
    const name = serv.getsockname();
    if (typeof name === "string") throw new Error(`no port in ${name}`);
    const [host, port] = name;
    return { serv, port, address: [host, port] };
  };
  return {
    sock,
    listening,
    connected: async (client = "connect") => {
      const { serv, port } = await listening();
      const connecting =
        client === "connect"
          ? (async () => {
              const cli = sock();
              await cli.connect([HOST, port]);
              return cli;
            })()
          : wire.createConnection([HOST, port]).then(track);
      const [[cliConn], servConn] = await Promise.all([serv.accept(), connecting]);
      track(cliConn);
      return { serv, port, cliConn, servConn };
    },
    pair: async () => {
      const [serv, cli] = await wire.socketpair();
      return { serv: track(serv), cli: track(cli) };
    },
    udp: () => {
      const serv = track(wire.socket(socket.AF_INET, socket.SOCK_DGRAM));
      // A datagram socket binds at once (bind_port: bind to port 0, read the port back).
      serv.bind([HOST, 0]);
      const name = serv.getsockname();
      if (typeof name === "string") throw new Error(`no port in ${name}`);
      const cli = track(wire.socket(socket.AF_INET, socket.SOCK_DGRAM));
      return { serv, port: name[1], cli };
    },
  };
}

/** CPython's `socket_setdefaulttimeout(t)` context manager: run `body` with the default timeout `t`. */
export async function withDefaultTimeout(
  timeout: number | null,
  body: () => Promise<void> | void,
): Promise<void> {
  const old = socket.getdefaulttimeout();
  try {
    socket.setdefaulttimeout(timeout);
    await body();
  } finally {
    socket.setdefaulttimeout(old);
  }
}
