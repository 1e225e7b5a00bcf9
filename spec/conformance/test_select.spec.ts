// CPython's Lib/test/test_select.py (3.11), ported: SelectTestCase, against lib/python/select.ts. Each test keeps
// CPython's name, expected values and classes; every adaptation is said at the test. What does not apply is listed
// with its reason in spec/conformance/README.md.
//
// Adaptations common to every test:
// - `select.select(...)` → `await select.select(...)` (a blocking call is an await); `assertRaises(E, f, *args)` →
//   the Promise rejects with E (`rejection()`).
// - A child process's stdout pipe → one of our `os.pipe()` pipes, whose writer a timer drives in the test's own
//   process (our pipes are in-process objects: lib/python/os.ts).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { OSError, ValueError, errno } from "../../lib/python/errors.ts";
import * as os from "../../lib/python/os.ts";
import * as select from "../../lib/python/select.ts";
import { rejection, thrown } from "../helpers/sockets.ts";
import { SOCKET_WIRE } from "./wire.ts";

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A pipe whose writer writes `testing...\n` `times` times, every `everyMs`, then closes: the child process
 * `print("testing...", flush=True); time.sleep(0.050)` of CPython's test_select, in this process. Both ends are
 * closed when the test finishes.
 */
function testingPipe(times: number, everyMs: number): number {
  const [rd, wr] = os.pipe();
  let written = 0;
  const timer = setInterval(() => {
    if (written < times) {
      os.write(wr, Buffer.from("testing...\n"));
      written++;
    } else {
      clearInterval(timer);
      os.close(wr);
    }
  }, everyMs);
  onTestFinished(() => {
    clearInterval(timer);
    for (const fd of [rd, wr]) {
      try {
        os.close(fd);
      } catch (e) {
        if (!(e instanceof OSError)) throw e;
      }
    }
  });
  return rd;
}

/** `pipe.readline()` for the pipe of {@link testingPipe}, whose lines are 11 bytes: one line, or `b''` at EOF. */
function readline(fd: number): Buffer {
  return os.read(fd, "testing...\n".length);
}

describe(`SelectTestCase (${SOCKET_WIRE.name})`, () => {
  // CPython's `class Nope: pass`: an object without fileno().
  const Nope = class {
    readonly nope = true;
  };

  class Almost {
    fileno(): string {
      return "fileno";
    }
  }

  it("test_error_conditions", async () => {
    // Adapted: the wrong types are passed through `never`, as a program that is not type-checked would pass them.
    expect(await rejection(select.select(1 as never, 2 as never, 3 as never))).toBeInstanceOf(
      TypeError,
    );
    expect(await rejection(select.select([new Nope() as never], [], []))).toBeInstanceOf(TypeError);
    expect(await rejection(select.select([new Almost() as never], [], []))).toBeInstanceOf(
      TypeError,
    );
    expect(await rejection(select.select([], [], [], "not a number" as never))).toBeInstanceOf(
      TypeError,
    );
    expect(await rejection(select.select([], [], [], -1))).toBeInstanceOf(ValueError);
  });

  it("test_errno", async () => {
    // Adapted: `open(__file__, 'rb')` → our os.open() of a file of the test's own (a regular file, as
    // __file__ is), closed before select() sees its fd.
    const dir = await mkdtemp(join(tmpdir(), "test-select-"));
    onTestFinished(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const path = join(dir, "file");
    await writeFile(path, "x");
    const fd = os.open(path, os.O_RDONLY);
    os.close(fd);
    const err = await rejection(select.select([fd], [], [], 0));
    expect(err).toBeInstanceOf(OSError);
    expect(err).toHaveProperty("errno", errno.EBADF);
  });

  it("test_returned_list_identity", async () => {
    // See issue #8329
    // Adapted: select([], [], [], 1) waits its full second: on vitest's fake clock (setTimeout and
    // performance.now()), which the test moves on by 1000 ms, so the test takes no second of its own.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const pending = select.select([], [], [], 1);
    for (let i = 0; i < 5; i++) await nextTurn();
    vi.advanceTimersByTime(1000);
    const [r, w, x] = await pending;
    expect(r).not.toBe(w);
    expect(r).not.toBe(x);
    expect(w).not.toBe(x);
  });

  it("test_select", async () => {
    // Adapted: the child process printing `testing...` ten times 50 ms apart → a pipe of ours written ten times
    // 50 ms apart, then closed (testingPipe); `pipe.readline()` → os.read() of one line.
    const pipe = testingPipe(10, 50);
    let lines = 0;
    for (const timeout of [0, 1, 2, 4, 8, 16, ...Array<null>(10).fill(null)]) {
      const [rfd, wfd, xfd] = await select.select([pipe], [], [], timeout);
      expect(wfd).toEqual([]);
      expect(xfd).toEqual([]);
      if (rfd.length === 0) continue;
      if (rfd.length === 1 && rfd[0] === pipe) {
        const line = readline(pipe);
        if (line.length === 0) break;
        expect(line.toString()).toBe("testing...\n");
        lines++;
        continue;
      }
      expect.fail(`Unexpected return values from select(): ${String(rfd)}`);
    }
    // Added: the loop saw every line (16 calls, 10 lines and the end of file, at most 6 timeouts of none).
    expect(lines).toBeGreaterThanOrEqual(9);
  });

  it("test_select_mutated", async () => {
    // Issue 16230: Crash on select resized list
    // Adapted: sys.__stdout__.fileno() → 1, the process's standard output, always writable.
    const a: select.FileLike[] = [];
    class F {
      fileno(): number {
        a.pop();
        return 1;
      }
    }
    const f = new F();
    for (let i = 0; i < 10; i++) a.push(f);
    const result = await select.select([], a, []);
    expect(result).toEqual([[], a.slice(0, 5), []]);
  });

  it("test_disallow_instantiation", () => {
    // Adapted: support.check_disallow_instantiation(type(select.poll())) → `new` of the class of a poll object
    // raises TypeError("cannot create 'select.poll' instances"). There is no select.devpoll on Linux.
    const Poll = select.poll().constructor as new () => unknown;
    const err = thrown(() => new Poll());
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toHaveProperty("message", "cannot create 'select.poll' instances");
  });
});
