// CPython's Lib/test/test_poll.py (3.11), ported: PollTests, against lib/python/select.ts's poll(). Each test keeps
// CPython's name, expected values and classes; every adaptation is said at the test. What does not apply is listed
// with its reason in spec/conformance/README.md.
//
// Adaptations common to every test:
// - `p.poll(...)` → `await p.poll(...)`; `assertRaises(E, f, *args)` → `expect(() => f(...args)).toThrow(E)`.
// - Arguments of a wrong type are passed through `never`, as a program that is not type-checked would pass them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import {
  KeyError,
  OSError,
  OverflowError,
  RuntimeError,
  ValueError,
} from "../../lib/python/errors.ts";
import * as os from "../../lib/python/os.ts";
import * as select from "../../lib/python/select.ts";
import { rejection } from "../helpers/sockets.ts";
import { SOCKET_WIRE } from "./wire.ts";

afterEach(() => {
  vi.useRealTimers();
});

/** CPython's `find_ready_matching(ready, flag)`. */
function findReadyMatching(ready: [number, number][], flag: number): number[] {
  const match: number[] = [];
  for (const [fd, mode] of ready) if (mode & flag) match.push(fd);
  return match;
}

/** A deterministic `random.choice` (a fixed-seed LCG), so a failure can be replayed. */
function chooser(seed: number): <T>(items: readonly T[]) => T {
  let state = seed;
  return <T>(items: readonly T[]): T => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const item = items[state % items.length];
    if (item === undefined) throw new Error("choice from an empty list");
    return item;
  };
}

/** Close `fds` when the test finishes (those already closed are skipped). */
function closeLater(...fds: number[]): void {
  onTestFinished(() => {
    for (const fd of fds) {
      try {
        os.close(fd);
      } catch (e) {
        if (!(e instanceof OSError)) throw e;
      }
    }
  });
}

/** A pipe both of whose ends are closed when the test finishes. */
function pipe(): [number, number] {
  const [r, w] = os.pipe();
  closeLater(r, w);
  return [r, w];
}

describe(`PollTests (${SOCKET_WIRE.name})`, () => {
  it("test_poll1", async () => {
    // Basic functional test of poll object
    // Create a bunch of pipe and test that poll works with them.
    // Adapted: random.choice → a seeded chooser, so a failure replays.
    const choice = chooser(1);
    const p = select.poll();

    const NUM_PIPES = 12;
    const MSG = Buffer.from(" This is a test.");
    const MSG_LEN = MSG.length;
    const readers: number[] = [];
    const writers: number[] = [];
    const r2w = new Map<number, number>();
    const w2r = new Map<number, number>();

    for (let i = 0; i < NUM_PIPES; i++) {
      const [rd, wr] = pipe();
      p.register(rd);
      p.modify(rd, select.POLLIN);
      p.register(wr, select.POLLOUT);
      readers.push(rd);
      writers.push(wr);
      r2w.set(rd, wr);
      w2r.set(wr, rd);
    }

    const bufs: Buffer[] = [];

    while (writers.length > 0) {
      let ready = await p.poll();
      const readyWriters = findReadyMatching(ready, select.POLLOUT);
      if (readyWriters.length === 0) throw new Error("no pipes ready for writing");
      const wr = choice(readyWriters);
      os.write(wr, MSG);

      ready = await p.poll();
      const readyReaders = findReadyMatching(ready, select.POLLIN);
      if (readyReaders.length === 0) throw new Error("no pipes ready for reading");
      const rd = choice(readyReaders);
      const buf = os.read(rd, MSG_LEN);
      expect(buf.length).toBe(MSG_LEN);
      bufs.push(buf);
      const w = r2w.get(rd) ?? -1;
      os.close(w);
      os.close(rd);
      p.unregister(w);
      p.unregister(rd);
      writers.splice(writers.indexOf(w), 1);
    }

    expect(bufs).toEqual(Array<Buffer>(NUM_PIPES).fill(MSG));
  });

  it("test_poll_unit_tests", async () => {
    // returns NVAL for invalid file descriptor
    const [FD, w] = os.pipe();
    os.close(FD);
    os.close(w);
    let p = select.poll();
    p.register(FD);
    let r = await p.poll();
    expect(r[0]).toEqual([FD, select.POLLNVAL]);

    // Adapted: open(TESTFN, 'w') → our os.open() of a new file (O_WRONLY | O_CREAT), closed where the `with`
    // block ends.
    const dir = await mkdtemp(join(tmpdir(), "test-poll-"));
    onTestFinished(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const fd = os.open(join(dir, "@test"), os.O_WRONLY | os.O_CREAT);
    p = select.poll();
    p.register(fd);
    r = await p.poll();
    expect(r[0]?.[0]).toBe(fd);
    os.close(fd);
    r = await p.poll();
    expect(r[0]).toEqual([fd, select.POLLNVAL]);

    // type error for invalid arguments
    p = select.poll();
    expect(() => {
      p.register(p as never);
    }).toThrow(TypeError);
    expect(() => {
      p.unregister(p as never);
    }).toThrow(TypeError);

    // can't unregister non-existent object
    p = select.poll();
    expect(() => {
      p.unregister(3);
    }).toThrow(KeyError);

    // Test error cases
    const pollster = select.poll();
    // CPython's `class Nope: pass`: an object without fileno().
    const Nope = class {
      readonly nope = true;
    };

    class Almost {
      fileno(): string {
        return "fileno";
      }
    }

    expect(() => {
      pollster.register(new Nope() as never, 0);
    }).toThrow(TypeError);
    expect(() => {
      pollster.register(new Almost() as never, 0);
    }).toThrow(TypeError);
  });

  it("test_poll2", async () => {
    // Another test case for poll().  This is copied from the test case for select(), modified to use poll()
    // instead.
    // Adapted: the shell child printing `testing...` ten times a second apart (a 'walltime' resource test) → a pipe
    // of ours written ten times 50 ms apart, then closed; `p.readline()` → os.read() of one 11-byte line.
    const [p, wr] = pipe();
    let written = 0;
    const timer = setInterval(() => {
      if (written < 10) {
        os.write(wr, Buffer.from("testing...\n"));
        written++;
      } else {
        clearInterval(timer);
        os.close(wr);
      }
    }, 50);
    onTestFinished(() => {
      clearInterval(timer);
    });
    const readline = (): Buffer => os.read(p, "testing...\n".length);
    const pollster = select.poll();
    pollster.register(p, select.POLLIN);
    let lines = 0;
    for (const tout of [0, 1000, 2000, 4000, 8000, 16000, ...Array<number>(10).fill(-1)]) {
      const fdlist = await pollster.poll(tout);
      if (fdlist.length === 0) continue;
      const [, flags = 0] = fdlist[0] ?? [];
      if (flags & select.POLLHUP) {
        const line = readline();
        if (line.length !== 0)
          expect.fail("error: pipe seems to be closed, but still returns data");
        continue;
      } else if (flags & select.POLLIN) {
        const line = readline();
        if (line.length === 0) break;
        expect(line.toString()).toBe("testing...\n");
        lines++;
        continue;
      } else {
        expect.fail(`Unexpected return value from select.poll: ${String(fdlist)}`);
      }
    }
    // Added: the loop saw lines (16 calls: at most 6 timeouts of none, then the lines).
    expect(lines).toBeGreaterThanOrEqual(9);
  });

  it("test_poll3", async () => {
    // test int overflow
    // Adapted: 1 << 64 is 2 ** 64 (JavaScript's << works on 32 bits); CPython's check that `x = 2 + 3` is still 5
    // after the overflow (a C-level test) is left out.
    const pollster = select.poll();
    pollster.register(1);

    expect(await rejection(pollster.poll(2 ** 64))).toBeInstanceOf(OverflowError);

    // Issues #15989, #17919
    expect(() => {
      pollster.register(0, -1);
    }).toThrow(ValueError);
    expect(() => {
      pollster.register(0, 2 ** 64);
    }).toThrow(OverflowError);
    expect(() => {
      pollster.modify(1, -1);
    }).toThrow(ValueError);
    expect(() => {
      pollster.modify(1, 2 ** 64);
    }).toThrow(OverflowError);
  });

  it("test_poll_c_limits", async () => {
    // Adapted: _testcapi's USHRT_MAX, INT_MAX, UINT_MAX are C's, written out.
    const USHRT_MAX = 0xffff;
    const INT_MAX = 0x7fffffff;
    const UINT_MAX = 0xffffffff;
    const pollster = select.poll();
    pollster.register(1);

    // Issues #15989, #17919
    expect(() => {
      pollster.register(0, USHRT_MAX + 1);
    }).toThrow(OverflowError);
    expect(() => {
      pollster.modify(1, USHRT_MAX + 1);
    }).toThrow(OverflowError);
    expect(await rejection(pollster.poll(INT_MAX + 1))).toBeInstanceOf(OverflowError);
    expect(await rejection(pollster.poll(UINT_MAX + 1))).toBeInstanceOf(OverflowError);
  });

  it("test_threaded_poll", async () => {
    // Adapted: the thread running pollster.poll() → a poll() not awaited yet (pending); `time.sleep(0.5)` →
    // turns of the event loop (the pending call is waiting by then); os.dup(r) ten times → ten more pipes' read
    // ends (our os module has no dup()), none of which is ever written. Our poll() sees registrations made while
    // it waits (as epoll does; Linux's poll() copies its fds when called), so registering `w` for POLLOUT ends it
    // at once; CPython's write to `w` is what ends the thread's call there: the test checks that it ends.
    const [, w] = pipe();
    const rfds: number[] = [];
    for (let i = 0; i < 10; i++) rfds.push(pipe()[0]);
    const pollster = select.poll();
    for (const fd of rfds) pollster.register(fd, select.POLLIN);

    const t = pollster.poll();
    try {
      for (let i = 0; i < 5; i++) await nextTurn();
      // trigger ufds array reallocation
      for (const fd of rfds) pollster.unregister(fd);
      pollster.register(w, select.POLLOUT);
      expect(await rejection(pollster.poll())).toBeInstanceOf(RuntimeError);
    } finally {
      // and make the call to poll() from the thread return
      os.write(w, Buffer.from("spam"));
      await t;
    }
  });

  it("test_poll_blocks_with_negative_ms", async () => {
    // Adapted: `poll_thread.join(timeout=0.1)` then "still alive" → the pending poll() has not resolved after the
    // fake clock (setTimeout, performance.now()) moved on by 10 s, far past CPython's 0.1 s; writing to the pipe
    // then ends it.
    for (const timeoutMs of [null, -1000, -1, -1.0, -0.1, -1e-100]) {
      // Create two file descriptors. This will be used to unlock the blocking call to poll.poll inside the thread
      const [r, w] = os.pipe();
      const pollster = select.poll();
      pollster.register(r, select.POLLIN);

      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      let done = false;
      const pollThread = pollster.poll(timeoutMs).then(() => {
        done = true;
      });
      for (let i = 0; i < 5; i++) await nextTurn();
      vi.advanceTimersByTime(10_000);
      for (let i = 0; i < 5; i++) await nextTurn();
      expect(done).toBe(false);

      // Write to the pipe so pollster.poll unblocks and the thread ends.
      os.write(w, Buffer.from("spam"));
      await pollThread;
      expect(done).toBe(true);
      vi.useRealTimers();
      os.close(r);
      os.close(w);
    }
  });
});
