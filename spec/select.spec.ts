// The select module (lib/python/select.ts) beyond CPython's own tests (spec/conformance/test_select.spec.ts,
// test_poll.spec.ts, test_epoll.spec.ts): the errors with Python's classes and texts, as python3 3.11 gives them on
// Linux; and the Socket Programming HOWTO's non-blocking loop, ours and Python's, run with the same client.
import { describe, expect, it } from "vitest";

import {
  FileExistsError,
  FileNotFoundError,
  KeyError,
  OSError,
  OverflowError,
  RuntimeError,
  ValueError,
} from "../lib/python/errors.ts";
import * as select from "../lib/python/select.ts";
import * as socket from "../lib/python/socket.ts";
import { freePort } from "./helpers/ports.ts";
import { itNeeding } from "./helpers/needs-tool.ts";
import { type Program, maskPorts, pythonPeer, tsProgram } from "./helpers/process.ts";
import type { ToolName } from "./helpers/tools.ts";
import { expectError, expectOSError, rejection, thrown, track } from "./helpers/sockets.ts";

/** A connected pair of non-blocking sockets, closed when the test finishes. */
async function pair(): Promise<[socket.NonBlockingSocket, socket.NonBlockingSocket]> {
  const [a, b] = await socket.socketpair();
  return [track(a).setblocking(false), track(b).setblocking(false)];
}

describe("select.select(): Python's errors", () => {
  it.each([
    ["[-1]", [-1], ValueError, "file descriptor cannot be a negative integer (-1)"],
    ["[1024]", [1024], ValueError, "filedescriptor out of range in select()"],
    ["[5000, -1]", [5000, -1], ValueError, "filedescriptor out of range in select()"],
    ["[1.5]", [1.5], TypeError, "argument must be an int, or have a fileno() method."],
    ["[object()]", [{}], TypeError, "argument must be an int, or have a fileno() method."],
    [
      "[a fileno() returning 'x']",
      [{ fileno: () => "x" }],
      TypeError,
      "fileno() returned a non-integer",
    ],
    ["1 (not a sequence)", 1, TypeError, "arguments 1-3 must be sequences"],
    ["None (not a sequence)", null, TypeError, "arguments 1-3 must be sequences"],
  ])("select(%s, [], [], 0)", async (_name, rlist, Class, message) => {
    expectError(await rejection(select.select(rlist as never, [], [], 0)), Class, message);
  });

  it.each([
    ["'x'", "x", TypeError, "timeout must be a float or None"],
    ["-1", -1, ValueError, "timeout must be non-negative"],
    ["nan", NaN, ValueError, "Invalid value NaN (not a number)"],
    ["inf", Infinity, OverflowError, "timestamp out of range for platform time_t"],
    ["2**40", 2 ** 40, OverflowError, "timestamp too large to convert to C _PyTime_t"],
  ])("select([], [], [], %s)", async (_name, timeout, Class, message) => {
    expectError(await rejection(select.select([], [], [], timeout as never)), Class, message);
  });

  it("an fd that is not open: OSError [Errno 9] Bad file descriptor", async () => {
    expectOSError(
      await rejection(select.select([999], [], [], 0)),
      OSError,
      9,
      "Bad file descriptor",
    );
  });

  it("returns the ready objects of each list in their order, an object listed twice twice", async () => {
    const [a, b] = await pair();
    expect(await select.select([a, b], [b, a, b], [a], 0)).toEqual([[], [b, a, b], []]);
    b.send(Buffer.from("x"));
    const [r] = await select.select([a, b, a.fileno()], [], [], 0);
    expect(r).toEqual([a, a.fileno()]);
  });
});

describe("select.poll(): Python's errors", () => {
  it("register, modify, unregister", async () => {
    const [a] = await pair();
    const p = select.poll();
    expectError(
      thrown(() => {
        p.register(-1);
      }),
      ValueError,
      "file descriptor cannot be a negative integer (-1)",
    );
    expectError(
      thrown(() => {
        p.unregister(12345);
      }),
      KeyError,
      "12345",
    );
    expectOSError(
      thrown(() => {
        p.modify(12345, select.POLLIN);
      }),
      FileNotFoundError,
      2,
      "No such file or directory",
    );
    expectError(
      thrown(() => {
        p.register(a, -1);
      }),
      ValueError,
      "value must be positive",
    );
    expectError(
      thrown(() => {
        p.register(a, 1 << 20);
      }),
      OverflowError,
      "Python int too large for C unsigned short",
    );
    expectError(
      thrown(() => {
        p.register(a, 1.5);
      }),
      TypeError,
      "an integer is required",
    );
    p.register(a, select.POLLIN);
    p.register(a, select.POLLIN); // again: the new mask replaces the old
    expect(await p.poll(0)).toEqual([]);
  });

  it("poll(): TypeError for a timeout that is not a number, OverflowError past INT_MAX ms", async () => {
    const p = select.poll();
    expectError(
      await rejection(p.poll("x" as never)),
      TypeError,
      "timeout must be an integer or None",
    );
    expectError(await rejection(p.poll(2 ** 31)), OverflowError, "timeout is too large");
  });

  it("an fd that is not open is reported POLLNVAL", async () => {
    const p = select.poll();
    p.register(999);
    expect(await p.poll(0)).toEqual([[999, select.POLLNVAL]]);
  });

  it("two poll() calls at once: RuntimeError('concurrent poll() invocation')", async () => {
    const [a, b] = await pair();
    const p = select.poll();
    p.register(a, select.POLLIN);
    const first = p.poll();
    expectError(await rejection(p.poll()), RuntimeError, "concurrent poll() invocation");
    b.send(Buffer.from("x"));
    expect(await first).toEqual([[a.fileno(), select.POLLIN]]);
  });
});

describe("select.epoll(): Python's errors", () => {
  it("register twice, modify and unregister of what is not registered, an fd not open, a closed epoll", async () => {
    const [a, b] = await pair();
    const ep = new select.epoll();
    ep.register(a);
    expectOSError(
      thrown(() => {
        ep.register(a);
      }),
      FileExistsError,
      17,
      "File exists",
    );
    expectOSError(
      thrown(() => {
        ep.unregister(b);
      }),
      FileNotFoundError,
      2,
      "No such file or directory",
    );
    expectOSError(
      thrown(() => {
        ep.modify(b, select.EPOLLIN);
      }),
      FileNotFoundError,
      2,
      "No such file or directory",
    );
    expectOSError(
      thrown(() => {
        ep.register(999);
      }),
      OSError,
      9,
      "Bad file descriptor",
    );
    expectError(
      await rejection(ep.poll(0, 0)),
      ValueError,
      "maxevents must be greater than 0, got 0",
    );
    ep.close();
    ep.close();
    expect(ep.closed).toBe(true);
    for (const call of [
      () => ep.fileno(),
      () => {
        ep.register(b);
      },
      () => {
        ep.unregister(a);
      },
      () => {
        ep.modify(a, select.EPOLLIN);
      },
    ]) {
      expectError(thrown(call), ValueError, "I/O operation on closed epoll object");
    }
    expectError(await rejection(ep.poll(0)), ValueError, "I/O operation on closed epoll object");
  });

  it("EPOLLONESHOT reports once, until modify()", async () => {
    const [a] = await pair();
    using ep = new select.epoll();
    ep.register(a, select.EPOLLOUT | select.EPOLLONESHOT);
    expect(await ep.poll(0)).toEqual([[a.fileno(), select.EPOLLOUT]]);
    expect(await ep.poll(0)).toEqual([]);
    ep.modify(a, select.EPOLLOUT | select.EPOLLONESHOT);
    expect(await ep.poll(0)).toEqual([[a.fileno(), select.EPOLLOUT]]);
  });

  it("a socket closed while registered leaves the set silently", async () => {
    const [a, b] = await pair();
    using ep = new select.epoll();
    ep.register(a, select.EPOLLIN | select.EPOLLOUT);
    ep.register(b, select.EPOLLOUT);
    a.close();
    expect(await ep.poll(0)).toEqual([[b.fileno(), select.EPOLLOUT]]);
  });
});

describe("the Socket Programming HOWTO's non-blocking select() loop", () => {
  const servers: [string, ToolName[], (port: number) => Program][] = [
    [
      "ours (spec/fixtures/programs/select-echo-server.ts)",
      [],
      (port) =>
        tsProgram("spec/fixtures/programs/select-echo-server.ts", ["127.0.0.1", String(port)]),
    ],
    [
      "Python's (spec/peers/select-echo-server.py)",
      ["python3"],
      (port) => pythonPeer("select-echo-server", ["127.0.0.1", String(port)]),
    ],
  ];
  for (const [name, needs, start] of servers) {
    itNeeding(needs, `an echo server on select.select(): ${name}`, async () => {
      const port = await freePort();
      const server = start(port);
      await server.waitForLine(/^Listening on/);
      const client = track(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
      await client.connect(["127.0.0.1", port]);
      await client.sendall(Buffer.from("Hello, world"));
      let echoed = Buffer.alloc(0);
      while (echoed.length < 12) echoed = Buffer.concat([echoed, await client.recv(1024)]);
      expect(echoed.toString()).toBe("Hello, world");
      client.close();
      await server.waitForLine(/^Closing connection to/);
      server.signal("SIGTERM");
      const exit = await server.waitForExit();
      expect(maskPorts(exit.stdout)).toBe(
        [
          "Listening on ('127.0.0.1', <P0>)",
          "Accepted connection from ('127.0.0.1', <P1>)",
          "Echoing b'Hello, world' to ('127.0.0.1', <P1>)",
          "Closing connection to ('127.0.0.1', <P1>)",
          "",
        ].join("\n"),
      );
    });
  }
});
