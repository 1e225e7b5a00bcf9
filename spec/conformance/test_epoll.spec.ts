// CPython's Lib/test/test_epoll.py (3.11), ported: TestEPoll, against lib/python/select.ts's epoll. Each test keeps
// CPython's name, expected values and classes; every adaptation is said at the test. What does not apply is listed
// with its reason in spec/conformance/README.md.
//
// Adaptations common to every test:
// - `ep.poll(...)` → `await ep.poll(...)`; `assertRaises(E, f, *args)` → `expect(() => f(...args)).toThrow(E)`,
//   or the Promise rejects with E.
// - CPython's bounds on how long a poll() that finds something ready takes (`then - now > 0.01` fails) are left
//   out: our tests assert no wall-clock durations. What they guard (that the call did not wait for its timeout) is
//   what the expected events show: they were ready at once, as the timeout tests of
//   spec/timeouts.spec.ts measure on a fake clock.
// - Arguments of a wrong type are passed through `never`, as a program that is not type-checked would pass them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { BlockingIOError, OSError, ValueError, errno } from "../../lib/python/errors.ts";
import * as os from "../../lib/python/os.ts";
import * as select from "../../lib/python/select.ts";
import * as socket from "../../lib/python/socket.ts";
import { HOST, rejection, thrown } from "../helpers/sockets.ts";
import { WIRES, fixtures } from "./wire.ts";

for (const wire of WIRES) {
  const { listening } = fixtures(wire);

  /** CPython's `setUp` (`socket.create_server(('127.0.0.1', 0))`) and `_connected_pair()`. */
  async function connectedPair(): Promise<[socket.NonBlockingSocket, socket.BlockingSocket]> {
    const { serv, port } = await listening();
    const client = wire.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
    onTestFinished(() => {
      client.close();
    });
    const err = thrown(() => {
      client.connect([HOST, port]);
    });
    // Connect should have raised EINPROGRESS
    expect(err).toBeInstanceOf(BlockingIOError);
    expect(err).toHaveProperty("errno", errno.EINPROGRESS);
    const [server] = await serv.accept();
    onTestFinished(() => {
      server.close();
    });
    return [client, server];
  }

  /** An epoll object closed when the test finishes. */
  function epoll(sizehint?: number): select.epoll {
    const ep = new select.epoll(sizehint);
    onTestFinished(() => {
      ep.close();
    });
    return ep;
  }

  /** A regular file of the test's own, opened read-only (CPython opens its own `__file__`). */
  async function openFile(): Promise<number> {
    const dir = await mkdtemp(join(tmpdir(), "test-epoll-"));
    const path = join(dir, "file");
    await writeFile(path, "x");
    const fd = os.open(path, os.O_RDONLY);
    onTestFinished(async () => {
      os.close(fd);
      await rm(dir, { recursive: true, force: true });
    });
    return fd;
  }

  describe(`TestEPoll (${wire.name})`, () => {
    it("test_create", () => {
      const ep = new select.epoll(16);
      expect(ep.fileno()).toBeGreaterThan(0);
      expect(ep.closed).toBe(false);
      ep.close();
      expect(ep.closed).toBe(true);
      expect(() => ep.fileno()).toThrow(ValueError);

      // Adapted: keyword arguments → positional ones (flags is the second).
      new select.epoll(-1, select.EPOLL_CLOEXEC).close();
      new select.epoll(undefined, select.EPOLL_CLOEXEC).close();
      new select.epoll(undefined, 0).close();
    });

    it("test_badcreate", () => {
      // Adapted: `select.epoll(1, 2, 3)` (too many arguments) is left out: TypeScript refuses the call (README).
      expect(() => new select.epoll("foo" as never)).toThrow(TypeError);
      expect(() => new select.epoll(null as never)).toThrow(TypeError);
      expect(() => new select.epoll([] as never)).toThrow(TypeError);
      expect(() => new select.epoll(["foo"] as never)).toThrow(TypeError);
      expect(() => new select.epoll({} as never)).toThrow(TypeError);

      expect(() => new select.epoll(0)).toThrow(ValueError);
      expect(() => new select.epoll(-2)).toThrow(ValueError);
      expect(() => new select.epoll(-2)).toThrow(ValueError);

      expect(() => new select.epoll(undefined, 12356)).toThrow(OSError);
    });

    it("test_context_manager", () => {
      // Adapted: `with select.epoll(16) as ep:` → a block with `using`.
      let outside: select.epoll;
      {
        using ep = new select.epoll(16);
        expect(ep.fileno()).toBeGreaterThan(0);
        expect(ep.closed).toBe(false);
        outside = ep;
      }
      expect(outside.closed).toBe(true);
      expect(() => outside.fileno()).toThrow(ValueError);
    });

    it("test_add", async () => {
      const [server, client] = await connectedPair();

      let ep = new select.epoll(2);
      try {
        ep.register(server.fileno(), select.EPOLLIN | select.EPOLLOUT);
        ep.register(client.fileno(), select.EPOLLIN | select.EPOLLOUT);
      } finally {
        ep.close();
      }

      // adding by object w/ fileno works, too.
      ep = new select.epoll(2);
      try {
        ep.register(server, select.EPOLLIN | select.EPOLLOUT);
        ep.register(client, select.EPOLLIN | select.EPOLLOUT);
      } finally {
        ep.close();
      }

      ep = new select.epoll(2);
      try {
        // TypeError: argument must be an int, or have a fileno() method.
        expect(() => {
          ep.register({} as never, select.EPOLLIN | select.EPOLLOUT);
        }).toThrow(TypeError);
        expect(() => {
          ep.register(null as never, select.EPOLLIN | select.EPOLLOUT);
        }).toThrow(TypeError);
        // ValueError: file descriptor cannot be a negative integer (-1)
        expect(() => {
          ep.register(-1, select.EPOLLIN | select.EPOLLOUT);
        }).toThrow(ValueError);
        // OSError: [Errno 9] Bad file descriptor
        expect(() => {
          ep.register(10000, select.EPOLLIN | select.EPOLLOUT);
        }).toThrow(OSError);
        // registering twice also raises an exception
        ep.register(server, select.EPOLLIN | select.EPOLLOUT);
        expect(() => {
          ep.register(server, select.EPOLLIN | select.EPOLLOUT);
        }).toThrow(OSError);
      } finally {
        ep.close();
      }
    });

    it("test_fromfd", async () => {
      const [server, client] = await connectedPair();

      let ep2: select.epoll;
      {
        using ep = new select.epoll(2);
        ep2 = select.epoll.fromfd(ep.fileno());

        ep2.register(server.fileno(), select.EPOLLIN | select.EPOLLOUT);
        ep2.register(client.fileno(), select.EPOLLIN | select.EPOLLOUT);

        const events = await ep.poll(1, 4);
        const events2 = await ep2.poll(0.9, 4);
        expect(events.length).toBe(2);
        expect(events2.length).toBe(2);
      }

      const e = await rejection(ep2.poll(1, 4));
      // epoll on closed fd didn't raise EBADF
      expect(e).toBeInstanceOf(OSError);
      expect(e).toHaveProperty("args", [errno.EBADF, "Bad file descriptor"]);
    });

    it("test_control_and_wait", async () => {
      // create the epoll object
      const [client, server] = await connectedPair();
      const ep = epoll(16);
      ep.register(server.fileno(), select.EPOLLIN | select.EPOLLOUT | select.EPOLLET);
      ep.register(client.fileno(), select.EPOLLIN | select.EPOLLOUT | select.EPOLLET);

      // EPOLLOUT
      let events = await ep.poll(1, 4);

      let expected: [number, number][] = [
        [client.fileno(), select.EPOLLOUT],
        [server.fileno(), select.EPOLLOUT],
      ];
      expect(sorted(events)).toEqual(sorted(expected));

      // no event
      // Adapted: the keyword arguments timeout=0.1, maxevents=4 → positional ones.
      events = await ep.poll(0.1, 4);
      expect(events).toEqual([]);

      // send: EPOLLIN and EPOLLOUT
      // Adapted: client is non-blocking (its sendall() returns at once), server is blocking (awaited).
      client.sendall(Buffer.from("Hello!"));
      await server.sendall(Buffer.from("world!!!"));

      events = await ep.poll(1.0, 4);

      expected = [
        [client.fileno(), select.EPOLLIN | select.EPOLLOUT],
        [server.fileno(), select.EPOLLIN | select.EPOLLOUT],
      ];
      expect(sorted(events)).toEqual(sorted(expected));

      // unregister, modify
      ep.unregister(client.fileno());
      ep.modify(server.fileno(), select.EPOLLOUT);
      events = await ep.poll(1, 4);

      expected = [[server.fileno(), select.EPOLLOUT]];
      expect(events).toEqual(expected);
    });

    it("test_errors", () => {
      expect(() => new select.epoll(-2)).toThrow(ValueError);
      expect(() => {
        epoll().register(-1, select.EPOLLIN);
      }).toThrow(ValueError);
    });

    it("test_unregister_closed", async () => {
      const [server] = await connectedPair();
      const fd = server.fileno();
      const ep = epoll(16);
      ep.register(server);

      await ep.poll(1, 4);

      server.close();

      const e = thrown(() => {
        ep.unregister(fd);
      });
      expect(e).toBeInstanceOf(OSError);
      expect(e).toHaveProperty("errno", errno.EBADF);
    });

    it("test_close", async () => {
      const fd = await openFile();
      const ep = new select.epoll();

      // test fileno() method and closed attribute
      expect(Number.isInteger(ep.fileno())).toBe(true);
      expect(ep.closed).toBe(false);

      // test close()
      ep.close();
      expect(ep.closed).toBe(true);
      expect(() => ep.fileno()).toThrow(ValueError);

      // close() can be called more than once
      ep.close();

      // operations must fail with ValueError("I/O operation on closed ...")
      expect(() => {
        ep.modify(fd, select.EPOLLIN);
      }).toThrow(ValueError);
      expect(await rejection(ep.poll(1.0))).toBeInstanceOf(ValueError);
      expect(() => {
        ep.register(fd, select.EPOLLIN);
      }).toThrow(ValueError);
      expect(() => {
        ep.unregister(fd);
      }).toThrow(ValueError);
    });
  });
}

/** Python's `sorted()` of `(fd, events)` tuples. */
function sorted(events: [number, number][]): [number, number][] {
  return [...events].sort(([a, x], [b, y]) => a - b || x - y);
}
