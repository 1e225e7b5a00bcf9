/**
 * Bounded waits for tests that use sockets: wait for readiness as a selector reports it, never for a fixed time.
 * @module
 */
import { TimeoutError } from "../python/errors.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE, type FileLike } from "../python/selectors.ts";

/**
 * Wait until a `DefaultSelector` reports all of `events` (`EVENT_READ`, `EVENT_WRITE`, or both) for `fileobj`, a
 * real or an in-memory socket in either mode, at most `timeout` seconds. The selector is closed before this
 * returns.
 * @returns the mask the selector reported (it may hold more than `events`).
 * @throws TimeoutError naming the fd, the events and the last mask seen, when the time runs out.
 */
export async function waitUntilReady(
  fileobj: FileLike,
  events: number,
  timeout = 5,
): Promise<number> {
  using sel = new DefaultSelector<null, number>();
  // By fd: a selector takes a socket object only in non-blocking mode, and waiting must not change the mode.
  sel.register(fileobj.fileno(), EVENT_READ | EVENT_WRITE);
  const deadline = performance.now() + timeout * 1000;
  let last = 0;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new TimeoutError(
        `fd ${fileobj.fileno()} not ready for events ${events} within ${timeout} s (last mask ${last})`,
      );
    }
    const ready = await sel.select(left / 1000);
    last = ready[0]?.[1] ?? 0;
    if ((last & events) === events) return last;
  }
}
