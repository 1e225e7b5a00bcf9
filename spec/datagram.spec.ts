/**
 * Datagram sockets (`SOCK_DGRAM`) as Python 3.11 shows them on Linux, each case measured with python3 first: whole
 * datagrams, truncation, `EMSGSIZE`, the errors of calls a datagram socket does not have, a connected socket's
 * peer filter and its ICMP errors, readiness, `SO_BROADCAST`, shutdown, and the Unix datagram pair. Runs on
 * `node:net`/`node:dgram` and on the memory wire (vitest project "memory wire").
 */
import { setImmediate as nextTurn } from "node:timers/promises";

import { describe, expect, it } from "vitest";

import {
  BrokenPipeError,
  ConnectionRefusedError,
  OSError,
  PermissionError,
} from "../lib/python/errors.ts";
import { repr } from "../lib/python/repr.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  EpollSelector,
  PollSelector,
  SelectSelector,
} from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import {
  HOST,
  assertWouldBlock,
  expectOSError,
  rejection,
  thrown,
  track,
} from "./helpers/sockets.ts";

/** A new datagram socket, closed when the test finishes. */
function udp(family: number = socket.AF_INET): socket.BlockingSocket {
  return track(socket.socket(family, socket.SOCK_DGRAM));
}

/** A datagram socket bound to loopback, and its address. */
function bound(): [socket.BlockingSocket, socket.InetAddress] {
  const s = udp();
  s.bind([HOST, 0]);
  const name = s.getsockname();
  if (typeof name === "string") throw new Error("an AF_INET socket has a host and port");
  return [s, [name[0], name[1]]];
}

/** The mask a selector reports for `sock` registered for both events (0: not ready). */
async function readiness(sock: socket.NonBlockingSocket): Promise<number> {
  using sel = new DefaultSelector();
  sel.register(sock, EVENT_READ | EVENT_WRITE);
  const ready = await sel.select(0);
  return ready[0]?.[1] ?? 0;
}

/** Wait until `sock` is readable (a datagram or an error arrived), bounded. */
async function readable(sock: socket.NonBlockingSocket): Promise<void> {
  using sel = new DefaultSelector();
  sel.register(sock, EVENT_READ);
  expect(await sel.select(5)).toHaveLength(1);
}

/** A loopback port where nothing is bound (one bound, then closed). */
function closedPort(): socket.InetAddress {
  const [s, address] = bound();
  s.close();
  return address;
}

describe("datagram sockets", () => {
  it("keep message boundaries; a short recvfrom returns the start and discards the rest", async () => {
    const [serv, address] = bound();
    const cli = udp();
    expect(await cli.sendto(Buffer.from("hello world"), address)).toBe(11);
    await cli.sendto(Buffer.from("second"), address);
    await cli.sendto(Buffer.alloc(0), address);
    const [data, from] = await serv.recvfrom(5);
    expect(repr(data)).toBe("b'hello'");
    expect(from).toEqual([HOST, (cli.getsockname() as socket.InetAddress)[1]]);
    expect(repr(await serv.recv(100))).toBe("b'second'");
    expect(repr(await serv.recv(100))).toBe("b''");
    assertWouldBlock(() => serv.setblocking(false).recv(100));
  });

  it("raise [Errno 90] Message too long beyond 65,507 bytes over IPv4", () => {
    const [, address] = bound();
    const cli = udp().setblocking(false);
    expectOSError(
      thrown(() => cli.sendto(Buffer.alloc(65_508), address)),
      OSError,
      90,
      "Message too long",
    );
    expect(cli.sendto(Buffer.alloc(65_507), address)).toBe(65_507);
  });

  it("have no listen() or accept(): [Errno 95]; send() without a peer is [Errno 89]; getpeername() [Errno 107]", async () => {
    const s = udp();
    expectOSError(await rejection(s.listen()), OSError, 95, "Operation not supported");
    expectOSError(await rejection(s.accept()), OSError, 95, "Operation not supported");
    expectOSError(
      await rejection(s.send(Buffer.from("x"))),
      OSError,
      89,
      "Destination address required",
    );
    expectOSError(
      thrown(() => s.getpeername()),
      OSError,
      107,
      "Transport endpoint is not connected",
    );
    expect(repr(s)).toMatch(
      /^<socket\.socket fd=\d+, family=2, type=2, proto=0, laddr=\('0\.0\.0\.0', 0\)>$/,
    );
  });

  it("a fresh socket is writable only; a queued datagram makes it readable too", async () => {
    const [serv, address] = bound();
    const nb = serv.setblocking(false);
    expect(await readiness(nb)).toBe(EVENT_WRITE);
    await udp().sendto(Buffer.from("x"), address);
    await readable(nb);
    expect(await readiness(nb)).toBe(EVENT_READ | EVENT_WRITE);
  });

  it("connected: a datagram to a closed port makes the next call raise ConnectionRefusedError once", async () => {
    const cli = udp();
    await cli.connect(closedPort());
    const nb = cli.setblocking(false);
    expect(nb.send(Buffer.from("x"))).toBe(1);
    await readable(nb);
    expect(await readiness(nb)).toBe(EVENT_READ | EVENT_WRITE);
    expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(111);
    expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
    expect(nb.send(Buffer.from("y"))).toBe(1);
    await readable(nb);
    expectOSError(
      thrown(() => nb.recv(10)),
      ConnectionRefusedError,
      111,
      "Connection refused",
    );
    assertWouldBlock(() => nb.recv(10));
  });

  it("unconnected: a datagram to a closed port is dropped silently", async () => {
    const cli = udp().setblocking(false);
    expect(cli.sendto(Buffer.from("x"), closedPort())).toBe(1);
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(cli.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
    assertWouldBlock(() => cli.recvfrom(10));
  });

  it("connected: takes datagrams from its peer only", async () => {
    const [a, aAddress] = bound();
    const [b, bAddress] = bound();
    const [x] = bound();
    await a.connect(bAddress);
    await x.sendto(Buffer.from("from x"), aAddress);
    await b.sendto(Buffer.from("from b"), aAddress);
    const [data, from] = await a.recvfrom(100);
    expect(repr(data)).toBe("b'from b'");
    expect(from).toEqual(bAddress);
    expect(a.getpeername()).toEqual(bAddress);
  });

  it("SO_BROADCAST: 0 by default; a broadcast without it is PermissionError 13", async () => {
    const s = udp();
    expect(s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)).toBe(0);
    expectOSError(
      await rejection(s.sendto(Buffer.from("x"), ["255.255.255.255", 9])),
      PermissionError,
      13,
      "Permission denied",
    );
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1);
    expect(s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)).toBe(1);
    expectOSError(
      thrown(() => {
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
      }),
      OSError,
      92,
      "Protocol not available",
    );
  });

  it("shutdown: unconnected is [Errno 107]; after SHUT_WR a send is BrokenPipeError", async () => {
    expectOSError(
      thrown(() => {
        udp().shutdown(socket.SHUT_RDWR);
      }),
      OSError,
      107,
      "Transport endpoint is not connected",
    );
    const [, address] = bound();
    const s = udp();
    await s.connect(address);
    s.shutdown(socket.SHUT_WR);
    expectOSError(await rejection(s.send(Buffer.from("z"))), BrokenPipeError, 32, "Broken pipe");
  });

  it("recvfromInto copies into the buffer: the count and the sender", async () => {
    const [serv, address] = bound();
    await udp().sendto(Buffer.from("abcdefgh"), address);
    const buffer = Buffer.alloc(4);
    const [count, from] = await serv.recvfromInto(buffer);
    expect(count).toBe(4);
    expect(buffer.toString()).toBe("abcd");
    expect(from?.[0]).toBe(HOST);
  });

  it("a closed socket: [Errno 9]", async () => {
    const s = udp();
    s.close();
    expectOSError(await rejection(s.recvfrom(1)), OSError, 9, "Bad file descriptor");
    expectOSError(
      await rejection(s.sendto(Buffer.from("1"), [HOST, 9])),
      OSError,
      9,
      "Bad file descriptor",
    );
  });

  it("socketpair(AF_UNIX, SOCK_DGRAM): unnamed, boundaries kept, recvfrom gives no address", async () => {
    const [a, b] = await socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM);
    track(a);
    track(b);
    await a.send(Buffer.from("one"));
    await a.send(Buffer.from("two"));
    expect(repr(await b.recv(100))).toBe("b'one'");
    expect(repr(await b.recvfrom(100))).toBe("(b'two', None)");
    expect(a.getsockname()).toBe("");
    expect(a.getpeername()).toBe("");
    expect(repr(a)).toMatch(/^<socket\.socket fd=\d+, family=1, type=2, proto=0>$/);
  });

  for (const Selector of [SelectSelector, PollSelector, EpollSelector]) {
    it(`${Selector.name}: writable when fresh, readable once a datagram is queued, not once it is read`, async () => {
      const [serv, address] = bound();
      const nb = serv.setblocking(false);
      using sel = new Selector();
      sel.register(nb, EVENT_READ | EVENT_WRITE);
      expect((await sel.select(0)).map(([, mask]) => mask)).toEqual([EVENT_WRITE]);
      await udp().sendto(Buffer.from("x"), address);
      await readable(nb); // the datagram has arrived
      expect((await sel.select(0)).map(([, mask]) => mask)).toEqual([EVENT_READ | EVENT_WRITE]);
      expect(repr(nb.recv(10))).toBe("b'x'");
      expect((await sel.select(0)).map(([, mask]) => mask)).toEqual([EVENT_WRITE]);
    });
  }
});
