// lib/python/socket.ts against Python's measured semantics (PYTHON-SEMANTICS.md §2–§4 and §7). Expected exceptions
// and reprs are what CPython 3.11 printed on Linux for the same calls; where Node forces a difference (§7), the
// test says so and checks the rule lib/python/socket.ts documents instead.
import { existsSync, readFileSync } from "node:fs";
import { lookup as lookupAddress } from "node:dns/promises";
import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer,
  Socket as NodeSocketClass,
  type Server,
  type Socket as NodeSocket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";

import { describe, expect, it, onTestFinished, vi } from "vitest";

import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  KeyboardInterrupt,
  OSError,
  OverflowError,
  TimeoutError,
  ValueError,
  gaierror,
} from "../lib/python/errors.ts";
import { repr } from "../lib/python/repr.ts";
import { EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { tsProgram } from "./helpers/process.ts";
import { describeOnKernelPath, itOnKernelPath } from "./helpers/wire.ts";
import {
  HOST,
  HOST6,
  assertWouldBlock,
  connectedPair,
  eventually,
  expectError,
  expectOSError,
  listener,
  newSocket,
  pattern,
  readiness,
  recvExactly,
  recvToEnd,
  refusedPort,
  rejection,
  thrown,
  track,
  until,
  within,
} from "./helpers/sockets.ts";

const READ_WRITE = EVENT_READ | EVENT_WRITE;
const bytes = (text: string): Buffer => Buffer.from(text, "latin1");
const noop = (): void => undefined;

const NOT_CONNECTED = "Transport endpoint is not connected";
const BROKEN_PIPE = "Broken pipe";
const BAD_FD = "Bad file descriptor";

/**
 * A peer that accepts one connection and reads nothing until told (node:net with `pauseOnConnect`, so not one
 * byte leaves the kernel): the sender's buffers fill up. `drain()` starts reading and resolves with everything
 * received until the sender's end of stream.
 */
interface StalledPeer {
  readonly address: socket.InetAddress;
  connection(): Promise<NodeSocket>;
  drain(): Promise<Buffer>;
}

async function stalledPeer(): Promise<StalledPeer> {
  const server: Server = createServer({ pauseOnConnect: true });
  const connected = new Promise<NodeSocket>((resolve) => {
    server.once("connection", resolve);
  });
  onTestFinished(async () => {
    (await Promise.race([connected, Promise.resolve(null)]))?.destroy();
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      resolve();
    });
  });
  const info = server.address();
  if (info === null || typeof info === "string") throw new Error("stalledPeer: no TCP address");
  return {
    address: [HOST, info.port],
    connection: () => within(connected, "the stalled peer's connection"),
    drain: async () => {
      const conn = await within(connected, "the stalled peer's connection");
      const chunks: Buffer[] = [];
      const ended = new Promise<Buffer>((resolve, reject) => {
        conn.on("data", (chunk: Buffer) => chunks.push(chunk));
        conn.once("end", () => {
          resolve(Buffer.concat(chunks));
        });
        conn.once("error", reject);
        conn.once("close", () => {
          reject(new Error("the stalled peer's connection closed before end of stream"));
        });
      });
      conn.resume();
      const all = within(ended, "the stalled peer to read to end of stream", 20_000);
      // A test that fails before awaiting this must not leave an unhandled rejection behind.
      all.catch(noop);
      return all;
    },
  };
}

/** A non-blocking client connected to a {@link stalledPeer}. */
async function clientOfStalledPeer(): Promise<{
  peer: StalledPeer;
  nb: socket.NonBlockingSocket;
}> {
  const peer = await stalledPeer();
  const client = newSocket();
  await client.connect(peer.address);
  await peer.connection();
  return { peer, nb: client.setblocking(false) };
}

describe("non-blocking recv", () => {
  it("returns at most n bytes, in order, and the rest on the next call", async () => {
    const { client, server } = await connectedPair();
    const nb = client.setblocking(false);
    await server.sendall(bytes("Hello, world"));
    await until(nb, EVENT_READ);
    expect(repr(nb.recv(5))).toBe("b'Hello'");
    expect(repr(nb.recv(1024))).toBe("b', world'");
    assertWouldBlock(() => nb.recv(1024));
  });

  it("raises BlockingIOError(11, 'Resource temporarily unavailable') when nothing is buffered", async () => {
    const { client } = await connectedPair();
    const nb = client.setblocking(false);
    const error = thrown(() => nb.recv(1024));
    expectOSError(error, BlockingIOError, 11, "Resource temporarily unavailable");
    expect(String(error)).toBe("BlockingIOError: [Errno 11] Resource temporarily unavailable");
    expect(repr(error)).toBe("BlockingIOError(11, 'Resource temporarily unavailable')");
    expect(error).toBeInstanceOf(OSError);
  });

  it("recv(0) returns b'' with or without data, and takes nothing", async () => {
    const { client, server } = await connectedPair();
    const nb = client.setblocking(false);
    expect(repr(nb.recv(0))).toBe("b''");
    await server.sendall(bytes("abc"));
    await until(nb, EVENT_READ);
    expect(repr(nb.recv(0))).toBe("b''");
    expect(repr(nb.recv(10))).toBe("b'abc'");
  });

  it("recv(-1) raises ValueError('negative buffersize in recv')", async () => {
    const { client } = await connectedPair();
    const nb = client.setblocking(false);
    const error = thrown(() => nb.recv(-1));
    expectError(error, ValueError, "negative buffersize in recv");
    expect(repr(error)).toBe("ValueError('negative buffersize in recv')");
  });

  it("returns b'' on every call once the peer has closed", async () => {
    const { client, server } = await connectedPair();
    const nb = client.setblocking(false);
    server.close();
    await until(nb, EVENT_READ);
    expect([nb.recv(1024), nb.recv(1024), nb.recv(1)].map(repr)).toEqual(["b''", "b''", "b''"]);
  });

  it("raises BlockingIOError while a connect is under way", async () => {
    const { address } = await listener();
    const nb = newSocket().setblocking(false);
    expect(nb.connectEx(address)).toBe(115);
    assertWouldBlock(() => nb.recv(1));
  });
});

describe("non-blocking send", () => {
  it("returns the count taken; send(b'') is 0; a str is a TypeError", async () => {
    const { client, server } = await connectedPair();
    const nb = client.setblocking(false);
    expect(nb.send(bytes("Hello"))).toBe(5);
    expect(nb.send(Buffer.alloc(0))).toBe(0);
    // @ts-expect-error -- Python's send() accepts any object and refuses a str at run time
    const error = thrown(() => nb.send("Hello"));
    expectError(error, TypeError, "a bytes-like object is required, not 'str'");
    expect(repr(await recvExactly(server, 5))).toBe("b'Hello'");
  });

  it("copies what it takes: the caller may reuse its buffer", async () => {
    const { client, server } = await connectedPair();
    const nb = client.setblocking(false);
    const data = bytes("abc");
    expect(nb.send(data)).toBe(3);
    data.fill(0x78);
    expect(repr(await recvExactly(server, 3))).toBe("b'abc'");
  });

  // A node:net peer or the real socket below: only the kernel path has them.
  itOnKernelPath(
    "takes part of the data when the buffer is nearly full, then raises BlockingIOError, never returns 0",
    async () => {
      const { peer, nb } = await clientOfStalledPeer();
      nb.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096);
      expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)).toBe(4096);
      const data = pattern(64 * 1024 * 1024);
      const CHUNK = 65536;

      // Python: send(b'x' * 100000) with SO_SNDBUF 4096 took 32741. Counts are Node's and ours, not the kernel's.
      const first = nb.send(data.subarray(0, CHUNK));
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(CHUNK);

      let sent = first;
      let error: unknown = null;
      while (error === null && sent < data.length) {
        try {
          const count = nb.send(data.subarray(sent, sent + CHUNK));
          expect(count).toBeGreaterThan(0);
          sent += count;
        } catch (e) {
          error = e;
        }
      }
      expectOSError(error, BlockingIOError, 11, "Resource temporarily unavailable");
      expect(sent).toBeLessThan(data.length);
      assertWouldBlock(() => nb.send(data.subarray(sent, sent + 1)));
      expect(nb.send(Buffer.alloc(0))).toBe(0);
      expect(await readiness(nb)).toBe(0); // full: not writable, and nothing to read

      // Once the peer reads, there is room again; the peer gets exactly the bytes send() took, in order.
      const received = peer.drain();
      expect(await until(nb, EVENT_WRITE)).toBe(EVENT_WRITE);
      nb.shutdown(socket.SHUT_WR);
      const got = await received;
      expect(got.length).toBe(sent);
      expect(got.equals(data.subarray(0, sent))).toBe(true);
    },
  );

  // A node:net peer or the real socket below: only the kernel path has them.
  itOnKernelPath(
    "sendall sends until the buffer is full, then raises BlockingIOError",
    async () => {
      const { peer, nb } = await clientOfStalledPeer();
      const data = pattern(64 * 1024 * 1024);
      expectOSError(
        thrown(() => {
          nb.sendall(data);
        }),
        BlockingIOError,
        11,
        "Resource temporarily unavailable",
      );
      // How much went out is lost to the caller, as in Python; what went out is a prefix of the data.
      const received = peer.drain();
      nb.shutdown(socket.SHUT_WR);
      const got = await received;
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(data.length);
      expect(got.equals(data.subarray(0, got.length))).toBe(true);
    },
  );

  it("sendall of a str is a TypeError", async () => {
    const { client } = await connectedPair();
    const nb = client.setblocking(false);
    expectError(
      thrown(() => {
        // @ts-expect-error -- as in Python, refused at run time
        nb.sendall("x");
      }),
      TypeError,
      "a bytes-like object is required, not 'str'",
    );
  });
});

describe("accept", () => {
  it("raises BlockingIOError when no connection is pending (non-blocking)", async () => {
    const { sock } = await listener();
    const nb = sock.setblocking(false);
    assertWouldBlock(() => nb.accept());
  });

  it("returns a blocking socket and the peer's address, even from a non-blocking listener", async () => {
    const { sock, address } = await listener();
    const nb = sock.setblocking(false);
    const client = newSocket();
    await client.connect(address);
    await until(nb, EVENT_READ);
    const [conn, addr] = nb.accept();
    track(conn);
    expect(conn).toBeInstanceOf(socket.BlockingSocket);
    expect(conn.getblocking()).toBe(true);
    expect(conn.gettimeout()).toBeNull();
    expect(addr).toEqual(client.getsockname());
    expect(conn.getpeername()).toEqual(client.getsockname());
    expect(conn.getsockname()).toEqual(address);
  });

  it("raises OSError(22, 'Invalid argument') on a socket that is not listening", async () => {
    const nb = newSocket().setblocking(false);
    expectOSError(
      thrown(() => nb.accept()),
      OSError,
      22,
      "Invalid argument",
    );
    const { client, listening } = await connectedPair();
    expectOSError(await rejection(client.accept()), OSError, 22, "Invalid argument");
    // The other blocking calls, too, fail at once where no readiness would help (not waiting for it).
    const l = listening.sock;
    expectOSError(await rejection(l.recv(1)), OSError, 107, NOT_CONNECTED);
    expectOSError(await rejection(l.send(bytes("x"))), BrokenPipeError, 32, BROKEN_PIPE);
    expectOSError(await rejection(l.sendall(bytes("x"))), BrokenPipeError, 32, BROKEN_PIPE);
  });
});

describe("readiness, as a selector reports it", () => {
  it("a listening socket is readable while a connection is pending, never writable", async () => {
    const { sock, address } = await listener();
    expect(await readiness(sock)).toBe(0);
    const client = newSocket();
    await client.connect(address);
    expect(await until(sock, EVENT_READ)).toBe(EVENT_READ);
    track((await sock.accept())[0]);
    expect(await readiness(sock)).toBe(0);
  });

  it("a never-connected socket is readable and writable (epoll's OUT|HUP)", async () => {
    expect(await readiness(newSocket())).toBe(READ_WRITE);
  });

  it("a connected idle socket is writable only; readable too once data is queued", async () => {
    const { client, server } = await connectedPair();
    expect(await readiness(client)).toBe(EVENT_WRITE);
    await server.sendall(bytes("x"));
    expect(await until(client, EVENT_READ)).toBe(READ_WRITE);
  });

  it("a closed socket is never ready", async () => {
    const { client, server } = await connectedPair();
    await server.sendall(bytes("x"));
    expect(await until(client, EVENT_READ)).toBe(READ_WRITE);
    client.close();
    expect(client.core.readiness()).toBe(0);
  });
});

describe("connect and connectEx (non-blocking)", () => {
  it("connectEx returns 115, then the socket turns writable; again: 0, then 106", async () => {
    const { address } = await listener();
    const nb = newSocket().setblocking(false);
    expect(nb.connectEx(address)).toBe(115);
    expect(nb.connectEx(address)).toBe(114); // still under way (Python on loopback is usually done already)
    expect(await until(nb, EVENT_WRITE)).toBe(EVENT_WRITE);
    expect(nb.connectEx(address)).toBe(0);
    expect(nb.connectEx(address)).toBe(106);
    expectOSError(
      thrown(() => {
        nb.connect(address);
      }),
      OSError,
      106,
      "Transport endpoint is already connected",
    );
  });

  it("connect raises BlockingIOError(115, 'Operation now in progress')", async () => {
    const { address } = await listener();
    const nb = newSocket().setblocking(false);
    expectOSError(
      thrown(() => {
        nb.connect(address);
      }),
      BlockingIOError,
      115,
      "Operation now in progress",
    );
    expect(await until(nb, EVENT_WRITE)).toBe(EVENT_WRITE);
    expect(nb.getpeername()).toEqual(address);
  });

  describe("refused", () => {
    async function refused(): Promise<{
      nb: socket.NonBlockingSocket;
      address: socket.InetAddress;
    }> {
      const address: socket.InetAddress = [HOST, await refusedPort()];
      const nb = newSocket().setblocking(false);
      expect(nb.connectEx(address)).toBe(115); // not 111: the outcome comes later, as on Linux
      expect(await until(nb, READ_WRITE)).toBe(READ_WRITE);
      return { nb, address };
    }

    it("SO_ERROR reads 111 once, then 0; then recv is b'' and send BrokenPipeError", async () => {
      const { nb } = await refused();
      expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(111);
      expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
      expect(repr(nb.recv(1))).toBe("b''");
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        BrokenPipeError,
        32,
        BROKEN_PIPE,
      );
      expect(await readiness(nb)).toBe(READ_WRITE);
    });

    it("recv raises ConnectionRefusedError(111) once, then returns b''", async () => {
      const { nb } = await refused();
      const error = thrown(() => nb.recv(1));
      expectOSError(error, ConnectionRefusedError, 111, "Connection refused");
      expect(repr(error)).toBe("ConnectionRefusedError(111, 'Connection refused')");
      expect(repr(nb.recv(1))).toBe("b''");
      expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        BrokenPipeError,
        32,
        BROKEN_PIPE,
      );
    });

    it("or send raises it once, then BrokenPipeError", async () => {
      const { nb } = await refused();
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        ConnectionRefusedError,
        111,
        "Connection refused",
      );
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        BrokenPipeError,
        32,
        BROKEN_PIPE,
      );
      expect(repr(nb.recv(1))).toBe("b''");
    });

    it("getpeername raises OSError 107; connectEx returns 111 while pending, then starts again (115)", async () => {
      const { nb, address } = await refused();
      expectOSError(
        thrown(() => nb.getpeername()),
        OSError,
        107,
        NOT_CONNECTED,
      );
      expect(nb.connectEx(address)).toBe(111);
      expect(nb.connectEx(address)).toBe(115);
      expect(await until(nb, READ_WRITE)).toBe(READ_WRITE);
      expect(nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(111);
    });
  });

  it("a never-connected socket: recv OSError 107, send BrokenPipeError 32, getpeername/shutdown 107", () => {
    const nb = newSocket().setblocking(false);
    expectOSError(
      thrown(() => nb.recv(1)),
      OSError,
      107,
      NOT_CONNECTED,
    );
    expectOSError(
      thrown(() => nb.send(bytes("x"))),
      BrokenPipeError,
      32,
      BROKEN_PIPE,
    );
    expectOSError(
      thrown(() => nb.getpeername()),
      OSError,
      107,
      NOT_CONNECTED,
    );
    expectOSError(
      thrown(() => {
        nb.shutdown(socket.SHUT_WR);
      }),
      OSError,
      107,
      NOT_CONNECTED,
    );
    expect(nb.getsockname()).toEqual(["0.0.0.0", 0]);
  });
});

/** The send and receive queues Linux shows for one TCP connection in /proc/net/tcp, or undefined. */
function kernelQueues(
  localPort: number,
  remotePort: number,
): { tx: number; rx: number } | undefined {
  const portOf = (hexAddress: string): number =>
    Number.parseInt(hexAddress.slice(hexAddress.lastIndexOf(":") + 1), 16);
  for (const row of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const [, local, remote, , queues] = row.trim().split(/\s+/);
    if (local === undefined || remote === undefined || queues === undefined) continue;
    if (portOf(local) !== localPort || portOf(remote) !== remotePort) continue;
    const [tx = "0", rx = "0"] = queues.split(":");
    return { tx: Number.parseInt(tx, 16), rx: Number.parseInt(rx, 16) };
  }
  return undefined;
}

const portOf = (address: socket.Address): number => {
  if (typeof address === "string") throw new Error(`no port in ${address}`);
  return address[1];
};

describeOnKernelPath(
  "the receive buffer bound (SO_RCVBUF)",
  () => {
    it("holds at most about SO_RCVBUF unread bytes; the rest waits in the kernel, and all arrives intact", async () => {
      const CAP = 64 * 1024;
      // Node hands over what the kernel gives in one read, at most 64 KiB; the bound is checked per chunk.
      const MAX_CHUNK = 64 * 1024;
      const TOTAL = 16 * 1024 * 1024;
      const { client, server } = await connectedPair();
      const receiver = server.setblocking(false);
      receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CAP);
      expect(receiver.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)).toBe(CAP);

      const data = pattern(TOTAL);
      let sendallDone = false;
      const sending = client.sendall(data).then(
        () => {
          sendallDone = true;
        },
        (e: unknown) => e, // checked below; a test that fails first leaves no unhandled rejection
      );

      // We read nothing. Once we hold SO_RCVBUF bytes we must stop taking data from the kernel, so it piles up
      // in our kernel receive queue (seen in /proc/net/tcp): the kernel's state has no event, so check per turn.
      const local = portOf(receiver.getsockname());
      const remote = portOf(receiver.getpeername());
      await eventually(
        () => receiver.core.buffered >= CAP && (kernelQueues(local, remote)?.rx ?? 0) > 0,
        "SO_RCVBUF bytes held and the rest queued in the kernel",
      );
      expect(receiver.core.buffered).toBeLessThanOrEqual(CAP + MAX_CHUNK);
      expect(sendallDone).toBe(false); // the peer's writes stall: 16 MiB do not fit in the kernel's buffers

      // Read it all: the bound holds throughout and every byte arrives, in order.
      let received = 0;
      let maxBuffered = 0;
      let firstBad = -1;
      while (received < TOTAL) {
        await until(receiver, EVENT_READ);
        maxBuffered = Math.max(maxBuffered, receiver.core.buffered);
        const chunk = receiver.recv(1024 * 1024);
        expect(chunk.length).toBeGreaterThan(0);
        if (firstBad < 0 && !chunk.equals(data.subarray(received, received + chunk.length))) {
          firstBad = received;
        }
        received += chunk.length;
      }
      expect(firstBad).toBe(-1);
      expect(received).toBe(TOTAL);
      expect(maxBuffered).toBeLessThanOrEqual(CAP + MAX_CHUNK);
      expect(await within(sending, "the peer's sendall to finish once we read")).toBeUndefined();
      client.close();
      await until(receiver, EVENT_READ);
      expect(repr(receiver.recv(1024))).toBe("b''");
    });
  },
  existsSync("/proc/net/tcp"),
);

describe("blocking mode", () => {
  it("accept, connect, sendall, send and recv are awaited; 1 MiB goes both ways intact", async () => {
    const { sock, address } = await listener();
    const client = newSocket();
    const [[conn, addr]] = await Promise.all([sock.accept(), client.connect(address)]);
    track(conn);
    expect(addr).toEqual(client.getsockname());
    const data = pattern(1024 * 1024);
    const [, echoed] = await Promise.all([client.sendall(data), recvExactly(conn, data.length)]);
    expect(echoed.equals(data)).toBe(true);
    const [, back] = await Promise.all([conn.sendall(echoed), recvExactly(client, data.length)]);
    expect(back.equals(data)).toBe(true);
    expect(await client.send(bytes("abc"))).toBe(3);
    expect(repr(await recvExactly(conn, 3))).toBe("b'abc'");
    conn.close();
    expect(repr(await client.recv(10))).toBe("b''");
  });

  it("settimeout(t): recv and accept reject with TimeoutError('timed out'), no errno", async () => {
    const { client, server, listening } = await connectedPair();
    client.settimeout(0.05);
    expect(client.gettimeout()).toBe(0.05);
    expect(client.getblocking()).toBe(true);
    const error = await rejection(client.recv(1024));
    expectError(error, TimeoutError, "timed out");
    expect(error).toBeInstanceOf(OSError);
    expect(error).toMatchObject({ errno: null, strerror: null, args: ["timed out"] });
    expect(repr(error)).toBe("TimeoutError('timed out')");

    // The socket still works after a timeout.
    await server.sendall(bytes("late"));
    expect(repr(await client.recv(1024))).toBe("b'late'");

    listening.sock.settimeout(0.05);
    expectError(await rejection(listening.sock.accept()), TimeoutError, "timed out");
  });

  // A node:net peer or the real socket below: only the kernel path has them.
  itOnKernelPath(
    "settimeout(t): sendall to a peer that does not read rejects with TimeoutError",
    async () => {
      const { nb } = await clientOfStalledPeer();
      const blocking = nb.setblocking(true);
      blocking.settimeout(0.05);
      const error = await rejection(blocking.sendall(pattern(64 * 1024 * 1024)));
      expectError(error, TimeoutError, "timed out");
    },
  );

  it("settimeout(-1) raises ValueError('Timeout value out of range') and changes nothing", () => {
    const s = newSocket();
    s.settimeout(2);
    expectError(
      thrown(() => {
        s.settimeout(-1);
      }),
      ValueError,
      "Timeout value out of range",
    );
    expect(s.gettimeout()).toBe(2);
  });

  it("settimeout: NaN, ±inf and 1e300 raise as in CPython 3.11; -0 is 0; 2**31 s is a timeout, not an overflow", async () => {
    const s = newSocket();
    s.settimeout(2);
    expectError(
      thrown(() => {
        s.settimeout(Number.NaN);
      }),
      ValueError,
      "Invalid value NaN (not a number)",
    );
    for (const huge of [Infinity, -Infinity, 1e300, 9.3e9]) {
      expectError(
        thrown(() => {
          s.settimeout(huge);
        }),
        OverflowError,
        "timestamp out of range for platform time_t",
      );
    }
    expect(s.gettimeout()).toBe(2);
    s.settimeout(-0);
    expect(Object.is(s.gettimeout(), 0)).toBe(true);
    // Node fires a timer longer than 2**31-1 ms at once (with a warning): a recv() with this timeout used to
    // reject with TimeoutError at once.
    const { client, server } = await connectedPair();
    server.settimeout(2 ** 31);
    const receiving = server.recv(10);
    let settled = false;
    receiving.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Absence cannot be awaited: 20 ms is 20 times what the overflowing timer took to fire.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    await client.sendall(bytes("late"));
    expect(repr(await within(receiving, "recv with a timeout of 2**31 s"))).toBe("b'late'");
  });

  it("settimeout(0): blocking calls reject with BlockingIOError instead of waiting", async () => {
    const { client, listening } = await connectedPair();
    client.settimeout(0);
    expect(client.gettimeout()).toBe(0);
    expect(client.getblocking()).toBe(false);
    expectOSError(
      await rejection(client.recv(1)),
      BlockingIOError,
      11,
      "Resource temporarily unavailable",
    );
    listening.sock.settimeout(0);
    expectOSError(
      await rejection(listening.sock.accept()),
      BlockingIOError,
      11,
      "Resource temporarily unavailable",
    );
    const other = newSocket();
    other.settimeout(0);
    expectOSError(
      await rejection(other.connect(listening.address)),
      BlockingIOError,
      115,
      "Operation now in progress",
    );
    const another = newSocket();
    another.settimeout(0);
    expect(await another.connectEx(listening.address)).toBe(115);
  });

  it("setblocking returns the view for the mode; gettimeout and getblocking follow", () => {
    const s = newSocket();
    expect(s.gettimeout()).toBeNull();
    expect(s.getblocking()).toBe(true);
    const nb = s.setblocking(false);
    expect(nb).toBeInstanceOf(socket.NonBlockingSocket);
    expect(nb.fileno()).toBe(s.fileno());
    expect(nb.gettimeout()).toBe(0);
    expect(nb.getblocking()).toBe(false);
    expect(s.getblocking()).toBe(false); // one socket, two views
    expect(nb.setblocking(false)).toBe(nb);
    expect(nb.setblocking(true)).toBe(s);
    expect(s.gettimeout()).toBeNull();
    expect(s.getblocking()).toBe(true);
    s.settimeout(2);
    expect([s.gettimeout(), s.getblocking()]).toEqual([2, true]);
    expect(socket.isSocket(s) && socket.isSocket(nb)).toBe(true);
    expect(socket.isSocket({ fileno: () => 3 })).toBe(false);
  });

  it("connect to a port where nobody listens: ConnectionRefusedError(111); connectEx returns 111", async () => {
    const port = await refusedPort();
    const error = await rejection(newSocket().connect([HOST, port]));
    expectOSError(error, ConnectionRefusedError, 111, "Connection refused");
    expect(await newSocket().connectEx([HOST, port])).toBe(111);
  });
});

describe("errors", () => {
  it("bind to a port in use: OSError(98, 'Address already in use') from bind(), as Python, exactly OSError", async () => {
    const { address } = await listener();
    const s = newSocket();
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    const error = thrown(() => {
      s.bind(address);
    });
    expectOSError(error, OSError, 98, "Address already in use");
    expect(repr(error)).toBe("OSError(98, 'Address already in use')");
  });

  it("non-blocking bind to a port in use: OSError 98 from bind() too (spec/bind-rules.spec.ts has the rules)", async () => {
    const { address } = await listener();
    const nb = newSocket().setblocking(false);
    expectOSError(
      thrown(() => {
        nb.bind(address);
      }),
      OSError,
      98,
      "Address already in use",
    );
  });

  it("bad addresses: port out of range OverflowError, wrong shapes TypeError, as Python words them", () => {
    const s = newSocket();
    expectError(
      thrown(() => {
        s.bind([HOST, 70000]);
      }),
      OverflowError,
      "bind(): port must be 0-65535.",
    );
    expectError(
      thrown(() => {
        s.bind([HOST, -1]);
      }),
      OverflowError,
      "bind(): port must be 0-65535.",
    );
    expectError(
      thrown(() => {
        // @ts-expect-error -- a 3-tuple is refused at run time, as in Python
        s.bind([HOST, 0, 0]);
      }),
      TypeError,
      "AF_INET address must be a pair (host, port)",
    );
    expectError(
      thrown(() => {
        s.bind(HOST);
      }),
      TypeError,
      "bind(): AF_INET address must be tuple, not str",
    );
    expectError(
      thrown(() => {
        // @ts-expect-error -- a port that is not an int
        s.bind([HOST, "80"]);
      }),
      TypeError,
      "'str' object cannot be interpreted as an integer",
    );
    expectError(
      thrown(() => {
        s.bind([HOST, 1.5]);
      }),
      TypeError,
      "'float' object cannot be interpreted as an integer",
    );
    expectError(
      thrown(() => {
        // @ts-expect-error -- a host that is not a str
        s.bind([1, 2]);
      }),
      TypeError,
      "str, bytes or bytearray expected, not int",
    );
    const nb = newSocket().setblocking(false);
    expectError(
      thrown(() => nb.connectEx([HOST, 70000])),
      OverflowError,
      "connect_ex(): port must be 0-65535.",
    );
    expectError(
      thrown(() => {
        nb.connect([HOST, 70000]);
      }),
      OverflowError,
      "connect(): port must be 0-65535.",
    );
    expect(s.getsockname()).toEqual(["0.0.0.0", 0]); // nothing was bound
  });

  it("bind twice: OSError(22, 'Invalid argument')", () => {
    const s = newSocket();
    s.bind([HOST, 0]);
    expectOSError(
      thrown(() => {
        s.bind([HOST, 0]);
      }),
      OSError,
      22,
      "Invalid argument",
    );
  });

  // A node:net peer or the real socket below: only the kernel path has them.
  itOnKernelPath(
    "a non-blocking socket gathers its sends into one write; with TCP_NODELAY each send is written at once",
    async () => {
      const writes = vi.spyOn(NodeSocketClass.prototype, "write");
      onTestFinished(() => {
        writes.mockRestore();
      });
      for (const nodelay of [0, 1]) {
        const { client, server } = await connectedPair();
        const sender = client.setblocking(false);
        sender.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, nodelay);
        writes.mockClear();
        expect(sender.send(Buffer.from("ab"))).toBe(2);
        expect(sender.send(Buffer.from("cd"))).toBe(2);
        expect(writes.mock.calls.length).toBe(nodelay ? 2 : 0);
        // Gathered or not, the bytes arrive, in order.
        expect(await recvExactly(server, 4)).toEqual(Buffer.from("abcd"));
        expect(writes.mock.calls.length).toBe(nodelay ? 2 : 1);
      }
    },
  );

  // A node:net peer or the real socket below: only the kernel path has them.
  itOnKernelPath(
    "the real socket runs without Nagle's algorithm from its second write on (our gathering replaces it)",
    async () => {
      const noDelay = vi.spyOn(NodeSocketClass.prototype, "setNoDelay");
      onTestFinished(() => {
        noDelay.mockRestore();
      });
      const { client, server } = await connectedPair();
      noDelay.mockClear();
      await client.sendall(Buffer.from("first"));
      expect(noDelay).not.toHaveBeenCalled();
      await client.sendall(Buffer.from("second"));
      expect(noDelay.mock.calls).toEqual([[true]]);
      expect(await recvExactly(server, 11)).toEqual(Buffer.from("firstsecond"));
      // What the program sees is its own setting, as in Python.
      expect(client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).toBe(0);
    },
  );

  it("options: set and read back; an unknown one is OSError(92, 'Protocol not available')", async () => {
    const { client } = await connectedPair();
    client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, true);
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    expect(client.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)).toBe(1);
    expect(client.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)).toBe(1);
    expect(client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).toBe(1);
    expect(client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
    const PROTO = "Protocol not available";
    expectOSError(
      thrown(() => client.getsockopt(socket.SOL_SOCKET, 9999)),
      OSError,
      92,
      PROTO,
    );
    expectOSError(
      thrown(() => {
        client.setsockopt(socket.SOL_SOCKET, 9999, 1);
      }),
      OSError,
      92,
      PROTO,
    );
  });

  it("shutdown with a bad `how`: OSError(22, 'Invalid argument')", async () => {
    const { client } = await connectedPair();
    expectOSError(
      thrown(() => {
        client.shutdown(5);
      }),
      OSError,
      22,
      "Invalid argument",
    );
  });

  describe("on a closed socket", () => {
    function closed(): { s: socket.BlockingSocket; nb: socket.NonBlockingSocket } {
      const s = newSocket();
      const nb = s.setblocking(false);
      s.close();
      return { s, nb };
    }

    it("every I/O and address call raises OSError(9, 'Bad file descriptor')", () => {
      const { nb } = closed();
      const calls: Record<string, () => unknown> = {
        recv: () => nb.recv(1),
        send: () => nb.send(bytes("x")),
        sendall: () => {
          nb.sendall(bytes("x"));
        },
        accept: () => nb.accept(),
        connect: () => {
          nb.connect([HOST, 1]);
        },
        listen: () => {
          nb.listen();
        },
        bind: () => {
          nb.bind([HOST, 0]);
        },
        getsockname: () => nb.getsockname(),
        getpeername: () => nb.getpeername(),
        getsockopt: () => nb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR),
        setsockopt: () => {
          nb.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
        },
        shutdown: () => {
          nb.shutdown(socket.SHUT_WR);
        },
        settimeout: () => {
          nb.settimeout(1);
        },
        setblocking: () => nb.setblocking(true),
      };
      for (const [name, call] of Object.entries(calls)) {
        const error = thrown(call);
        expect(repr(error), name).toBe("OSError(9, 'Bad file descriptor')");
        expectOSError(error, OSError, 9, BAD_FD);
      }
    });

    it("blocking calls reject with OSError 9", async () => {
      const { s } = closed();
      for (const call of [
        () => s.recv(1),
        () => s.send(bytes("x")),
        () => s.sendall(bytes("x")),
        () => s.accept(),
        () => s.connect([HOST, 1]),
        () => s.listen(),
      ]) {
        expectOSError(await rejection(call()), OSError, 9, BAD_FD);
      }
    });

    it("connectEx returns 9 instead of raising", async () => {
      const { s, nb } = closed();
      expect(nb.connectEx([HOST, 1])).toBe(9);
      expect(await s.connectEx([HOST, 1])).toBe(9);
    });

    it("argument errors come first: ValueError, TypeError, OverflowError", () => {
      const { nb } = closed();
      expectError(
        thrown(() => nb.recv(-1)),
        ValueError,
        "negative buffersize in recv",
      );
      expectError(
        thrown(() =>
          // @ts-expect-error -- a str, refused at run time
          nb.send("x"),
        ),
        TypeError,
        "a bytes-like object is required, not 'str'",
      );
      expectError(
        thrown(() => {
          nb.bind([HOST, 70000]);
        }),
        OverflowError,
        "bind(): port must be 0-65535.",
      );
      expectError(
        thrown(() => {
          // @ts-expect-error -- a 3-tuple
          nb.connectEx([HOST, 1, 2]);
        }),
        TypeError,
        "AF_INET address must be a pair (host, port)",
      );
      expectError(
        thrown(() => {
          nb.settimeout(-1);
        }),
        ValueError,
        "Timeout value out of range",
      );
    });

    it("fileno() is -1; close again, gettimeout and getblocking do not raise", () => {
      const { s, nb } = closed();
      expect(s.fileno()).toBe(-1);
      expect(nb.fileno()).toBe(-1);
      s.close();
      nb.close();
      expect(nb.gettimeout()).toBe(0);
      expect(nb.getblocking()).toBe(false);
    });
  });

  describe("peer reset (it closed with data unread)", () => {
    async function reset(): Promise<socket.NonBlockingSocket> {
      const { client, server } = await connectedPair();
      await client.sendall(bytes("unread"));
      await until(server, EVENT_READ);
      server.close(); // unread data: the kernel sends RST, not FIN
      const nb = client.setblocking(false);
      expect(await until(nb, EVENT_READ)).toBe(READ_WRITE);
      return nb;
    }

    it("recv raises ConnectionResetError(104) once, then returns b''; send raises BrokenPipeError", async () => {
      const nb = await reset();
      const error = thrown(() => nb.recv(1024));
      expectOSError(error, ConnectionResetError, 104, "Connection reset by peer");
      expect(repr(error)).toBe("ConnectionResetError(104, 'Connection reset by peer')");
      expect([nb.recv(1024), nb.recv(1024)].map(repr)).toEqual(["b''", "b''"]);
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        BrokenPipeError,
        32,
        BROKEN_PIPE,
      );
      expectOSError(
        thrown(() => nb.getpeername()),
        OSError,
        107,
        NOT_CONNECTED,
      );
    });

    it("or send raises it once; SO_ERROR also reports it once", async () => {
      const nb = await reset();
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        ConnectionResetError,
        104,
        "Connection reset by peer",
      );
      expectOSError(
        thrown(() => nb.send(bytes("x"))),
        BrokenPipeError,
        32,
        BROKEN_PIPE,
      );
      expect(repr(nb.recv(1))).toBe("b''");

      const other = await reset();
      expect(other.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(104);
      expect(other.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)).toBe(0);
      expect(repr(other.recv(1))).toBe("b''");
    });

    it("data the peer sent before the reset is read first", async () => {
      const { client, server } = await connectedPair();
      await client.sendall(bytes("unread"));
      await until(server, EVENT_READ);
      await server.sendall(bytes("last words"));
      server.close();
      const nb = client.setblocking(false);
      // Python: the data, then ConnectionResetError 104 once, then b''. libuv takes a hang-up that follows a
      // short read for end of stream without reading again, so Node usually never sees this reset: after the
      // data either ending is accepted. (Without data first, the reset is seen: the tests above.)
      await eventually(() => nb.core.eof || nb.core.hangup, "the end of the connection");
      expect(repr(nb.recv(1024))).toBe("b'last words'");
      let ending: string;
      try {
        ending = repr(nb.recv(1024));
      } catch (e) {
        ending = repr(e);
      }
      expect(["b''", "ConnectionResetError(104, 'Connection reset by peer')"]).toContain(ending);
      expect(repr(nb.recv(1024))).toBe("b''");
    });
  });

  it("peer closed (FIN): recv b''; the first send is taken, later ones raise BrokenPipeError 32", async () => {
    const { client, server } = await connectedPair();
    server.close();
    const nb = client.setblocking(false);
    await until(nb, EVENT_READ);
    expect(repr(nb.recv(1024))).toBe("b''");
    expect(nb.send(bytes("x"))).toBe(1); // the peer answers with a reset
    let error: unknown = null;
    await eventually(() => {
      try {
        nb.send(bytes("x"));
        return false;
      } catch (e) {
        error = e;
        return true;
      }
    }, "send to fail after the peer's reset");
    expectOSError(error, BrokenPipeError, 32, BROKEN_PIPE);
    expectOSError(
      thrown(() => nb.send(bytes("x"))),
      BrokenPipeError,
      32,
      BROKEN_PIPE,
    );
    expect(repr(nb.recv(1024))).toBe("b''");
  });

  it("peer shutdown(SHUT_WR): recv returns b'' every time, while send still works", async () => {
    const { client, server } = await connectedPair();
    server.shutdown(socket.SHUT_WR);
    const nb = client.setblocking(false);
    expect(await until(nb, EVENT_READ)).toBe(READ_WRITE);
    expect([nb.recv(10), nb.recv(10), nb.recv(10)].map(repr)).toEqual(["b''", "b''", "b''"]);
    expect(nb.send(bytes("still here"))).toBe(10);
    expect(repr(await recvExactly(server, 10))).toBe("b'still here'");
  });

  it("our shutdown(SHUT_WR): the peer reads what was sent, then EOF; our send raises BrokenPipeError 32", async () => {
    const { client, server } = await connectedPair();
    await client.sendall(bytes("bye"));
    client.shutdown(socket.SHUT_WR);
    expectOSError(await rejection(client.send(bytes("x"))), BrokenPipeError, 32, BROKEN_PIPE);
    const nb = client.setblocking(false);
    expectOSError(
      thrown(() => nb.send(bytes("x"))),
      BrokenPipeError,
      32,
      BROKEN_PIPE,
    );
    expect(repr(await recvToEnd(server))).toBe("b'bye'");
    // We can still receive.
    await server.sendall(bytes("reply"));
    await until(nb, EVENT_READ);
    expect(repr(nb.recv(10))).toBe("b'reply'");
  });

  it("our shutdown(SHUT_RD): recv returns b''", async () => {
    const { client } = await connectedPair();
    client.shutdown(socket.SHUT_RD);
    const nb = client.setblocking(false);
    expect([nb.recv(10), nb.recv(10)].map(repr)).toEqual(["b''", "b''"]);
  });
});

describe("addresses, repr and file descriptors", () => {
  it("getsockname and getpeername give (host, port) tuples that match across the connection", async () => {
    const { client, server, listening } = await connectedPair();
    const [host, port] = listening.address;
    expect(host).toBe(HOST);
    expect(port).toBeGreaterThan(0);
    expect(server.getsockname()).toEqual([HOST, port]);
    expect(client.getpeername()).toEqual([HOST, port]);
    expect(server.getpeername()).toEqual(client.getsockname());
    expect(portOf(client.getsockname())).not.toBe(port);
    expectOSError(
      thrown(() => listening.sock.getpeername()),
      OSError,
      107,
      NOT_CONNECTED,
    );
  });

  it("repr is Python's: fd, family, type, proto, laddr, raddr; [closed] once closed", async () => {
    const { client, server, listening } = await connectedPair();
    const [, port] = listening.address;
    const cport = portOf(client.getsockname());
    expect(repr(listening.sock)).toBe(
      `<socket.socket fd=${listening.sock.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port})>`,
    );
    expect(repr(client)).toBe(
      `<socket.socket fd=${client.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${cport}), raddr=('127.0.0.1', ${port})>`,
    );
    expect(repr(server.setblocking(false))).toBe(
      `<socket.socket fd=${server.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port}), raddr=('127.0.0.1', ${cport})>`,
    );
    expect(inspect(client)).toBe(repr(client));
    const fresh = newSocket();
    expect(repr(fresh)).toBe(
      `<socket.socket fd=${fresh.fileno()}, family=2, type=1, proto=0, laddr=('0.0.0.0', 0)>`,
    );
    client.close();
    expect(repr(client)).toBe("<socket.socket [closed] fd=-1, family=2, type=1, proto=0>");
  });

  it("fds are the lowest free numbers: a closed socket's fd is the next one given", () => {
    const a = newSocket();
    const b = newSocket();
    const c = newSocket();
    expect(a.fileno()).toBeGreaterThanOrEqual(3);
    expect(new Set([a.fileno(), b.fileno(), c.fileno()]).size).toBe(3);
    const [low, mid, high] = [a, b, c].sort((x, y) => x.fileno() - y.fileno());
    if (low === undefined || mid === undefined || high === undefined)
      throw new Error("three sockets");
    const midFd = mid.fileno();
    mid.close();
    const d = newSocket();
    expect(d.fileno()).toBe(midFd);
    const lowFd = low.fileno();
    high.close();
    low.close();
    expect(newSocket().fileno()).toBe(lowFd);
  });

  it("an accepted socket takes its fd at accept(), as the kernel gives it", async () => {
    const { sock, address } = await listener();
    const client = newSocket();
    await client.connect(address);
    const probe = socket.socket();
    const next = probe.fileno();
    probe.close();
    const [conn] = await sock.accept();
    track(conn);
    expect(conn.fileno()).toBe(next);
  });
});

/** Whether this machine can listen on the IPv6 loopback. */
async function hasIPv6Loopback(): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, HOST6, resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/**
 * Whether this machine's resolver gives `localhost` an IPv6 address (a `::1 localhost` line in /etc/hosts, as
 * many have and some, such as the one this was written on, have not): asked as lib/python/socket.ts asks it.
 */
async function localhostHasIPv6(): Promise<boolean> {
  try {
    await lookupAddress("localhost", { family: 6 });
    return true;
  } catch {
    return false;
  }
}
const LOCALHOST_V6 = await localhostHasIPv6();

describe.skipIf(!(await hasIPv6Loopback()))(
  "IPv6 (skipped where this machine cannot listen on ::1)",
  () => {
    it("addresses are 4-tuples (host, port, flowinfo, scope_id); repr shows family=10", async () => {
      const { sock, address } = await listener(socket.AF_INET6);
      const [host, port] = address;
      expect(address).toEqual([HOST6, port, 0, 0]);
      expect(host).toBe(HOST6);
      const client = newSocket(socket.AF_INET6);
      const [[conn, addr]] = await Promise.all([sock.accept(), client.connect([HOST6, port])]);
      track(conn);
      const cport = portOf(client.getsockname());
      expect(addr).toEqual([HOST6, cport, 0, 0]);
      expect(client.getpeername()).toEqual([HOST6, port, 0, 0]);
      expect(repr(conn)).toBe(
        `<socket.socket fd=${conn.fileno()}, family=10, type=1, proto=0, laddr=('::1', ${port}, 0, 0), raddr=('::1', ${cport}, 0, 0)>`,
      );
      await client.sendall(bytes("v6"));
      expect(repr(await recvExactly(conn, 2))).toBe("b'v6'");
    });

    it("an unbound socket is ('::', 0, 0, 0); a 1-tuple is a TypeError", () => {
      const s = newSocket(socket.AF_INET6);
      expect(s.getsockname()).toEqual(["::", 0, 0, 0]);
      expectError(
        thrown(() => {
          // @ts-expect-error -- a 1-tuple, refused at run time
          s.bind([HOST6]);
        }),
        TypeError,
        "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])",
      );
      expectError(
        thrown(() => {
          s.bind(HOST6);
        }),
        TypeError,
        "bind(): AF_INET6 address must be tuple, not str",
      );
    });
  },
);

describe("address family of an IP literal", () => {
  // CPython 3.11 on Linux: socket(AF_INET).bind(("::1", 0)) and socket(AF_INET6).connect(("127.0.0.1", 1)) raise
  // gaierror(-9, 'Address family for hostname not supported'), before the port is checked and before EBADF.
  const FAMILY = "Address family for hostname not supported";
  const expectFamilyError = (error: unknown): void => {
    expectOSError(error, gaierror, -9, FAMILY);
  };

  it("AF_INET refuses an IPv6 literal in bind, connect and connect_ex", async () => {
    const s = newSocket(socket.AF_INET);
    expectFamilyError(
      thrown(() => {
        s.bind([HOST6, 0]);
      }),
    );
    expectFamilyError(
      thrown(() => {
        s.bind([HOST6, 70000]);
      }),
    );
    expectFamilyError(await rejection(s.connect([HOST6, 1])));
    expectFamilyError(await rejection(s.connectEx([HOST6, 1])));
    expectFamilyError(
      thrown(() => {
        s.setblocking(false).connectEx(["::ffff:127.0.0.1", 1]);
      }),
    );
    s.close();
    expectFamilyError(
      thrown(() => {
        s.bind([HOST6, 0]);
      }),
    );
  });

  it("AF_INET6 refuses an IPv4 literal, and takes an IPv4-mapped one", async () => {
    const s = newSocket(socket.AF_INET6);
    expectFamilyError(
      thrown(() => {
        s.bind([HOST, 0]);
      }),
    );
    expectFamilyError(await rejection(s.connect([HOST, 1, 0, 0])));
    s.bind(["::ffff:127.0.0.1", 0]);
    await s.listen();
    expect(s.getsockname()).toEqual(["::ffff:127.0.0.1", expect.any(Number), 0, 0]);
  });

  // Node's listen() looks a name up in any family. Python's bind() asks getaddrinfo() for AF_INET6 only: `::1`
  // where the hosts file maps localhost to it, else gaierror(-2, 'Name or service not known'). Which of the two
  // this machine gives decides which test runs; the other says in its name that it is skipped.
  it.skipIf(!LOCALHOST_V6)(
    "`localhost` in an AF_INET6 socket, where the resolver maps it to ::1: bound to ::1, never to an IPv4 address (skipped where it does not)",
    async () => {
      const s = newSocket(socket.AF_INET6);
      s.bind(["localhost", 0]);
      await s.listen();
      expect(s.getsockname()).toEqual([HOST6, expect.any(Number), 0, 0]);
    },
  );

  it.skipIf(LOCALHOST_V6)(
    "`localhost` in an AF_INET6 socket, where the resolver has no IPv6 address for it: gaierror -2, never an IPv4 address (skipped where it has one)",
    async () => {
      const s = newSocket(socket.AF_INET6);
      s.bind(["localhost", 0]);
      expectOSError(await rejection(s.listen()), gaierror, -2, "Name or service not known");
    },
  );
});

describe("AF_UNIX", () => {
  async function tempPath(name: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "socket-spec-"));
    onTestFinished(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    return join(dir, name);
  }

  it("a path address; the accepted peer's address is ''; data goes both ways", async () => {
    const path = await tempPath("echo.sock");
    const l = newSocket(socket.AF_UNIX);
    l.bind(path);
    await l.listen();
    const c = newSocket(socket.AF_UNIX);
    const [[conn, addr]] = await Promise.all([l.accept(), c.connect(path)]);
    track(conn);
    expect(addr).toBe("");
    expect(l.getsockname()).toBe(path);
    expect(c.getsockname()).toBe("");
    expect(c.getpeername()).toBe(path);
    expect(conn.getsockname()).toBe(path);
    expect(conn.getpeername()).toBe("");
    expect(repr(l)).toBe(
      `<socket.socket fd=${l.fileno()}, family=1, type=1, proto=0, laddr=${path}>`,
    );
    expect(repr(c)).toBe(
      `<socket.socket fd=${c.fileno()}, family=1, type=1, proto=0, raddr=${path}>`,
    );
    expect(repr(conn)).toBe(
      `<socket.socket fd=${conn.fileno()}, family=1, type=1, proto=0, laddr=${path}>`,
    );
    await c.sendall(bytes("ping"));
    expect(repr(await recvExactly(conn, 4))).toBe("b'ping'");
    await conn.sendall(bytes("pong"));
    expect(repr(await recvExactly(c, 4))).toBe("b'pong'");
  });

  it("an unbound socket has name '' and no peer; a tuple address is a TypeError", () => {
    const s = newSocket(socket.AF_UNIX);
    expect(s.getsockname()).toBe("");
    expectOSError(
      thrown(() => s.getpeername()),
      OSError,
      107,
      NOT_CONNECTED,
    );
    expect(repr(s)).toBe(`<socket.socket fd=${s.fileno()}, family=1, type=1, proto=0>`);
    expectError(
      thrown(() => {
        s.bind([HOST, 1]);
      }),
      TypeError,
      "a bytes-like object is required, not 'tuple'",
    );
  });

  it("socketpair(): two connected AF_UNIX sockets, unnamed, data both ways", async () => {
    const [a, b] = await socket.socketpair();
    track(a);
    track(b);
    expect([a.family, b.family]).toEqual([socket.AF_UNIX, socket.AF_UNIX]);
    expect([a.getsockname(), a.getpeername(), b.getsockname(), b.getpeername()]).toEqual([
      "",
      "",
      "",
      "",
    ]);
    expect(repr(a)).toBe(`<socket.socket fd=${a.fileno()}, family=1, type=1, proto=0>`);
    expect(a.getblocking() && b.getblocking()).toBe(true);
    await a.sendall(bytes("a->b"));
    expect(repr(await recvExactly(b, 4))).toBe("b'a->b'");
    await b.sendall(bytes("b->a"));
    expect(repr(await recvExactly(a, 4))).toBe("b'b->a'");
    a.close();
    expect(repr(await b.recv(10))).toBe("b''");
  });

  it("socketpair() is made whatever the default timeout, and its sockets get it (CPython 3.11: 0.0 after setdefaulttimeout(0))", async () => {
    socket.setdefaulttimeout(0);
    try {
      const [a, b] = await socket.socketpair();
      track(a);
      track(b);
      expect([a.gettimeout(), b.gettimeout()]).toEqual([0, 0]);
      expect(a.getblocking() || b.getblocking()).toBe(false);
    } finally {
      socket.setdefaulttimeout(null);
    }
    const [c, d] = await socket.socketpair();
    track(c);
    track(d);
    expect([c.gettimeout(), d.gettimeout()]).toEqual([null, null]);
  });

  it("close() with unread data works on socketpair() and AF_UNIX sockets; the peer sees end of stream", async () => {
    // Node can reset only TCP (resetAndDestroy() threw ERR_INVALID_HANDLE_TYPE on a pipe and left it open).
    const [a, b] = await socket.socketpair();
    track(a);
    track(b);
    await a.sendall(bytes("unread"));
    await until(b.setblocking(false), EVENT_READ);
    b.close();
    expect(b.fileno()).toBe(-1);
    expect(repr(await within(a.recv(10), "a sees end of stream"))).toBe("b''");

    const path = await tempPath("unread.sock");
    const l = newSocket(socket.AF_UNIX);
    l.bind(path);
    await l.listen();
    const c = newSocket(socket.AF_UNIX);
    const [[conn]] = await Promise.all([l.accept(), c.connect(path)]);
    track(conn);
    await conn.sendall(bytes("unread"));
    await until(c.setblocking(false), EVENT_READ);
    c.close();
    expect(repr(await within(conn.recv(10), "conn sees end of stream"))).toBe("b''");
  });

  it("close() of an AF_UNIX listener with a connection not yet accepted works; the peer sees end of stream", async () => {
    const path = await tempPath("pending.sock");
    const l = newSocket(socket.AF_UNIX);
    l.bind(path);
    await l.listen();
    const c = newSocket(socket.AF_UNIX);
    await c.connect(path);
    await until(l.setblocking(false), EVENT_READ);
    l.close();
    expect(l.fileno()).toBe(-1);
    expect(repr(await within(c.recv(10), "c sees end of stream"))).toBe("b''");
  });
});

describe("using and createConnection", () => {
  it("`using` closes the socket at the end of the block, freeing its fd", () => {
    function useOne(): { sock: socket.BlockingSocket; fd: number; open: boolean } {
      using s = socket.socket();
      return { sock: s, fd: s.fileno(), open: s.fileno() !== -1 }; // disposed as the block is left
    }
    const { sock, fd, open } = useOne();
    expect(open).toBe(true);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(sock.fileno()).toBe(-1);
    expect(repr(sock)).toBe("<socket.socket [closed] fd=-1, family=2, type=1, proto=0>");
    expect(newSocket().fileno()).toBe(fd);
  });

  it("createConnection returns a connected blocking socket (proto 6) with the timeout given", async () => {
    const { sock, address } = await listener();
    const [c, [conn]] = await Promise.all([socket.createConnection(address, 2), sock.accept()]);
    track(c);
    track(conn);
    expect(c.gettimeout()).toBe(2);
    expect(c.getpeername()).toEqual(address);
    expect(conn.getpeername()).toEqual(c.getsockname());
    expect(repr(c)).toBe(
      `<socket.socket fd=${c.fileno()}, family=2, type=1, proto=6, laddr=('127.0.0.1', ${portOf(c.getsockname())}), raddr=('127.0.0.1', ${address[1]})>`,
    );
    expect(c.proto).toBe(6);
    expect(conn.proto).toBe(0); // accepted from a socket(AF_INET, SOCK_STREAM) listener
    const tcp = track(socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP));
    expect(repr(tcp)).toBe(
      `<socket.socket fd=${tcp.fileno()}, family=2, type=1, proto=6, laddr=('0.0.0.0', 0)>`,
    );
    expectOSError(
      thrown(() => socket.socket(socket.AF_INET, socket.SOCK_STREAM, 17)),
      OSError,
      93,
      "Protocol not supported",
    );
    // As python3 on Linux: a type the family lacks is 94; SOCK_RAW (not emulated; root only on Linux) is 93.
    for (const [family, type, code, text] of [
      [socket.AF_INET, socket.SOCK_RDM, 94, "Socket type not supported"],
      [socket.AF_INET6, 0, 94, "Socket type not supported"],
      [socket.AF_UNIX, 6, 94, "Socket type not supported"],
      [socket.AF_INET, socket.SOCK_RAW, 93, "Protocol not supported"],
    ] as const) {
      expectOSError(
        thrown(() => socket.socket(family, type)),
        OSError,
        code,
        text,
      );
    }
    // SOCK_NONBLOCK in the type: a non-blocking socket (timeout 0.0); the type reads back without the flags.
    const flagged = track(
      socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC),
    );
    expect([flagged.type, flagged.gettimeout(), flagged.getblocking()]).toEqual([
      socket.SOCK_DGRAM,
      0,
      false,
    ]);
    expect(repr(flagged.type)).toBe("<SocketKind.SOCK_DGRAM: 2>");
    expect(
      track(socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)).gettimeout(),
    ).toBeNull();
    const plain = await socket.createConnection(address);
    track(plain);
    track((await sock.accept())[0]);
    expect(plain.gettimeout()).toBeNull();
  });

  it("createConnection to a port where nobody listens rejects with ConnectionRefusedError and frees its fd", async () => {
    const port = await refusedPort();
    const probe = socket.socket();
    const next = probe.fileno();
    probe.close();
    const error = await rejection(socket.createConnection([HOST, port]));
    expectOSError(error, ConnectionRefusedError, 111, "Connection refused");
    expect(newSocket().fileno()).toBe(next);
  });
});

describe("KeyboardInterrupt", () => {
  it("SIGINT during a blocking accept() throws KeyboardInterrupt out of it; the program exits 0", async () => {
    const program = tsProgram("spec/fixtures/programs/accept-interrupted.ts", []);
    const ready = await program.waitForLine(/^ready \d+$/);
    program.signal("SIGINT");
    const exit = await program.waitForExit();
    expect(exit.stdout).toBe(
      `${ready}\nCaught KeyboardInterrupt(), fd 3 still open\nclosed, fd -1\n`,
    );
    expect(exit.stderr).toBe("");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(repr(new KeyboardInterrupt())).toBe("KeyboardInterrupt()");
  });
});
