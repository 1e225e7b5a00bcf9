// A timeout waits as long as it says: `recv`, `accept`, `connect`, `sendall` with `settimeout(t)`, and
// `select(t)` (the three selectors' and the select module's select(), poll() and epoll.poll()).
//
// - On the memory wire, exactly: vitest's fake clock stands in for setTimeout/setInterval and performance.now()
//   while the event loop's own turns (setImmediate, which the memory network and select() step on) stay real. Each
//   call must still be waiting 1 ms before its timeout, and end (TimeoutError, or `[]`) when the clock reaches it.
// - On real sockets (node:net), as a lower bound with a generous upper one: the call never ends early, and ends.
//   libuv's timers count whole milliseconds from the start of the loop's turn, so the lower bound allows the 1 ms
//   of that rounding.
//
// And: the kernel's flush timer is not taken over by a fake clock (a test that fakes the clock first must not leave
// the timer dead for every later test in its worker). `settimeout('x')` raises Python's TypeError. Ctrl-C during a waiting call with a timeout is in
// spec/conformance/interrupted.spec.ts.
import { setImmediate as nextTurn, setTimeout as delay } from "node:timers/promises";

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { TimeoutError, ValueError } from "../lib/python/errors.ts";
import * as select from "../lib/python/select.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EpollSelector,
  PollSelector,
  SelectSelector,
} from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { HOST, expectError, newSocket, thrown, track } from "./helpers/sockets.ts";
import { ON_MEMORY_WIRE } from "./helpers/wire.ts";

afterEach(() => {
  vi.useRealTimers();
});

/** More than any emulated socket needs to be waiting: send buffers filled, connections made, a select() asleep. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await nextTurn();
}

/** A connected pair of blocking sockets, closed when the test finishes. */
async function pair(): Promise<[socket.BlockingSocket, socket.BlockingSocket]> {
  const [a, b] = await socket.socketpair();
  return [track(a), track(b)];
}

/** A blocking socket listening on loopback, closed when the test finishes, and its address. */
async function listening(): Promise<[socket.BlockingSocket, socket.InetAddress]> {
  const serv = newSocket();
  serv.bind([HOST, 0]);
  await serv.listen();
  const name = serv.getsockname();
  if (typeof name === "string") throw new Error(`no port in ${name}`);
  return [serv, [name[0], name[1]]];
}

/** 16 MiB: more than any send buffer here, as CPython's `support.SOCK_MAX_SIZE`. */
const SOCK_MAX_SIZE = 16 * 1024 * 1024;

/**
 * Each waiting call under test: `prepare` makes what it needs (sockets, a selector) on the real clock, and returns
 * the call, which waits with a timeout of `seconds` for something that never comes.
 */
interface Case {
  readonly name: string;
  readonly prepare: () => Promise<(seconds: number) => Promise<unknown>>;
  /** What the call ends with at its timeout: TimeoutError, or the empty result of a select(). */
  readonly expectTimedOut: (outcome: Outcome) => void;
}

type Outcome = { readonly error: unknown } | { readonly value: unknown };

function timedOut(outcome: Outcome): void {
  expect(outcome).toHaveProperty("error");
  if ("error" in outcome) expectError(outcome.error, TimeoutError, "timed out");
}

function returned(empty: unknown): (outcome: Outcome) => void {
  return (outcome) => {
    expect(outcome).toEqual({ value: empty });
  };
}

/** The calls that take a timeout. */
const CASES: readonly Case[] = [
  {
    name: "recv",
    prepare: async () => {
      const [a] = await pair();
      return (t) => {
        a.settimeout(t);
        return a.recv(1024);
      };
    },
    expectTimedOut: timedOut,
  },
  {
    name: "accept",
    prepare: async () => {
      const [serv] = await listening();
      return (t) => {
        serv.settimeout(t);
        return serv.accept();
      };
    },
    expectTimedOut: timedOut,
  },
  {
    name: "sendall (the peer does not read)",
    prepare: async () => {
      const [a] = await pair();
      return (t) => {
        a.settimeout(t);
        return a.sendall(Buffer.alloc(SOCK_MAX_SIZE));
      };
    },
    expectTimedOut: timedOut,
  },
  {
    name: "select.select()",
    prepare: async () => {
      const [a] = await pair();
      return (t) => select.select([a], [], [], t);
    },
    expectTimedOut: returned([[], [], []]),
  },
  {
    name: "select.poll().poll()",
    prepare: async () => {
      const [a] = await pair();
      const p = select.poll();
      p.register(a, select.POLLIN);
      return (t) => p.poll(t * 1000);
    },
    expectTimedOut: returned([]),
  },
  {
    name: "select.epoll().poll()",
    prepare: async () => {
      const [a] = await pair();
      const ep = track(new select.epoll());
      ep.register(a, select.EPOLLIN);
      return (t) => ep.poll(t);
    },
    expectTimedOut: returned([]),
  },
  ...[DefaultSelector, EpollSelector, PollSelector, SelectSelector].map((Selector, i): Case => ({
    name: `${i === 0 ? "DefaultSelector" : Selector.name}.select()`,
    prepare: async () => {
      const [a] = await pair();
      const sel = track(new Selector<null>());
      sel.register(a.setblocking(false), EVENT_READ);
      return (t) => sel.select(t);
    },
    expectTimedOut: returned([]),
  })),
];

/** Start `run`; the outcome once it ends, `null` while it waits. */
function started(run: () => Promise<unknown>): {
  outcome: () => Outcome | null;
  ended: Promise<void>;
} {
  let outcome: Outcome | null = null;
  const ended = run().then(
    (value: unknown) => {
      outcome = { value };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  return { outcome: () => outcome, ended };
}

/**
 * On the fake clock: `call` is still waiting 1 ms before `ms`, and has ended at `ms`. Its outcome.
 * @throws Error when it has not ended at `ms`.
 */
async function endsExactlyAt(call: ReturnType<typeof started>, ms: number): Promise<Outcome> {
  await settle();
  vi.advanceTimersByTime(ms - 1);
  await settle();
  expect(call.outcome()).toBeNull();
  vi.advanceTimersByTime(1);
  await settle();
  const outcome = call.outcome();
  if (outcome === null) throw new Error(`still waiting at ${String(ms)} ms`);
  return outcome;
}

/** The fake clock of the exact tests: timers and performance.now(); setImmediate stays real. */
function useFakeClock(): void {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"],
  });
}

if (ON_MEMORY_WIRE) {
  describe("a timeout waits exactly as long as it says (memory wire, fake clock)", () => {
    for (const { name, prepare, expectTimedOut } of CASES) {
      it(`${name}: still waiting at 299 ms, ended at 300 ms`, async () => {
        const run = await prepare();
        useFakeClock();
        expectTimedOut(
          await endsExactlyAt(
            started(() => run(0.3)),
            300,
          ),
        );
      });
    }

    it("connect: still waiting at 299 ms, TimeoutError at 300 ms (a network that makes no connection)", async () => {
      // A network stepped by the test (auto: false) that is never stepped: the connection is never made (nor
      // refused).
      const network = new MemoryNetwork({ auto: false });
      const c = track(network.socket(socket.AF_INET, socket.SOCK_STREAM));
      useFakeClock();
      c.settimeout(0.3);
      timedOut(
        await endsExactlyAt(
          started(() => c.connect([HOST, 8080])),
          300,
        ),
      );
    });

    it("sendall: the timeout bounds the whole call; a send that makes progress does not restart it", async () => {
      // python3 on this machine: settimeout(1.0), then sendall() of 50 MB while the peer reads 64 KiB every
      // 0.2 s: TimeoutError('timed out') after 1.15 s. (Python 3.5 on: "the socket timeout is now the maximum
      // total duration to send all data".)
      const [a, b] = await pair();
      const reader = b.setblocking(false);
      useFakeClock();
      a.settimeout(1.0);
      const call = started(() => a.sendall(Buffer.alloc(SOCK_MAX_SIZE)));
      let read = 0;
      for (let at = 0; at < 800; at += 200) {
        await settle();
        vi.advanceTimersByTime(200);
        read += reader.recv(65536).length;
      }
      // Each read made room, and the call sent more each time: at 800 ms it has made progress four times.
      expect(read).toBe(4 * 65536);
      timedOut(await endsExactlyAt(call, 200));
    });

    it("select.select(0.0001) waits 1 ms: timeouts are rounded up to whole ms", async () => {
      useFakeClock();
      expect(
        await endsExactlyAt(
          started(() => select.select([], [], [], 0.0001)),
          1,
        ),
      ).toEqual({
        value: [[], [], []],
      });
    });
  });
}

if (!ON_MEMORY_WIRE) {
  describe("a timeout never ends early, and ends (node:net, wall clock)", () => {
    for (const { name, prepare, expectTimedOut } of CASES) {
      it(`${name}: a timeout of 0.2 s ends after 199–5,000 ms`, async () => {
        const run = await prepare();
        const began = performance.now();
        const call = started(() => run(0.2));
        await call.ended;
        const elapsed = performance.now() - began;
        const outcome = call.outcome();
        expect(outcome).not.toBeNull();
        if (outcome) expectTimedOut(outcome);
        expect(elapsed).toBeGreaterThanOrEqual(199);
        expect(elapsed).toBeLessThan(5_000);
      });
    }

    it.skip("connect: not measured on loopback (Node accepts every connection as it arrives, so none waits)", () => {
      // A connect() that waits needs a peer that does not answer; on loopback Node's server accepts each
      // connection at once (listen()'s backlog never fills), and the tests may not leave loopback.
    });
  });
}

describe("settimeout() takes a number or None", () => {
  it("settimeout('x') raises TypeError(\"'str' object cannot be interpreted as an integer\")", () => {
    const s = newSocket();
    expectError(
      thrown(() => {
        s.settimeout("x" as never);
      }),
      TypeError,
      "'str' object cannot be interpreted as an integer",
    );
    expect(s.gettimeout()).toBeNull();
  });

  it("settimeout(True) is settimeout(1), as a bool is an int; NaN raises ValueError", () => {
    const s = newSocket();
    s.settimeout(true as never);
    expect(s.gettimeout()).toBe(1);
    expectError(
      thrown(() => {
        s.settimeout(NaN);
      }),
      ValueError,
      "Invalid value NaN (not a number)",
    );
  });

  it("setdefaulttimeout('x') raises the same TypeError", () => {
    expectError(
      thrown(() => {
        socket.setdefaulttimeout("x" as never);
      }),
      TypeError,
      "'str' object cannot be interpreted as an integer",
    );
    onTestFinished(() => {
      socket.setdefaulttimeout(null);
    });
    expect(socket.getdefaulttimeout()).toBeNull();
  });
});

describe("the kernel's flush timer and a test's fake clock", () => {
  it("a flush timer first made under a fake clock still fires once the real clock is back", async () => {
    // A module instance of its own (the query makes it one), so that this is the first flush it queues, the one
    // that makes its timer: here under a fake clock.
    const fd = (await import(
      // @ts-expect-error -- a query on the path: the same module, loaded again
      "../lib/kernel/fd.ts?first-flush"
    )) as typeof import("../lib/kernel/fd.ts");
    let flushed: () => void = () => undefined;
    const flushedNow = new Promise<void>((resolve) => {
      flushed = resolve;
    });
    const source = {
      flushQueued: (force: boolean): boolean => {
        if (force) flushed();
        return !force;
      },
    };
    useFakeClock();
    fd.queueFlush(source);
    vi.useRealTimers();
    // Only the timer flushes now (after 1 ms); one made with the fake setTimeout would never fire.
    const bound = new AbortController();
    onTestFinished(() => {
      bound.abort();
    });
    await expect(
      Promise.race([
        flushedNow,
        delay(5_000, undefined, { signal: bound.signal }).then(() =>
          Promise.reject(new Error("not flushed in 5 s")),
        ),
      ]),
    ).resolves.toBeUndefined();
  });
});
