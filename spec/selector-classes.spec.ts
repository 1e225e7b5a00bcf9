// The three selector classes of CPython's selectors on Linux (EpollSelector = DefaultSelector, PollSelector,
// SelectSelector) where they differ in what a program sees; select() seeing the kernel's data after any awaited
// call and timing its timeout from the call; registering a blocking socket; and the file objects other than
// sockets: os.pipe() ends, regular files, and sys.stdin (in a child process). CPython's own tests of the same
// classes are ported in spec/conformance/test_selectors.spec.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import {
  BlockingIOError,
  BrokenPipeError,
  OSError,
  PermissionError,
  ValueError,
} from "../lib/python/errors.ts";
import * as os from "../lib/python/os.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  EpollSelector,
  FD_SETSIZE,
  type FileLike,
  PollSelector,
  type ReadyList,
  SelectSelector,
} from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Stdin } from "../lib/python/sys.ts";
import { type Program, hasPython, pythonPeer, tsDemo, tsProgram } from "./helpers/process.ts";
import { freePort } from "./helpers/ports.ts";

const READ_WRITE = EVENT_READ | EVENT_WRITE;

type F = socket.NonBlockingSocket | FileLike | number;
const CLASSES = [
  ["EpollSelector", EpollSelector<unknown, F>],
  ["PollSelector", PollSelector<unknown, F>],
  ["SelectSelector", SelectSelector<unknown, F>],
] as const;

function track<T extends { close(): void }>(closable: T): T {
  onTestFinished(() => {
    closable.close();
  });
  return closable;
}

/** A connected TCP pair on loopback, both blocking, closed when the test finishes. */
async function tcpPair(): Promise<[socket.BlockingSocket, socket.BlockingSocket]> {
  using listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  listener.bind(["127.0.0.1", 0]);
  await listener.listen(1);
  const client = track(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
  const [[server]] = await Promise.all([listener.accept(), client.connect(listener.getsockname())]);
  return [client, track(server)];
}

async function unixPair(): Promise<[socket.BlockingSocket, socket.BlockingSocket]> {
  const [a, b] = await socket.socketpair();
  return [track(a), track(b)];
}

/** Run `fn`, which must throw `Class`; returns the error for more checks. */
function raised<E extends Error>(Class: { prototype: E; name: string }, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Class);
    return e as E;
  }
  throw new Error(`nothing raised; expected ${Class.name}`);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("select() lets in what the kernel has when it is called", () => {
  it.each([
    ["TCP", tcpPair],
    ["socketpair()", unixPair],
  ])(
    "%s: after `await b.sendall(...)`, the next select(0) reports READ|WRITE (200 tries)",
    async (_name, makePair) => {
      const [a, b] = await makePair();
      const na = a.setblocking(false);
      const sel = track(new DefaultSelector());
      sel.register(na, READ_WRITE);
      // A second pair whose blocking recv() Node completes from an I/O callback: the place select() used to be
      // entered from when it saw the data one call late.
      const [pingIn, pingOut] = await makePair();
      for (let i = 0; i < 200; i++) {
        if (i % 2 === 1) {
          await pingOut.sendall(Buffer.from("."));
          await pingIn.recv(1);
        }
        await b.sendall(Buffer.from("foo"));
        const ready = await sel.select(0);
        expect(
          ready.map(([, mask]) => mask),
          `try ${i}`,
        ).toEqual([READ_WRITE]);
        expect(na.recv(1024)).toEqual(Buffer.from("foo"));
      }
    },
  );
});

describe("select(t) times its timeout from the call", () => {
  it.each(CLASSES)(
    "%s: when the event loop was busy for t seconds before select()'s first turn, it returns [] at that turn",
    async (_name, Cls) => {
      // A fake performance.now() stands in for a busy event loop: the clock moves 1 s between the call and its
      // first turn. Python's select(1) would have returned by then; a clock started at the first turn would wait
      // a second more (on a fake clock that no longer moves: for ever).
      const sel = track(new Cls());
      const [a] = await unixPair();
      sel.register(a.setblocking(false), EVENT_READ);
      vi.useFakeTimers({ toFake: ["performance"] });
      const outcome: { ready: ReadyList<F, unknown> | null } = { ready: null };
      const pending = sel.select(1).then((ready) => {
        outcome.ready = ready;
      });
      vi.advanceTimersByTime(1000);
      for (let i = 0; i < 50 && outcome.ready === null; i++) await nextTurn();
      expect(outcome.ready).toEqual([]);
      await pending;
    },
  );
});

describe("registering a socket in blocking mode", () => {
  it.each(CLASSES)(
    "%s: ValueError at register(), with a note that says what to register, and no key is left",
    async (_name, Cls) => {
      const sel = track(new Cls());
      const [a] = await unixPair();
      // The type refuses a blocking socket; a program run without type-checking can still pass one.
      const blocking: unknown = a;
      const error = raised(ValueError, () => sel.register(blocking as F, EVENT_READ));
      expect(error.message).toMatch(
        /^<socket\.socket fd=\d+, family=1, type=1, proto=0> is in blocking mode$/,
      );
      expect(error.notes.join("\n")).toContain("setblocking(false)");
      expect(sel.getMap()?.size).toBe(0);
      // What the note says works.
      expect(sel.register(a.setblocking(false), EVENT_READ).fd).toBe(a.fileno());
    },
  );
});

describe("what differs between the three classes", () => {
  it("EpollSelector has fileno(); once closed it raises ValueError('I/O operation on closed epoll object')", async () => {
    const sel = new EpollSelector();
    expect(sel.fileno()).toBeGreaterThanOrEqual(3);
    sel.close();
    expect(() => sel.fileno()).toThrow("I/O operation on closed epoll object");
    await expect(sel.select(0)).rejects.toThrow(ValueError);
    expect(DefaultSelector).toBe(EpollSelector);
  });

  it("PollSelector and SelectSelector have no fileno()", () => {
    expect("fileno" in track(new PollSelector())).toBe(false);
    expect("fileno" in track(new SelectSelector())).toBe(false);
  });

  it("SelectSelector: an fd of FD_SETSIZE or more makes select() raise ValueError('filedescriptor out of range in select()')", async () => {
    const sel = track(new SelectSelector<unknown, number>());
    const fds: number[] = [];
    onTestFinished(() => {
      for (const fd of fds) os.close(fd);
    });
    while (fds.length === 0 || (fds.at(-1) ?? 0) < FD_SETSIZE) fds.push(...os.pipe());
    const high = fds.at(-1) ?? 0;
    sel.register(fds[0] ?? 0, EVENT_WRITE);
    await expect(sel.select(0)).resolves.toEqual([]);
    sel.register(high, EVENT_WRITE);
    const error = await sel.select(0).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValueError);
    expect((error as ValueError).message).toBe("filedescriptor out of range in select()");
    // poll and epoll take it
    const poll = track(new PollSelector<unknown, number>());
    poll.register(high, EVENT_WRITE);
    expect((await poll.select(0)).map(([key]) => key.fd)).toEqual([high]);
  });

  it("a socket closed while registered: epoll forgets it, poll reports it (POLLNVAL → READ|WRITE), select raises EBADF", async () => {
    const [a] = await unixPair();
    const sock = a.setblocking(false);
    const epoll = track(new EpollSelector());
    const poll = track(new PollSelector());
    const select = track(new SelectSelector());
    const keys = [epoll, poll, select].map((sel) => sel.register(sock, EVENT_READ));
    sock.close();
    expect(await epoll.select(0)).toEqual([]);
    expect(await poll.select(0)).toEqual([[keys[1], EVENT_READ]]);
    const error = await select.select(0).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OSError);
    expect((error as OSError).errno).toBe(9);
  });

  it("SelectSelector.modify() with new events registers again: bad events raise ValueError and leave it unregistered", async () => {
    const [a] = await unixPair();
    const sock = a.setblocking(false);
    const select = track(new SelectSelector());
    const epoll = track(new EpollSelector());
    select.register(sock, EVENT_READ);
    epoll.register(sock, EVENT_READ);
    expect(raised(ValueError, () => select.modify(sock, 0)).message).toBe("Invalid events: 0");
    expect(select.getMap()?.size).toBe(0);
    // epoll's modify() does not check (CPython's _PollLikeSelector): the key stays, with events 0.
    expect(epoll.modify(sock, 0).events).toBe(0);
  });

  it("a regular file: epoll raises PermissionError [Errno 1]; poll and select report it always ready", async () => {
    const dir = mkdtempSync(join(tmpdir(), "selectors-ts-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(dir, "f"), "");
    const fd = os.open(join(dir, "f"), os.O_RDWR);
    onTestFinished(() => {
      os.close(fd);
    });
    const epoll = track(new EpollSelector<unknown, number>());
    const error = raised(PermissionError, () => epoll.register(fd, EVENT_READ));
    expect(error.errno).toBe(1);
    expect(error.message).toBe("[Errno 1] Operation not permitted");
    for (const sel of [
      new PollSelector<unknown, number>(),
      new SelectSelector<unknown, number>(),
    ]) {
      track(sel);
      const key = sel.register(fd, READ_WRITE);
      expect(await sel.select(0)).toEqual([[key, READ_WRITE]]);
    }
  });
});

describe("os.pipe() in a selector", () => {
  it.each(CLASSES)("%s: level-triggered, end of file, and BrokenPipeError", async (_name, Cls) => {
    const sel = track(new Cls());
    const [r, w] = os.pipe();
    onTestFinished(() => {
      for (const fd of [r, w]) if (fd >= 0) tryClose(fd);
    });
    const rkey = sel.register(r, EVENT_READ);
    const wkey = sel.register(w, EVENT_WRITE);
    expect(await sel.select(0)).toEqual([[wkey, EVENT_WRITE]]);
    expect(raised(BlockingIOError, () => os.read(r, 10)).errno).toBe(11);

    expect(os.write(w, Buffer.from("hello"))).toBe(5);
    const ready = await sel.select(0);
    expect(new Set(ready.map(([key, mask]) => [key.fd, mask].join(":")))).toEqual(
      new Set([`${r}:${EVENT_READ}`, `${w}:${EVENT_WRITE}`]),
    );
    expect(os.read(r, 2)).toEqual(Buffer.from("he"));
    // still readable: level-triggered
    expect((await sel.select(0)).some(([key]) => key === rkey)).toBe(true);
    expect(os.read(r, 10)).toEqual(Buffer.from("llo"));
    expect((await sel.select(0)).some(([key]) => key === rkey)).toBe(false);

    os.close(w);
    sel.unregister(w);
    expect(await sel.select(0)).toEqual([[rkey, EVENT_READ]]);
    expect(os.read(r, 10)).toEqual(Buffer.alloc(0));
  });

  it("a full pipe: not writable, a write of at most PIPE_BUF is all or nothing, a longer one is partial", async () => {
    const sel = track(new DefaultSelector<unknown, number>());
    const [r, w] = os.pipe();
    onTestFinished(() => {
      tryClose(r);
      tryClose(w);
    });
    const wkey = sel.register(w, EVENT_WRITE);
    expect(os.write(w, Buffer.alloc(os.PIPE_CAPACITY - 100))).toBe(os.PIPE_CAPACITY - 100);
    expect(await sel.select(0)).toEqual([[wkey, EVENT_WRITE]]);
    expect(raised(BlockingIOError, () => os.write(w, Buffer.alloc(200))).errno).toBe(11);
    expect(os.write(w, Buffer.alloc(os.PIPE_BUF + 1))).toBe(100);
    expect(await sel.select(0)).toEqual([]);
    expect(os.read(r, 1000).length).toBe(1000);
    expect(await sel.select(0)).toEqual([[wkey, EVENT_WRITE]]);
    os.close(r);
    expect(raised(BrokenPipeError, () => os.write(w, Buffer.from("x"))).errno).toBe(32);
  });

  it("the wrong end, or an fd that is not open: OSError [Errno 9] Bad file descriptor", () => {
    const [r, w] = os.pipe();
    onTestFinished(() => {
      tryClose(r);
      tryClose(w);
    });
    expect(raised(OSError, () => os.read(w, 1)).errno).toBe(9);
    expect(raised(OSError, () => os.write(r, Buffer.from("x"))).errno).toBe(9);
    os.close(r);
    expect(raised(OSError, () => os.read(r, 1)).message).toBe("[Errno 9] Bad file descriptor");
    expect(
      raised(OSError, () => {
        os.close(r);
      }).errno,
    ).toBe(9);
  });
});

function tryClose(fd: number): void {
  try {
    os.close(fd);
  } catch (e) {
    if (!(e instanceof OSError)) throw e;
  }
}

describe("sys.stdin in a selector", () => {
  // Each client gets its own test, always defined: the Python one needs python3, and says in its name that it is
  // skipped without it.
  const keyboardClient = async (start: (port: number) => Program): Promise<void> => {
    const port = await freePort();
    const server = tsDemo("multiconn-server", ["127.0.0.1", String(port)]);
    await server.waitForLine(/^Listening on/);
    const client = start(port);
    await server.waitForLine(/^Accepted connection from/);
    client.writeStdin("Hello, ");
    client.writeStdin("world\n");
    await client.waitForLine(/^Received b'Hello, world\\n'$/);
    // One line at a time: Python's sys.stdin reads ahead into its own buffer, where select() cannot see it.
    client.writeStdin("é\n");
    await client.waitForLine(/^Received b'\\xc3\\xa9\\n'$/);
    client.writeStdin("second line\n");
    await client.waitForLine(/^Received b'second line\\n'$/);
    client.closeStdin();
    const exit = await client.waitForExit();
    expect(exit.stdout).toBe(
      [
        "Received b'Hello, world\\n'",
        "Received b'\\xc3\\xa9\\n'",
        "Received b'second line\\n'",
        "Server closed the connection",
        "",
      ].join("\n"),
    );
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
  };
  it("the course's client extended to wait on the keyboard and the server at once: ours", async () => {
    await keyboardClient((port) =>
      tsProgram("spec/fixtures/programs/keyboard-client.ts", ["127.0.0.1", String(port)]),
    );
  });
  it.skipIf(!hasPython())(
    "the course's client extended to wait on the keyboard and the server at once: the Python one (spec/peers/keyboard-client.py; skipped without python3)",
    async () => {
      await keyboardClient((port) => pythonPeer("keyboard-client", ["127.0.0.1", String(port)]));
    },
  );

  it("readiness and readline(): a half line is not ready (BlockingIOError where Python's would wait), end of file is", () => {
    const input = new PassThrough();
    const keyboard = new Stdin(input);
    const told: number[] = [];
    keyboard.watch({ readinessChanged: () => told.push(keyboard.readiness()) });
    expect(keyboard.readiness()).toBe(0);
    input.write("hal");
    input.write(Buffer.from([0x66, 0x20, 0xc3])); // "f é": the é split between two reads
    expect(keyboard.readiness()).toBe(0);
    const error = raised(BlockingIOError, () => keyboard.readline());
    expect(error.errno).toBe(11);
    expect(error.notes.join("\n")).toContain("register sys.stdin with a selector");
    input.write(Buffer.from([0xa9, 0x0a, 0x6c]));
    expect(keyboard.readiness()).toBe(EVENT_READ);
    expect(keyboard.readline()).toBe("half é\n");
    expect(keyboard.readiness()).toBe(0);
    input.end("ast");
    return new Promise<void>((resolve) => {
      input.once("end", () => {
        expect(keyboard.readiness()).toBe(EVENT_READ);
        expect(keyboard.readline()).toBe("last");
        expect(keyboard.readline()).toBe("");
        expect(told.at(-1)).toBe(EVENT_READ);
        keyboard.close();
        expect(() => keyboard.readline()).toThrow("I/O operation on closed file.");
        resolve();
      });
    });
  });
});
