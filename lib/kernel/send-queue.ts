/**
 * A stream socket's gathered output: what `send()` accepted and the kernel has not yet handed to its wire, kept in
 * one buffer so that several sends go out in one write (the part of Nagle's algorithm the kernel model plays; see
 * `stream-socket.ts`). A lone send gets an exact copy; a second one before the flush moves the queue to a buffer
 * with room for more, which later sends fill.
 * @module
 */

const EMPTY: Buffer = Buffer.alloc(0);

/** Most output gathered from several sends before it is handed to the wire in one write. */
export const GATHER_LIMIT = 64 * 1024;

/** Output accepted by `send()`, not yet written. */
export class SendQueue {
  /** The first {@link bytes} bytes are the output. */
  private queued: Buffer = EMPTY;
  /** Bytes held. */
  bytes = 0;

  /** Copy `data` in (the caller may reuse its buffer, as after a kernel's `send()`). */
  add(data: Uint8Array): void {
    const used = this.bytes;
    const needed = used + data.length;
    let queued = this.queued;
    if (used === 0) {
      queued = this.queued = Buffer.allocUnsafe(data.length);
    } else if (queued.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(GATHER_LIMIT, 8 * needed)));
      queued.copy(grown, 0, 0, used);
      queued = this.queued = grown;
    }
    queued.set(data, used);
    this.bytes = needed;
  }

  /** Take everything held, as one chunk, and start empty. */
  takeAll(): Buffer {
    const count = this.bytes;
    const queued = this.queued;
    const chunk = count === queued.length ? queued : queued.subarray(0, count);
    this.queued = EMPTY;
    this.bytes = 0;
    return chunk;
  }

  /** Drop everything held. */
  clear(): void {
    this.queued = EMPTY;
    this.bytes = 0;
  }
}
