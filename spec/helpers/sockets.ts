/**
 * A small vocabulary for tests of `lib/python/socket.ts`, in the manner of mio's `tests/util`: listening sockets on
 * loopback port 0, connected pairs, exception checks that pin class, errno and message, and bounded waits.
 *
 * Rules:
 * - Loopback only (`127.0.0.1`, `::1`), port 0, the port read back from `getsockname()`.
 * - Every socket and selector made here is closed when the current vitest test finishes, pass or fail
 *   ({@link track}), so these helpers must be called inside a test.
 * - Every wait is bounded and, when it runs out, says what it waited for. Nothing sleeps: readiness is awaited
 *   through a `DefaultSelector` (which wakes on the socket's own events), and conditions that have no event are
 *   re-checked once per turn of the event loop, which lets pending I/O in between checks.
 *
 * @example
 * ```ts
 * const { client, server } = await connectedPair();
 * const nb = client.setblocking(false);
 * assertWouldBlock(() => nb.recv(1024));
 * await server.sendall(Buffer.from("hi"));
 * await until(nb, EVENT_READ);
 * expect(nb.recv(1024)).toEqual(Buffer.from("hi"));
 * ```
 * @module
 */
import { setImmediate as nextTurn } from "node:timers/promises";

import { expect, onTestFinished } from "vitest";

import { BlockingIOError, OSError } from "../../lib/python/errors.ts";
import {
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  type FileLike,
} from "../../lib/python/selectors.ts";
import * as socket from "../../lib/python/socket.ts";
import { MemoryNetwork } from "../../lib/transport/memory-network.ts";
import { waitUntilReady } from "../../lib/testing/wait.ts";

/** IPv4 loopback. */
export const HOST = "127.0.0.1";
/** IPv6 loopback. */
export const HOST6 = "::1";

/** How long a bounded wait waits unless told: far more than loopback ever needs. */
const WAIT_MS = 5_000;

/**
 * Close `closable` when the current test finishes.
 * @returns `closable`, for chaining.
 */
export function track<T extends { close(): void }>(closable: T): T {
  onTestFinished(() => {
    closable.close();
  });
  return closable;
}

/** A memory network for the current test, uninstalled when it finishes. */
export function memoryNetwork(
  options: ConstructorParameters<typeof MemoryNetwork>[0] = {},
): MemoryNetwork {
  const net = new MemoryNetwork(options);
  onTestFinished(() => {
    net.uninstall();
  });
  return net;
}

/** A new socket (blocking, as Python makes it), closed when the test finishes. */
export function newSocket(family: number = socket.AF_INET): socket.BlockingSocket {
  return track(socket.socket(family, socket.SOCK_STREAM));
}

/** A listening socket and the address it listens on. */
export interface Listener {
  /** The listening socket (blocking mode). */
  readonly sock: socket.BlockingSocket;
  /** Its address, as `getsockname()` gives it: `['127.0.0.1', port]` or `['::1', port, 0, 0]`. */
  readonly address: socket.InetAddress | socket.Inet6Address;
  /** The port the kernel chose. */
  readonly port: number;
}

/**
 * A socket listening on loopback port 0 (127.0.0.1, or ::1 for `AF_INET6`), closed when the test finishes.
 * @throws Error when `getsockname()` does not give an address with a port.
 */
export async function listener(family: number = socket.AF_INET): Promise<Listener> {
  const sock = newSocket(family);
  sock.bind(family === socket.AF_INET6 ? [HOST6, 0, 0, 0] : [HOST, 0]);
  await sock.listen();
  const address = sock.getsockname();
  if (typeof address === "string") throw new Error(`listener: no port in ${address}`);
  return { sock, address, port: address[1] };
}

/** Two connected sockets, both blocking, and the listener that made them. */
export interface Pair {
  /** The side that connected. */
  readonly client: socket.BlockingSocket;
  /** The side `accept()` returned. */
  readonly server: socket.BlockingSocket;
  /** The listening socket (still open). */
  readonly listening: Listener;
}

/** A connected loopback pair over TCP (`AF_INET` or `AF_INET6`); all three sockets closed when the test finishes. */
export async function connectedPair(family: number = socket.AF_INET): Promise<Pair> {
  const listening = await listener(family);
  const client = newSocket(family);
  const [[server]] = await Promise.all([
    listening.sock.accept(),
    client.connect(listening.address),
  ]);
  track(server);
  return { client, server, listening };
}

/** A TCP port on 127.0.0.1 where nothing listens (it listened a moment ago): connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const { sock, port } = await listener();
  sock.close();
  return port;
}

/** What `fn` threw. Fails the test when it returns normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return expect.fail("expected an exception, but the call returned");
}

/** What `promise` rejected with. Fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return expect.fail("expected a rejection, but the promise resolved");
}

/** A class of Python-style exception or JavaScript error (what `expectError` needs of it: its prototype). */
interface ErrorClass {
  readonly prototype: Error;
}

/**
 * Check that `error` is exactly of class `Class` (not a subclass) with Python's `str(e)` as its message.
 */
export function expectError(error: unknown, Class: ErrorClass, message: string): void {
  expect(error).toBeInstanceOf(Class);
  expect(Object.getPrototypeOf(error)).toBe(Class.prototype);
  expect(error).toHaveProperty("message", message);
}

/**
 * Check that `error` is exactly an OSError of class `Class` with this errno and text: `errno`, `strerror`, the
 * message `[Errno N] text` and Python's `args`.
 */
export function expectOSError(
  error: unknown,
  Class: typeof OSError,
  errno: number,
  strerror: string,
): void {
  expectError(error, Class, `[Errno ${errno}] ${strerror}`);
  expect(error).toMatchObject({ errno, strerror, args: [errno, strerror] });
}

/** `fn` raises `BlockingIOError(11, 'Resource temporarily unavailable')`, as Python's EAGAIN. */
export function assertWouldBlock(fn: () => unknown): void {
  expectOSError(thrown(fn), BlockingIOError, 11, "Resource temporarily unavailable");
}

/**
 * The events a selector reports for `sock` right now (registered for READ|WRITE, `select(0)`), 0 when none.
 * The selector is closed before returning.
 */
export async function readiness(sock: FileLike): Promise<number> {
  using sel = new DefaultSelector<null, FileLike | number>();
  // By fd: a selector takes a socket object only in non-blocking mode, and waiting must not change the mode.
  sel.register(sock.fileno(), EVENT_READ | EVENT_WRITE);
  const ready = await sel.select(0);
  return ready[0]?.[1] ?? 0;
}

/**
 * Wait until a selector reports all of `events` for `sock`, at most `timeoutMs` (`waitUntilReady` of
 * `selectors-ts/testing`).
 * @returns The mask the selector reported (it may hold more than `events`).
 * @throws TimeoutError when the time runs out; the message says what was awaited and the last mask seen.
 */
export function until(
  sock: FileLike,
  events: number,
  timeoutMs: number = WAIT_MS,
): Promise<number> {
  return waitUntilReady(sock, events, timeoutMs / 1000);
}

/**
 * Wait until `condition()` holds, checking once per turn of the event loop (each turn lets pending I/O
 * callbacks run), at most `timeoutMs`. For states that have no event of their own.
 * @throws Error naming `what` when the time runs out.
 */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs: number = WAIT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await nextTurn();
  }
}

/** `n` bytes of a pattern that repeats only every 251 bytes, so a lost, doubled or moved byte shows. */
export function pattern(n: number): Buffer {
  const data = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) data[i] = i % 251;
  return data;
}

/**
 * `promise`, or a rejection naming `what` once `timeoutMs` have passed: a bound on an await that has none of its
 * own (a blocking-mode call without a socket timeout).
 */
export async function within<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs: number = WAIT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`not within ${timeoutMs} ms: ${what}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Read exactly `n` bytes from a blocking socket, bounded; fails when the stream ends first. */
export function recvExactly(sock: socket.BlockingSocket, n: number): Promise<Buffer> {
  const read = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const chunk = await sock.recv(n - got);
      if (chunk.length === 0) expect.fail(`end of stream after ${got} of ${n} bytes`);
      chunks.push(chunk);
      got += chunk.length;
    }
    return Buffer.concat(chunks);
  };
  return within(read(), `receive ${n} bytes on fd ${sock.fileno()}`);
}

/** Everything a blocking socket receives until end of stream, bounded. */
export function recvToEnd(sock: socket.BlockingSocket): Promise<Buffer> {
  const read = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = await sock.recv(65536);
      if (chunk.length === 0) return Buffer.concat(chunks);
      chunks.push(chunk);
    }
  };
  return within(read(), `end of stream on fd ${sock.fileno()}`);
}
