/**
 * How a blocking call waits, in Python's terms: until the socket is ready for it, with the socket's timeout
 * (`TimeoutError('timed out')` when it passes), and with Ctrl-C raising `KeyboardInterrupt` out of the wait. A
 * blocking call is the non-blocking call tried again each time the socket becomes ready, as CPython's
 * `sock_call()` does.
 *
 * Rules:
 * - With timeout 0 nothing waits: the call's own `BlockingIOError` is raised.
 * - A timeout bounds the whole call, not each wait: a call woken for nothing (ready, then the operation would
 *   still block) waits only what is left, and `sendall()` gets one deadline for all its sends, as CPython's
 *   `sock_call_ex()` and `sock_sendall()` measure it (Python 3.5 on: "the socket timeout is now the maximum total
 *   duration to send all data").
 * - A closed socket ends the wait (the call then raises `[Errno 9]` itself).
 * - A wait with no timeout keeps the process alive, as a blocking call does; one with a timeout longer than Node's
 *   longest timer is armed in parts.
 * @module
 */
import { OSError, TimeoutError, errno, raisedHere, type KeyboardInterrupt } from "./errors.ts";
import type { Watcher } from "../kernel/fd.ts";
import type { KernelSocket } from "../kernel/socket.ts";
import { startWaiting, stopWaiting, type Interruptible } from "./keyboard-interrupt.ts";

/** Node's longest timer; a waiting call with no timeout re-arms it to stay alive, as a blocking call does. */
const FOREVER_MS = 0x7fffffff;

/**
 * Wait until `bits` are ready on `sock` (or it closes, or its timeout passes). With timeout 0 it does not wait.
 * @throws TimeoutError when the timeout passes; KeyboardInterrupt on Ctrl-C.
 */
export function waitFor(sock: KernelSocket, bits: number): Promise<void> {
  if (sock.timeout === 0) return Promise.resolve();
  return waitUntil(sock, bits, deadlineOf(sock));
}

/**
 * When a call on `sock` that starts now must end, by its timeout: a `performance.now()` time in ms, or `null` (no
 * timeout). Not for timeout 0, where nothing waits.
 */
export function deadlineOf(sock: KernelSocket): number | null {
  return sock.timeout === null ? null : performance.now() + sock.timeout * 1000;
}

/**
 * Wait until `bits` are ready on `sock` (or it closes), or until `deadline` (ms, `performance.now()`; `null`:
 * none).
 * @throws TimeoutError at the deadline (at once when it has passed); KeyboardInterrupt on Ctrl-C.
 */
function waitUntil(sock: KernelSocket, bits: number, deadline: number | null): Promise<void> {
  if (sock.isClosed() || (sock.readiness() & bits) !== 0) return Promise.resolve();
  const left = deadline === null ? null : Math.ceil(deadline - performance.now());
  if (left !== null && left <= 0) return Promise.reject(new TimeoutError("timed out"));
  return new Promise<void>((resolve, reject) => {
    new Waiter(sock, bits, left, resolve, reject).start();
  });
}

/**
 * A blocking-mode call: try `op` at once and, while it would block (BlockingIOError 11), wait until `bits` are
 * ready and try again. So what fails whatever the readiness fails at once, as in Python: `accept()` on a socket
 * that is not listening (OSError 22), `recv()` on a listening one (107). With timeout 0 the BlockingIOError is
 * raised instead of waiting.
 * @param deadline - When the call must end ({@link deadlineOf}): by default the socket's timeout from now; a call
 *   that is one step of a longer one (a `sendall()`) passes that one's.
 */
export async function blockingCall<T>(
  sock: KernelSocket,
  bits: number,
  op: () => T,
  deadline?: number | null,
): Promise<T> {
  // The call's own deadline is read when it first has to wait, not on every call that does not (the usual case):
  // the try before it is synchronous, so it still counts from the call.
  let until = deadline;
  for (;;) {
    try {
      return op();
    } catch (e) {
      if (!(e instanceof OSError) || e.errno !== errno.EAGAIN || sock.timeout === 0) throw e;
    }
    try {
      until ??= deadlineOf(sock);
      await waitUntil(sock, bits, until);
    } catch (e) {
      throw raisedHere(e);
    }
  }
}

/** One blocking call waiting for a socket: a watcher, a timer, and a SIGINT hook. */
class Waiter implements Watcher, Interruptible {
  private timer: NodeJS.Timeout | null = null;
  /** Milliseconds of the timeout not yet armed. */
  private left = 0;

  /** @param timeoutMs - How long it may wait, in whole ms; `null`: as long as it takes. */
  constructor(
    private readonly sock: KernelSocket,
    private readonly bits: number,
    private readonly timeoutMs: number | null,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    this.sock.watch(this);
    startWaiting(this);
    if (this.timeoutMs === null) this.timer = setInterval(noop, FOREVER_MS);
    else {
      this.left = this.timeoutMs;
      this.arm();
    }
  }

  /** Wait what is left of the timeout, at most Node's longest timer at a time (a longer one fires at once). */
  private arm(): void {
    const ms = Math.min(this.left, FOREVER_MS);
    this.left -= ms;
    this.timer = setTimeout(this.onTimeout, ms);
  }

  readinessChanged(): void {
    if (this.sock.isClosed() || (this.sock.readiness() & this.bits) !== 0) {
      this.finish();
      this.resolve();
    }
  }

  interrupt(error: KeyboardInterrupt): void {
    this.finish();
    this.reject(error);
  }

  private readonly onTimeout = (): void => {
    if (this.left > 0) {
      this.arm();
      return;
    }
    this.finish();
    this.reject(new TimeoutError("timed out"));
  };

  private finish(): void {
    this.sock.unwatch(this);
    stopWaiting(this);
    if (this.timer) clearTimeout(this.timer);
  }
}

function noop(): void {
  // keeps the event loop alive while a blocking call waits
}
