/**
 * A vocabulary for selector tests, in the manner of mio's `tests/util`: loopback sockets on port 0, and
 * assertions about what `select()` reports (`expectEvents(sel, [[sock, EVENT_READ]])`).
 *
 * Rules:
 * - Loopback only (`127.0.0.1`), port 0, the port read back from `getsockname()`.
 * - Every socket and selector made or passed through {@link closeAfterTest} is closed when the current vitest
 *   test finishes, pass or fail; so these helpers must be called inside a test.
 * - Nothing sleeps and nothing measures time. A wait is a loop of `select()` calls, each with a bounded timeout,
 *   bounded by a number of calls; when the bound is reached the error says what was expected and what was seen.
 * - Every `select()` result that passes through here is also checked to hold each key at most once.
 *
 * @example
 * ```ts
 * const [a, b] = await socketPair();
 * const sel = closeAfterTest(new DefaultSelector());
 * sel.register(b, EVENT_READ | EVENT_WRITE);
 * a.send(Buffer.from("hi"));
 * await expectEvents(sel, [[b, EVENT_READ | EVENT_WRITE]]);
 * ```
 * @module
 */
import { expect, onTestFinished } from "vitest";

import { type BaseSelector, type FileObj, type ReadyList } from "../../lib/python/selectors.ts";
import { repr } from "../../lib/python/repr.ts";
import * as socket from "../../lib/python/socket.ts";

/** The loopback address every test uses. */
export const HOST = "127.0.0.1";

/** Seconds each `select()` of a bounded wait may wait: long enough for loopback, short enough to re-check. */
const SELECT_TIMEOUT = 0.2;
/** How many `select()` calls a bounded wait makes before failing (at most ~10 s when nothing happens). */
const MAX_CALLS = 50;

/**
 * Close `closable` when the current test finishes, pass or fail.
 * @returns `closable`, for chaining.
 */
export function closeAfterTest<T extends { close(): void }>(closable: T): T {
  onTestFinished(() => {
    closable.close();
  });
  return closable;
}

/**
 * A non-blocking socket listening on `127.0.0.1`, port 0; closed when the test finishes.
 * @param backlog - The listen backlog.
 * @returns The socket and the address the kernel gave it.
 */
export async function listeningSocket(
  backlog = 8,
): Promise<{ listener: socket.NonBlockingSocket; address: socket.Address }> {
  const sock = closeAfterTest(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
  sock.bind([HOST, 0]);
  await sock.listen(backlog);
  return { listener: sock.setblocking(false), address: sock.getsockname() };
}

/**
 * Two connected non-blocking TCP sockets over loopback, `[client, server]` (Node has no socketpair for TCP: a
 * listener on port 0 accepts the client's connection and is closed). Both are closed when the test finishes.
 * @throws TimeoutError when the connection takes more than 5 s.
 */
export async function socketPair(): Promise<[socket.NonBlockingSocket, socket.NonBlockingSocket]> {
  const listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  try {
    listener.bind([HOST, 0]);
    await listener.listen(1);
    listener.settimeout(5);
    const client = closeAfterTest(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
    client.settimeout(5);
    const [[server]] = await Promise.all([
      listener.accept(),
      client.connect(listener.getsockname()),
    ]);
    closeAfterTest(server);
    return [client.setblocking(false), server.setblocking(false)];
  } finally {
    listener.close();
  }
}

/** A `select()` result as `[fd, mask]` pairs in fd order: easy to compare and to print. */
export function fdMasks<F extends FileObj, D>(ready: ReadyList<F, D>): [number, number][] {
  return ready.map(([key, mask]): [number, number] => [key.fd, mask]).sort((x, y) => x[0] - y[0]);
}

/** Fail unless each key appears at most once in `ready`. */
export function expectUniqueKeys<F extends FileObj, D>(ready: ReadyList<F, D>): void {
  const keys = ready.map(([key]) => key);
  expect(new Set(keys).size, `a key appears twice in ${repr(ready)}`).toBe(keys.length);
}

/** Options of the bounded waits. */
export interface WaitOptions {
  /** Seconds each `select()` may wait (`null`: until something is ready); 0.2 unless told. */
  timeout?: number | null;
  /** How many `select()` calls before failing; 50 unless told. */
  maxCalls?: number;
}

/**
 * Call `sel.select(timeout)` until `done` accepts a result, at most `maxCalls` times.
 * @returns The accepted result and how many calls it took (1 when the first call was accepted).
 * @throws Error when no result was accepted; the message says what `description` waited for and the last result.
 */
export async function selectUntil<F extends FileObj, D>(
  sel: BaseSelector<F, D>,
  description: string,
  done: (ready: ReadyList<F, D>) => boolean,
  { timeout = SELECT_TIMEOUT, maxCalls = MAX_CALLS }: WaitOptions = {},
): Promise<{ ready: ReadyList<F, D>; calls: number }> {
  let last: ReadyList<F, D> = [];
  for (let calls = 1; calls <= maxCalls; calls++) {
    last = await sel.select(timeout);
    expectUniqueKeys(last);
    if (done(last)) return { ready: last, calls };
  }
  throw new Error(
    `${description}: not seen in ${maxCalls} select(${timeout}) calls; last result ${repr(last)}`,
  );
}

/**
 * Wait (bounded, see {@link selectUntil}) for one `select()` result in which every `[fileobj, mask]` of
 * `expected` appears with exactly that mask. Other keys may appear too.
 * @returns That result.
 */
export async function expectEvents<F extends FileObj, D>(
  sel: BaseSelector<F, D>,
  expected: readonly (readonly [fileobj: F, mask: number])[],
  options: WaitOptions = {},
): Promise<ReadyList<F, D>> {
  const description = `events ${expected.map(([f, mask]) => `(${repr(f)}, ${mask})`).join(", ")}`;
  const { ready } = await selectUntil(
    sel,
    description,
    (result) =>
      expected.every(([fileobj, mask]) =>
        result.some(([key, got]) => key.fileobj === fileobj && got === mask),
      ),
    options,
  );
  return ready;
}

/** The mask `ready` reports for `fileobj`, or `undefined` when it is not there. */
export function maskOf<F extends FileObj, D>(
  ready: ReadyList<F, D>,
  fileobj: F,
): number | undefined {
  return ready.find(([key]) => key.fileobj === fileobj)?.[1];
}
