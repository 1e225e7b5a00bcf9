// CPython's Lib/test/test_socket.py, ported: the connected-socket classes (BasicTCPTest, BasicTCPTest2,
// TCPCloserTest, BasicSocketPairTest, NonBlockingTCPTests, NetworkConnectionNoServer,
// NetworkConnectionAttributesTest, NetworkConnectionBehaviourTest, TCPTimeoutTest, ContextManagersTest). Each
// test is named after the CPython test it ports and keeps its expected values; every adaptation is said at the
// test. What does not apply is in spec/conformance/README.md, with the reason.
//
// Adaptations common to all: CPython's threaded client/server pair (`testX` in the server thread, `_testX` in
// the client thread) → both halves in one test, in an order the awaits make explicit; a blocking call → `await`;
// `self.serv_conn` is the client's socket, `self.cli_conn` the server's side from accept(), as in CPython.
// `select.select([s], [], [], t)` → a DefaultSelector on the non-blocking view of `s` (our selectors take
// non-blocking sockets), `select(t)`.
import { setImmediate as nextTurn } from "node:timers/promises";

import { describe, expect, it, onTestFinished, vi } from "vitest";

import { BlockingIOError, OSError, OverflowError, TimeoutError } from "../../lib/python/errors.ts";
import { DefaultSelector, EVENT_READ } from "../../lib/python/selectors.ts";
import { int } from "../../lib/python/int-enum.ts";
import * as socket from "../../lib/python/socket.ts";
import {
  HOST,
  assertWouldBlock,
  expectError,
  expectOSError,
  refusedPort,
  rejection,
  thrown,
  within,
} from "../helpers/sockets.ts";
import { LOOPBACK_TIMEOUT, MSG, WIRES, fixtures, withDefaultTimeout } from "./wire.ts";

/** CPython's `support.SHORT_TIMEOUT` is 30 s; 5 s keeps a failure inside vitest's own limit. */
const SHORT_TIMEOUT = 5;
/** CPython's `support.LONG_TIMEOUT` is 300 s; the same bound as {@link SHORT_TIMEOUT}. */
const LONG_TIMEOUT = 5;

/** `select.select([s], [], [], timeout)[0]`: the sockets of `socks` that are readable, waiting at most `timeout`. */
async function selectRead(
  socks: readonly socket.NonBlockingSocket[],
  timeout: number,
): Promise<socket.NonBlockingSocket[]> {
  using sel = new DefaultSelector<null>();
  for (const s of socks) sel.register(s, EVENT_READ, null);
  const ready = await sel.select(timeout);
  return ready.map(([key]) => key.fileobj);
}

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

for (const wire of WIRES) {
  const { sock, listening, connected, pair } = fixtures(wire);

  // BasicTCPTest (client made by connect()) and BasicTCPTest2 (the same tests, client made by
  // socket.create_connection(): CPython's NetworkConnectionTest.clientSetUp).
  for (const [cls, client] of [
    ["BasicTCPTest", "connect"],
    ["BasicTCPTest2", "createConnection"],
  ] as const) {
    describe(`test_socket.py ${cls} (${wire.name})`, () => {
      it(`${cls}.testRecv`, async () => {
        const { cliConn, servConn } = await connected(client);
        await servConn.send(MSG);
        const msg = await cliConn.recv(1024);
        expect(msg).toEqual(MSG);
      });

      it(`${cls}.testOverFlowRecv`, async () => {
        const { cliConn, servConn } = await connected(client);
        await servConn.send(MSG);
        const seg1 = await cliConn.recv(MSG.length - 3);
        const seg2 = await cliConn.recv(1024);
        expect(Buffer.concat([seg1, seg2])).toEqual(MSG);
      });

      it(`${cls}.testSendAll`, async () => {
        // The client's sendall() and then its tearDown (serv_conn.close()), before the server reads to the end.
        const { cliConn, servConn } = await connected(client);
        await servConn.sendall(bytes("f".repeat(2048)));
        servConn.close();
        const chunks: Buffer[] = [];
        for (;;) {
          const read = await within(cliConn.recv(1024), "recv");
          if (read.length === 0) break;
          chunks.push(read);
        }
        expect(Buffer.concat(chunks)).toEqual(bytes("f".repeat(2048)));
      });

      it(`${cls}.testShutdown`, async () => {
        // self.done.wait() (the client finished) → the client's awaits come first.
        const { cliConn, servConn } = await connected(client);
        await servConn.send(MSG);
        servConn.shutdown(2);
        const msg = await cliConn.recv(1024);
        expect(msg).toEqual(MSG);
      });

      it(`${cls}.testShutdown_overflow`, async () => {
        // _testcapi.INT_MAX + 1 → 2 ** 31, UINT_MAX + 1 → 2 ** 32; the message is CPython 3.11's.
        const { cliConn, servConn } = await connected(client);
        await servConn.send(MSG);
        for (const how of [2 ** 31, 2 + 2 ** 32]) {
          expectError(
            thrown(() => {
              servConn.shutdown(how);
            }),
            OverflowError,
            "Python int too large to convert to C int",
          );
        }
        servConn.shutdown(2);
        const msg = await cliConn.recv(1024);
        expect(msg).toEqual(MSG);
      });
    });
  }

  describe(`test_socket.py TCPCloserTest (${wire.name})`, () => {
    it("TCPCloserTest.testClose", async () => {
      const { serv, port } = await listening();
      const cli = sock();
      const [[conn]] = await Promise.all([serv.accept(), cli.connect([HOST, port])]);
      await cli.send(bytes("x"));

      const nbConn = conn.setblocking(false);
      expect(await selectRead([nbConn], SHORT_TIMEOUT)).toEqual([nbConn]);
      expect(nbConn.recv(1)).toEqual(bytes("x"));
      conn.close();
      // Calling close() many times should be safe.
      conn.close();
      conn.close();

      const nbCli = cli.setblocking(false);
      expect(await selectRead([nbCli], SHORT_TIMEOUT)).toEqual([nbCli]);
      expect(nbCli.recv(1)).toEqual(bytes(""));
    });
  });

  describe(`test_socket.py BasicSocketPairTest (${wire.name})`, () => {
    it("BasicSocketPairTest.testDefaults", async () => {
      // assertIsInstance(sock, socket.socket) → isSocket(); both halves (_testDefaults checks cli).
      const { serv, cli } = await pair();
      for (const s of [serv, cli]) {
        expect(socket.isSocket(s)).toBe(true);
        expect(s.family).toBe(socket.AF_UNIX);
        expect(s.type).toBe(socket.SOCK_STREAM);
        expect(s.proto).toBe(0);
      }
    });

    it("BasicSocketPairTest.testRecv", async () => {
      const { serv, cli } = await pair();
      await cli.send(MSG);
      const msg = await serv.recv(1024);
      expect(msg).toEqual(MSG);
    });

    it("BasicSocketPairTest.testSend", async () => {
      const { serv, cli } = await pair();
      await serv.send(MSG);
      const msg = await cli.recv(1024);
      expect(msg).toEqual(MSG);
    });
  });

  describe(`test_socket.py NonBlockingTCPTests (${wire.name})`, () => {
    /** CPython's assert_sock_timeout, without its fcntl(O_NONBLOCK) half (our fds are not the kernel's). */
    function assertSockTimeout(s: socket.Socket, timeout: number | null): void {
      expect(s.gettimeout()).toBe(timeout);
      expect(s.getblocking()).toBe(timeout !== 0);
    }

    it("NonBlockingTCPTests.testSetBlocking", async () => {
      const { serv } = await listening();
      serv.setblocking(true);
      assertSockTimeout(serv, null);
      serv.setblocking(false);
      assertSockTimeout(serv, 0);
      serv.settimeout(null);
      assertSockTimeout(serv, null);
      serv.settimeout(0);
      assertSockTimeout(serv, 0);
      serv.settimeout(10);
      assertSockTimeout(serv, 10);
      serv.settimeout(0);
      assertSockTimeout(serv, 0);
    });

    it("NonBlockingTCPTests.testInheritFlagsBlocking", async () => {
      const { serv, port } = await listening();
      const cli = sock();
      await withDefaultTimeout(null, async () => {
        serv.settimeout(10);
        const [[conn]] = await Promise.all([serv.accept(), cli.connect([HOST, port])]);
        onTestFinished(() => {
          conn.close();
        });
        expect(conn.gettimeout()).toBeNull();
      });
    });

    it("NonBlockingTCPTests.testInheritFlagsTimeout", async () => {
      // The client socket is made before the default changes, as in CPython's clientSetUp.
      const { serv, port } = await listening();
      const cli = sock();
      const defaultTimeout = 20.0;
      await withDefaultTimeout(defaultTimeout, async () => {
        serv.settimeout(10);
        const [[conn]] = await Promise.all([serv.accept(), cli.connect([HOST, port])]);
        onTestFinished(() => {
          conn.close();
        });
        expect(conn.gettimeout()).toBe(defaultTimeout);
      });
    });

    it("NonBlockingTCPTests.testAccept", async () => {
      // The `dt < 1.0` check on the failing accept() is dropped: a non-blocking accept() is synchronous here
      // (it returns no Promise), so it cannot wait. self.event → the client connects after that accept().
      const { serv, port } = await listening();
      const cli = sock();
      const nbServ = serv.setblocking(false);
      assertWouldBlock(() => nbServ.accept());

      const connecting = cli.connect([HOST, port]);
      const read = await selectRead([nbServ], LONG_TIMEOUT);
      expect(read, "Error trying to do accept after select.").toContain(nbServ);

      const [conn] = nbServ.accept();
      onTestFinished(() => {
        conn.close();
      });
      expect(conn.gettimeout()).toBeNull();
      await connecting;
    });

    it("NonBlockingTCPTests.testRecv", async () => {
      const { serv, port } = await listening();
      const cli = sock();
      const [[conn]] = await Promise.all([serv.accept(), cli.connect([HOST, port])]);
      onTestFinished(() => {
        conn.close();
      });
      const nbConn = conn.setblocking(false);

      // The client has not sent yet: a non-blocking recv() fails.
      assertWouldBlock(() => nbConn.recv(MSG.length));

      await cli.sendall(MSG);
      const read = await selectRead([nbConn], LONG_TIMEOUT);
      expect(read, "Error during select call to non-blocking socket.").toContain(nbConn);
      expect(nbConn.recv(MSG.length)).toEqual(MSG);
    });

    it("NonBlockingTCPTests.testLargeTimeout", async () => {
      // large_timeout = _testcapi.INT_MAX + 1 = 2 ** 31 seconds, on both sides. CPython asserts nothing about
      // the message; we check it arrived whole.
      const largeTimeout = 2 ** 31;
      const { serv, port } = await listening();
      const cli = sock();
      const [[conn]] = await Promise.all([serv.accept(), cli.connect([HOST, port])]);
      onTestFinished(() => {
        conn.close();
      });
      conn.settimeout(largeTimeout);
      const receiving = conn.recv(MSG.length);
      cli.settimeout(largeTimeout);
      await cli.sendall(MSG);
      expect(await within(receiving, "recv with a large timeout")).toEqual(MSG);
    });
  });

  describe(`test_socket.py NetworkConnectionNoServer (${wire.name})`, () => {
    it("NetworkConnectionNoServer.test_connect", async () => {
      // find_unused_port() → a port that listened a moment ago.
      const port = await refusedPort();
      const cli = sock(socket.AF_INET);
      const error = await rejection(cli.connect([HOST, port]));
      expect(error).toBeInstanceOf(OSError);
      expect(error).toHaveProperty("errno", 111); // errno.ECONNREFUSED
    });

    it("NetworkConnectionNoServer.test_create_connection", async () => {
      // socket_helper.get_socket_conn_refused_errs() on Linux: ECONNREFUSED, ENETUNREACH, EADDRNOTAVAIL,
      // EHOSTUNREACH.
      const port = await refusedPort();
      const error = await rejection(wire.createConnection([HOST, port]));
      expect(error).toBeInstanceOf(OSError);
      expect([111, 101, 99, 113]).toContain(error instanceof OSError ? error.errno : null);
    });

    it("NetworkConnectionNoServer.test_create_connection_timeout", async () => {
      // mocked_socket_module() swaps socket.socket for a class whose connect() raises TimeoutError('timed
      // out') → the same on BlockingSocket's connect() for this test. create_connection() must not recast it.
      const spy = vi
        .spyOn(socket.BlockingSocket.prototype, "connect")
        .mockRejectedValue(new TimeoutError("timed out"));
      onTestFinished(() => {
        spy.mockRestore();
      });
      const error = await rejection(wire.createConnection([HOST, 1234]));
      expectError(error, TimeoutError, "timed out");
    });
  });

  describe(`test_socket.py NetworkConnectionAttributesTest (${wire.name})`, () => {
    /**
     * The server half of every test here (CPython's _justAccept: accept, close) next to the client half
     * `connect`, which returns the client socket.
     */
    async function justAccept(
      connect: (address: socket.InetAddress) => Promise<socket.BlockingSocket>,
    ): Promise<socket.BlockingSocket> {
      const { serv, port } = await listening();
      const [[conn], cli] = await Promise.all([serv.accept(), connect([HOST, port])]);
      conn.close();
      onTestFinished(() => {
        cli.close();
      });
      return cli;
    }

    it("NetworkConnectionAttributesTest.testFamily", async () => {
      const cli = await justAccept((address) => wire.createConnection(address, LOOPBACK_TIMEOUT));
      expect(int(cli.family)).toBe(2);
    });

    it("NetworkConnectionAttributesTest.testSourceAddress", async () => {
      // source_address=('', self.source_port) → the third argument; find_unused_port() as in test_connect.
      const sourcePort = await refusedPort();
      const cli = await justAccept((address) =>
        wire.createConnection(address, LOOPBACK_TIMEOUT, ["", sourcePort]),
      );
      expect(cli.getsockname()[1]).toBe(sourcePort);
    });

    it("NetworkConnectionAttributesTest.testTimeoutDefault", async () => {
      expect(socket.getdefaulttimeout()).toBeNull();
      socket.setdefaulttimeout(42);
      let cli: socket.BlockingSocket;
      try {
        cli = await justAccept((address) => wire.createConnection(address));
      } finally {
        socket.setdefaulttimeout(null);
      }
      expect(cli.gettimeout()).toBe(42);
    });

    it("NetworkConnectionAttributesTest.testTimeoutNone", async () => {
      expect(socket.getdefaulttimeout()).toBeNull();
      socket.setdefaulttimeout(30);
      let cli: socket.BlockingSocket;
      try {
        cli = await justAccept((address) => wire.createConnection(address, null));
      } finally {
        socket.setdefaulttimeout(null);
      }
      expect(cli.gettimeout()).toBeNull();
    });

    it("NetworkConnectionAttributesTest.testTimeoutValueNamed", async () => {
      // timeout=30 → the second argument (no keyword arguments in TypeScript).
      const cli = await justAccept((address) => wire.createConnection(address, 30));
      expect(cli.gettimeout()).toBe(30);
    });

    it("NetworkConnectionAttributesTest.testTimeoutValueNonamed", async () => {
      const cli = await justAccept((address) => wire.createConnection(address, 30));
      expect(cli.gettimeout()).toBe(30);
    });
  });

  describe(`test_socket.py NetworkConnectionBehaviourTest (${wire.name})`, () => {
    it("NetworkConnectionBehaviourTest.testInsideTimeout", async () => {
      // The server's time.sleep(3) before it sends → 3 s on a fake clock while the client's recv() waits: vitest's
      // fake timers stand in for the timers and performance.now() (what a socket's timeout runs on), while the
      // event loop's own turns (setImmediate) and the wire stay real (the memory network has no clock of its own:
      // its deliveries run on setImmediate). A client made without a timeout (the default timeout, None) must
      // still be waiting after those 3 s, and then get the server's bytes.
      const { serv, port } = await listening();
      const [[conn], cli] = await Promise.all([serv.accept(), wire.createConnection([HOST, port])]);
      onTestFinished(() => {
        conn.close();
        cli.close();
      });
      vi.useFakeTimers({
        toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"],
      });
      onTestFinished(() => {
        vi.useRealTimers();
      });
      // (Set from the callbacks below: declared with `as` so that TypeScript does not narrow it to null.)
      let outcome = null as { data: Buffer } | { error: unknown } | null;
      const receiving = cli.recv(5).then(
        (data) => (outcome = { data }),
        (error: unknown) => (outcome = { error }),
      );
      for (let i = 0; i < 20; i++) await nextTurn();
      vi.advanceTimersByTime(3000);
      for (let i = 0; i < 20; i++) await nextTurn();
      expect(
        outcome === null ? "waiting" : "data" in outcome ? outcome.data : String(outcome.error),
        "recv() after 3 s",
      ).toBe("waiting");
      vi.useRealTimers();
      await conn.send(bytes("done!"));
      expect(await within(receiving, "recv")).toEqual({ data: bytes("done!") });
    });

    it("NetworkConnectionBehaviourTest.testOutsideTimeout", async () => {
      // time.sleep(3) before the server's send → the server sends after the client's recv() timed out.
      const { serv, port } = await listening();
      const [[conn], cli] = await Promise.all([
        serv.accept(),
        wire.createConnection([HOST, port], 1),
      ]);
      onTestFinished(() => {
        conn.close();
        cli.close();
      });
      expectError(await rejection(cli.recv(5)), TimeoutError, "timed out");
      await conn.send(bytes("done!"));
    });
  });

  describe(`test_socket.py TCPTimeoutTest (${wire.name})`, () => {
    it("TCPTimeoutTest.testTCPTimeout", async () => {
      const { serv } = await listening();
      serv.settimeout(1.0);
      expectError(await rejection(serv.accept()), TimeoutError, "timed out");
    });

    it("TCPTimeoutTest.testTimeoutZero", async () => {
      // CPython accepts any OSError but TimeoutError; 3.11 raises BlockingIOError(11).
      const { serv } = await listening();
      serv.settimeout(0.0);
      const error = await rejection(serv.accept());
      expect(error).not.toBeInstanceOf(TimeoutError);
      expectOSError(error, BlockingIOError, 11, "Resource temporarily unavailable");
    });
  });

  describe(`test_socket.py ContextManagersTest (${wire.name})`, () => {
    it("ContextManagersTest.testCreateConnectionBase", async () => {
      // `with create_connection(address) as sock:` → `using`; `sock._closed` → `fileno() === -1`.
      // self.serv.getsockname() → the address the fixture read from it.
      const { serv, address } = await listening();
      const accepting = serv.accept();
      let closed: socket.BlockingSocket;
      {
        using s = await wire.createConnection(address);
        expect(s.fileno()).not.toBe(-1);
        await s.sendall(bytes("foo"));
        // The server half: accept, recv(1024), sendall(data).
        const [conn] = await accepting;
        onTestFinished(() => {
          conn.close();
        });
        const data = await conn.recv(1024);
        await conn.sendall(data);
        expect(await s.recv(1024)).toEqual(bytes("foo"));
        closed = s;
      }
      expect(closed.fileno()).toBe(-1);
    });

    it("ContextManagersTest.testCreateConnectionClose", async () => {
      // self.serv.getsockname() → the address the fixture read from it.
      const { serv, address } = await listening();
      const accepting = serv.accept();
      let closed: socket.BlockingSocket;
      {
        using s = await wire.createConnection(address);
        s.close();
        closed = s;
      }
      expect(closed.fileno()).toBe(-1);
      expectOSError(
        await rejection(closed.sendall(bytes("foo"))),
        OSError,
        9,
        "Bad file descriptor",
      );
      // The server half: accept, recv(1024) (end of stream), sendall(data).
      const [conn] = await accepting;
      onTestFinished(() => {
        conn.close();
      });
      const data = await within(conn.recv(1024), "recv");
      expect(data).toEqual(bytes(""));
      await conn.sendall(data);
    });
  });
}
