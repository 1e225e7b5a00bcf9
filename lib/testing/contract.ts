/**
 * The selector contract, as vitest tests: everything {@link BaseSelector} guarantees to every selector, written
 * once. Check your own selector against it (vitest is an optional peer dependency of selectors-ts, needed only
 * here):
 *
 * ```ts
 * import { describeSelectorContract } from "selectors-ts/testing/contract";
 * describeSelectorContract("MySelector", () => {
 *   const sel = new MySelector();
 *   return { sel, makeReady: (sock) => sel.pretendReady(sock) };
 * });
 * ```
 *
 * What it checks, with CPython's exception classes and messages: keys (`register` returns the key that `getKey`,
 * the map and `select` hand out), `modify` (same key when nothing changed, a new one otherwise), `unregister`,
 * every error (bad events, duplicates, unknown file objects, negative fds, after `close()`), the read-only map,
 * and `close()`. Each test makes its own selector with `make()` and its own never-connected non-blocking sockets
 * (with `socket.socket()`: a `MemoryNetwork` installed at the time makes in-memory ones), and closes them all.
 * @module
 */
import { describe, expect, it, onTestFinished } from "vitest";

import { KeyError, RuntimeError, ValueError } from "../python/errors.ts";
import { repr, str } from "../python/repr.ts";
import {
  type BaseSelector,
  EVENT_READ,
  EVENT_WRITE,
  type FileObj,
  type ReadyList,
  SelectorKey,
  type SelectorMapping,
} from "../python/selectors.ts";
import * as socket from "../python/socket.ts";

/** A selector under test, and the way to make a registered socket ready for it. */
export interface ContractSubject {
  /** A new selector: the contract closes it when its test finishes. */
  readonly sel: BaseSelector;
  /**
   * After this, the next `select()` reports `sock` (registered, never connected, non-blocking) ready for
   * `EVENT_READ` and `EVENT_WRITE`. A selector that sees sockets as the kernel does has nothing to do: a
   * never-connected TCP socket is readable and writable (epoll's OUT|HUP).
   */
  readonly makeReady: (sock: socket.NonBlockingSocket) => void;
}

const READ_WRITE = EVENT_READ | EVENT_WRITE;

/**
 * Declare the contract tests (a vitest `describe` block named `contract: <name>`) for the selector `make` builds.
 * Call it at the top level of a spec file, or inside a `describe`.
 */
export function describeSelectorContract(name: string, make: () => ContractSubject): void {
  describe(`contract: ${name}`, () => {
    function subject(): ContractSubject {
      const made = make();
      closeAfterTest(made.sel);
      return made;
    }

    describe("keys", () => {
      it("register returns the key; getKey, the map and select hand out that same object", async () => {
        const { sel, makeReady } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ, "x");
        expect(key).toBeInstanceOf(SelectorKey);
        expect(sel.getKey(s)).toBe(key);
        expect(sel.getKey(s.fileno())).toBe(key);
        expect(sel.getMap()?.get(s)).toBe(key);
        expect(sel.getMap()?.get(s.fileno())).toBe(key);
        expect([...(sel.getMap()?.values() ?? [])]).toEqual([key]);
        makeReady(s);
        const ready = await sel.select(0);
        expect(ready).toHaveLength(1);
        expect(ready[0]?.[0]).toBe(key);
      });

      it("a key holds fileobj, fd, events and data, and prints as Python's namedtuple", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        const key = sel.register(s, EVENT_WRITE, "x");
        expect(key.fileobj).toBe(s);
        expect(key.fd).toBe(fd);
        expect(key.events).toBe(EVENT_WRITE);
        expect(key.data).toBe("x");
        expect(repr(key)).toBe(
          `SelectorKey(fileobj=${freshRepr(fd)}, fd=${fd}, events=2, data='x')`,
        );
      });

      it("register without data sets data to null (Python's None)", () => {
        const { sel } = subject();
        const key = sel.register(freshSocket(), READ_WRITE);
        expect(key.data).toBeNull();
        expect(key.events).toBe(READ_WRITE);
      });

      it("an fd registers as an int: the key's fileobj is the number", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s.fileno(), EVENT_READ);
        expect(key.fileobj).toBe(s.fileno());
        expect(key.fd).toBe(s.fileno());
        expect(sel.getKey(s)).toBe(key);
      });

      it("select reports mask = ready ∩ key.events", async () => {
        const { sel, makeReady } = subject();
        const r = freshSocket();
        const w = freshSocket();
        sel.register(r, EVENT_READ);
        sel.register(w, EVENT_WRITE);
        makeReady(r);
        makeReady(w);
        const ready = await sel.select(0);
        expectUniqueKeys(ready);
        expect(fdMasks(ready)).toEqual([
          [r.fileno(), EVENT_READ],
          [w.fileno(), EVENT_WRITE],
        ]);
      });
    });

    describe("modify", () => {
      it("keeps the same key when events and data are unchanged", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ, "x");
        expect(sel.modify(s, EVENT_READ, "x")).toBe(key);
        expect(sel.getKey(s)).toBe(key);
        const plain = freshSocket();
        const plainKey = sel.register(plain, EVENT_READ);
        expect(sel.modify(plain, EVENT_READ)).toBe(plainKey);
        expect(sel.modify(plain, EVENT_READ, null)).toBe(plainKey);
      });

      it("returns a new key when the events change; the old key is left as it was", async () => {
        const { sel, makeReady } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ, "x");
        const changed = sel.modify(s, READ_WRITE, "x");
        expect(changed).not.toBe(key);
        expect(changed).toBeInstanceOf(SelectorKey);
        expect([changed.fileobj, changed.fd, changed.events, changed.data]).toEqual([
          s,
          s.fileno(),
          READ_WRITE,
          "x",
        ]);
        expect(key.events).toBe(EVENT_READ);
        expect(sel.getKey(s)).toBe(changed);
        expect(sel.getMap()?.get(s)).toBe(changed);
        makeReady(s);
        const ready = await sel.select(0);
        expect(ready).toHaveLength(1);
        expect(ready[0]?.[0]).toBe(changed);
        expect(ready[0]?.[1]).toBe(READ_WRITE);
      });

      it("returns a new key when the data change", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ, "x");
        const changed = sel.modify(s, EVENT_READ, "y");
        expect(changed).not.toBe(key);
        expect(changed.data).toBe("y");
        expect(key.data).toBe("x");
        expect(sel.getKey(s)).toBe(changed);
      });

      it("modify(s, events) without data sets data to null, as Python's does to None", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ, "x");
        const dropped = sel.modify(s, EVENT_READ);
        expect(dropped).not.toBe(key);
        expect(dropped.data).toBeNull();
        expect(dropped.events).toBe(EVENT_READ);
        expect(sel.getKey(s).data).toBeNull();
      });

      it("does not validate events: 0 and 4 are accepted", () => {
        const { sel } = subject();
        const s = freshSocket();
        sel.register(s, EVENT_READ);
        expect(sel.modify(s, 0).events).toBe(0);
        expect(sel.getKey(s).events).toBe(0);
        expect(sel.modify(s, 4).events).toBe(4);
        expect(sel.getKey(s).events).toBe(4);
      });

      it("keeps the key's fileobj when modified through the fd", () => {
        const { sel } = subject();
        const s = freshSocket();
        sel.register(s, EVENT_READ);
        const changed = sel.modify(s.fileno(), EVENT_WRITE);
        expect(changed.fileobj).toBe(s);
        expect(changed.events).toBe(EVENT_WRITE);
      });
    });

    describe("unregister", () => {
      it("returns the removed key; the file object is then unknown", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ);
        expect(sel.unregister(s)).toBe(key);
        expect(sel.getMap()?.size).toBe(0);
        expect(sel.getMap()?.has(s)).toBe(false);
        raises(() => sel.getKey(s), KeyError, `KeyError("${freshRepr(key.fd)} is not registered")`);
        expect(sel.register(s, EVENT_WRITE)).not.toBe(key);
      });

      it("unregisters by fd", () => {
        const { sel } = subject();
        const s = freshSocket();
        const key = sel.register(s, EVENT_READ);
        expect(sel.unregister(s.fileno())).toBe(key);
        expect(sel.getMap()?.size).toBe(0);
      });

      it("finds a socket closed since it was registered (fileno -1) by identity", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        const key = sel.register(s, EVENT_READ);
        s.close();
        expect(s.fileno()).toBe(-1);
        expect(sel.getKey(s)).toBe(key);
        expect(sel.getMap()?.has(s)).toBe(true);
        expect(sel.unregister(s)).toBe(key);
        expect(key.fd).toBe(fd);
        expect(sel.getMap()?.size).toBe(0);
      });

      it("a new socket given a registered closed socket's fd is refused until the old one is unregistered", () => {
        const { sel } = subject();
        const old = freshSocket();
        const fd = old.fileno();
        sel.register(old, EVENT_READ);
        old.close();
        const reused = freshSocket();
        expect(reused.fileno()).toBe(fd);
        raises(
          () => sel.register(reused, EVENT_READ),
          KeyError,
          `KeyError("${freshRepr(fd)} (FD ${fd}) is already registered")`,
        );
        sel.unregister(old);
        expect(sel.register(reused, EVENT_READ).fileobj).toBe(reused);
      });
    });

    describe("errors, with Python's classes and messages", () => {
      it.each([
        [0, "ValueError('Invalid events: 0')"],
        [4, "ValueError('Invalid events: 4')"],
        [-1, "ValueError('Invalid events: -1')"],
        [7, "ValueError('Invalid events: 7')"],
        [null, "ValueError('Invalid events: None')"],
      ])("register(s, %s) → %s", (events, expected) => {
        const { sel } = subject();
        const s = freshSocket();
        // @ts-expect-error -- null is no number; Python's None is refused the same way
        raises(() => sel.register(s, events), ValueError, expected);
        expect(sel.getMap()?.size).toBe(0);
      });

      it.each([1.0 + 0.5, 0.5, Number.NaN, Infinity])(
        "register(s, %s), not an integer → TypeError",
        (events) => {
          const { sel } = subject();
          raises(
            () => sel.register(freshSocket(), events),
            TypeError,
            `TypeError("unsupported operand type(s) for &: 'float' and 'int'")`,
          );
          expect(sel.getMap()?.size).toBe(0);
        },
      );

      it("checks the events before the file object", () => {
        const { sel } = subject();
        // @ts-expect-error -- not a file object
        raises(() => sel.register({}, 0), ValueError, "ValueError('Invalid events: 0')");
        raises(() => sel.register(-5, 0), ValueError, "ValueError('Invalid events: 0')");
      });

      it("the same object twice → KeyError with the object's repr", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        const key = sel.register(s, EVENT_READ);
        const e = raises(
          () => sel.register(s, EVENT_WRITE),
          KeyError,
          `KeyError("${freshRepr(fd)} (FD ${fd}) is already registered")`,
        );
        expect(e.message).toBe(`"${freshRepr(fd)} (FD ${fd}) is already registered"`);
        expect(sel.getKey(s)).toBe(key);
      });

      it("the same fd as an int → KeyError with the repr of the new argument", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        const key = sel.register(s, EVENT_READ);
        const e = raises(
          () => sel.register(fd, EVENT_READ),
          KeyError,
          `KeyError('${fd} (FD ${fd}) is already registered')`,
        );
        expect(e.message).toBe(`'${fd} (FD ${fd}) is already registered'`);
        expect(String(e)).toBe(`KeyError: '${fd} (FD ${fd}) is already registered'`);
        expect(sel.getKey(fd)).toBe(key);
        expect(sel.getKey(fd).fileobj).toBe(s);
      });

      it("an unknown fd → KeyError('999 is not registered'), whose message is the quoted repr", () => {
        const { sel } = subject();
        sel.register(freshSocket(), EVENT_READ);
        for (const call of [
          () => sel.unregister(999),
          () => sel.modify(999, EVENT_READ),
          () => sel.getKey(999),
        ]) {
          const e = raises(call, KeyError, "KeyError('999 is not registered')");
          expect(e.message).toBe("'999 is not registered'");
          expect(str(e)).toBe("'999 is not registered'");
          expect(String(e)).toBe("KeyError: '999 is not registered'");
          expect(e.args).toEqual(["999 is not registered"]);
        }
        expect(sel.getMap()?.get(999)).toBeUndefined();
        expect(sel.getMap()?.has(999)).toBe(false);
      });

      it("an unknown socket → KeyError with the socket's repr", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        const expected = `KeyError("${freshRepr(fd)} is not registered")`;
        for (const call of [
          () => sel.unregister(s),
          () => sel.modify(s, EVENT_READ),
          () => sel.getKey(s),
        ]) {
          const e = raises(call, KeyError, expected);
          expect(e.message).toBe(`"${freshRepr(fd)} is not registered"`);
        }
        expect(sel.getMap()?.get(s)).toBeUndefined();
        expect(sel.getMap()?.has(s)).toBe(false);
      });

      it("no usable fileno → ValueError('Invalid file object: …')", () => {
        const { sel } = subject();
        raises(
          // @ts-expect-error -- a plain object has no fileno()
          () => sel.register({}, EVENT_READ),
          ValueError,
          "ValueError('Invalid file object: {}')",
        );
        raises(
          // @ts-expect-error -- a string has no fileno()
          () => sel.register("abc", EVENT_READ),
          ValueError,
          `ValueError("Invalid file object: 'abc'")`,
        );
        raises(
          () => sel.register(1.5, EVENT_READ),
          ValueError,
          "ValueError('Invalid file object: 1.5')",
        );
        raises(
          // @ts-expect-error -- not a file object
          () => sel.unregister({}),
          ValueError,
          "ValueError('Invalid file object: {}')",
        );
        // @ts-expect-error -- not a file object
        raises(() => sel.getKey("abc"), ValueError, `ValueError("Invalid file object: 'abc'")`);
        expect(sel.getMap()?.size).toBe(0);
      });

      it("a negative fd, as an int or from fileno() → ValueError('Invalid file descriptor: -5')", () => {
        const { sel } = subject();
        const expected = "ValueError('Invalid file descriptor: -5')";
        raises(() => sel.register(-5, EVENT_READ), ValueError, expected);
        raises(() => sel.register({ fileno: () => -5 }, EVENT_READ), ValueError, expected);
        raises(() => sel.unregister(-5), ValueError, expected);
        raises(() => sel.getKey(-5), ValueError, expected);
        expect(sel.getMap()?.size).toBe(0);
      });

      it("a closed socket never registered → ValueError('Invalid file descriptor: -1'), not KeyError", () => {
        const { sel } = subject();
        sel.register(freshSocket(), EVENT_READ);
        const s = freshSocket();
        s.close();
        const expected = "ValueError('Invalid file descriptor: -1')";
        raises(() => sel.register(s, EVENT_READ), ValueError, expected);
        raises(() => sel.unregister(s), ValueError, expected);
        raises(() => sel.getKey(s), ValueError, expected);
        raises(() => sel.modify(s, EVENT_READ), ValueError, expected);
        expect(sel.getMap()?.size).toBe(1);
      });
    });

    describe("getMap()", () => {
      it("is the same read-only object each call, sized, iterating fds, looked up by fileobj or fd", () => {
        const { sel } = subject();
        const map = sel.getMap();
        expect(map).not.toBeNull();
        expect(sel.getMap()).toBe(map);
        expect(map?.size).toBe(0);
        const a = freshSocket();
        const b = freshSocket();
        const ka = sel.register(a, EVENT_READ);
        const kb = sel.register(b, EVENT_WRITE);
        expect(sel.getMap()).toBe(map);
        expect(map?.size).toBe(2);
        expect([...(map ?? [])]).toEqual([a.fileno(), b.fileno()]);
        expect([...(map?.keys() ?? [])]).toEqual([a.fileno(), b.fileno()]);
        expect([...(map?.entries() ?? [])]).toEqual([
          [a.fileno(), ka],
          [b.fileno(), kb],
        ]);
        expect(map?.get(a)).toBe(ka);
        expect(map?.get(b.fileno())).toBe(kb);
        expect(map?.has(a)).toBe(true);
        expect(map?.has(b.fileno())).toBe(true);
        expect(map?.has(999)).toBe(false);
        expect(map?.get(999)).toBeUndefined();
        expect(Reflect.has(map ?? {}, "set")).toBe(false);
        expect(Reflect.has(map ?? {}, "delete")).toBe(false);
        sel.unregister(a);
        expect(map?.size).toBe(1);
        expect([...(map ?? [])]).toEqual([b.fileno()]);
      });
    });

    describe("close()", () => {
      it("forgets the keys: getMap() is null, a mapping fetched earlier is empty", () => {
        const { sel } = subject();
        const s = freshSocket();
        sel.register(s, EVENT_READ);
        const map = sel.getMap();
        expect(map?.size).toBe(1);
        sel.close();
        expect(sel.getMap()).toBeNull();
        expect(map?.size).toBe(0);
        expect([...(map ?? [])]).toEqual([]);
        expect(map?.get(s)).toBeUndefined();
      });

      it("then getKey → RuntimeError, unregister and modify → KeyError; closing again does nothing", () => {
        const { sel } = subject();
        const s = freshSocket();
        const fd = s.fileno();
        sel.register(s, EVENT_READ);
        sel.close();
        raises(() => sel.getKey(s), RuntimeError, "RuntimeError('Selector is closed')");
        raises(() => sel.getKey(fd), RuntimeError, "RuntimeError('Selector is closed')");
        const notRegistered = `KeyError("${freshRepr(fd)} is not registered")`;
        raises(() => sel.unregister(s), KeyError, notRegistered);
        raises(() => sel.modify(s, EVENT_WRITE), KeyError, notRegistered);
        expect(() => {
          sel.close();
        }).not.toThrow();
        expect(sel.getMap()).toBeNull();
      });

      it("`using` closes the selector at the end of the block", () => {
        const s = freshSocket();
        let outer: BaseSelector | undefined;
        let map: SelectorMapping<FileObj, unknown> | null;
        {
          using sel = make().sel;
          outer = sel;
          sel.register(s, EVENT_READ);
          map = sel.getMap();
          expect(map?.size).toBe(1);
        }
        expect(outer.getMap()).toBeNull();
        expect(map?.size).toBe(0);
        raises(() => outer.getKey(s), RuntimeError, "RuntimeError('Selector is closed')");
      });
    });
  });
}

/** Close `closable` when the current test finishes, pass or fail. */
function closeAfterTest<T extends { close(): void }>(closable: T): T {
  onTestFinished(() => {
    closable.close();
  });
  return closable;
}

/**
 * Run `fn`, which must throw an instance of `Class` whose Python repr is `expected`.
 * @returns the exception.
 */
function raises<E extends Error>(
  fn: () => unknown,
  Class: abstract new (...args: never) => E,
  expected: string,
): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Class);
    if (!(e instanceof Class)) throw e;
    expect(repr(e)).toBe(expected);
    return e;
  }
  throw new Error(`expected ${expected}; nothing was thrown`);
}

/** Python's repr of a never-connected AF_INET socket with fd `fd`. */
function freshRepr(fd: number): string {
  return `<socket.socket fd=${fd}, family=2, type=1, proto=0, laddr=('0.0.0.0', 0)>`;
}

/** A new (never connected) non-blocking TCP socket, closed when the test finishes. */
function freshSocket(): socket.NonBlockingSocket {
  return closeAfterTest(socket.socket(socket.AF_INET, socket.SOCK_STREAM)).setblocking(false);
}

/** A `select()` result as `[fd, mask]` pairs in fd order. */
function fdMasks<F extends FileObj, D>(ready: ReadyList<F, D>): [number, number][] {
  return ready.map(([key, mask]): [number, number] => [key.fd, mask]).sort((x, y) => x[0] - y[0]);
}

/** Fail unless each key appears at most once in `ready`. */
function expectUniqueKeys<F extends FileObj, D>(ready: ReadyList<F, D>): void {
  const keys = ready.map(([key]) => key);
  expect(new Set(keys).size, `a key appears twice in ${repr(ready)}`).toBe(keys.length);
}
