/**
 * `recv()`'s flags and `recv_into()` / `recvfrom_into()` on a stream socket, as Linux and Python 3.11 have them
 * (measured with python3):
 *
 * - `MSG_PEEK`: the data is returned and stays in the receive buffer (the next `recv` gets it again).
 * - `MSG_DONTWAIT`: this call does not wait, whatever the socket's mode: `BlockingIOError` 11 when nothing is
 *   there.
 * - `MSG_WAITALL`: a blocking socket without a timeout waits for all `bufsize` bytes (fewer only at the end of the
 *   stream or on an error); with a timeout, or non-blocking, it returns what is there, as Python's does (it calls
 *   recv on a non-blocking descriptor then).
 * - `MSG_OOB`: `OSError(22, 'Invalid argument')` (no urgent data is emulated). Other bits are ignored, as Linux
 *   ignores them.
 * - `recv_into(buffer, nbytes=0, flags=0)` receives into `buffer` (all of it when `nbytes` is 0) and returns the
 *   count: `ValueError('negative buffersize in recv_into')`, `ValueError('buffer too small for requested
 *   bytes')`. `recvfrom_into` returns `[count, null]`: a connected stream socket has no sender address to give.
 * @module
 */
import { blockingCall } from "./blocking.ts";
import { ValueError, errno, fromErrno } from "./errors.ts";
import { int } from "./int-enum.ts";
import { explained, recvNow } from "./socket-calls.ts";
import { READABLE } from "../kernel/fd.ts";
import type { KernelSocket } from "../kernel/socket.ts";

const MSG_OOB = 1;
const MSG_PEEK = 2;
const MSG_DONTWAIT = 64;
const MSG_WAITALL = 256;

/** The kernel's recv with MSG_PEEK, raising Python's error for its errno. */
function peekNow(core: KernelSocket, bufsize: number): Buffer {
  const got = core.peek(bufsize);
  if (typeof got !== "number") return got;
  throw explained(got);
}

/**
 * The bytes `recv(bufsize, flags)` returns right now (a non-blocking socket, or MSG_DONTWAIT).
 * @throws ValueError for a negative size; OSError 22 for MSG_OOB; as `recv()` otherwise.
 */
export function recvNowWithFlags(core: KernelSocket, bufsize: number, flags: number): Buffer {
  const f = int(flags);
  if (bufsize < 0) throw new ValueError("negative buffersize in recv");
  if ((f & MSG_OOB) !== 0) throw fromErrno(errno.EINVAL);
  return (f & MSG_PEEK) !== 0 ? peekNow(core, bufsize) : recvNow(core, bufsize);
}

/** A blocking socket's `recv(bufsize, flags)`: waits as the flags say (see the module's rules). */
export async function recvWithFlags(
  core: KernelSocket,
  bufsize: number,
  flags: number,
): Promise<Buffer> {
  const f = int(flags);
  if ((f & MSG_DONTWAIT) !== 0) return recvNowWithFlags(core, bufsize, f);
  const first = await blockingCall(core, READABLE, () => recvNowWithFlags(core, bufsize, f));
  if ((f & MSG_WAITALL) === 0 || (f & MSG_PEEK) !== 0 || core.timeout !== null) return first;
  const parts = [first];
  let total = first.length;
  while (total < bufsize && parts.at(-1)?.length !== 0) {
    const more = await blockingCall(core, READABLE, () => recvNow(core, bufsize - total));
    parts.push(more);
    total += more.length;
  }
  return Buffer.concat(parts, total);
}

/**
 * The count `recv_into` should receive: `nbytes`, or the buffer's length for 0.
 * @throws ValueError for a negative count or one the buffer cannot hold; TypeError for no buffer.
 */
export function intoCount(buffer: Uint8Array, nbytes: number, fn: string): number {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(
      `${fn}() argument 1 must be read-write bytes-like object, not ${typeof buffer}`,
    );
  }
  if (nbytes < 0) throw new ValueError(`negative buffersize in ${fn}`);
  if (nbytes > buffer.length) throw new ValueError("buffer too small for requested bytes");
  return nbytes === 0 ? buffer.length : nbytes;
}

/** Copy what was received into the caller's buffer; returns the count. */
export function copyInto(buffer: Uint8Array, data: Buffer): number {
  buffer.set(data, 0);
  return data.length;
}
