/**
 * A stream socket's receive buffer: the chunks received and not yet read, consumed from the front without
 * re-concatenating (as ws's `consume(n)` does). A read that one chunk can serve gets a view of it (the chunk
 * itself when it takes all of it); a read that spans chunks gets one copy.
 * @module
 */

const EMPTY: Buffer = Buffer.alloc(0);
/** The `chunks` of every queue that has received nothing yet (never pushed to: see {@link ReceiveQueue.push}). */
const NO_CHUNKS: Buffer[] = [];

/** Received bytes, not yet read. */
export class ReceiveQueue {
  /**
   * The chunks, with `head` bytes of the first already taken. Made by the first push, as `[chunk]`: an empty
   * array's first push gives it room for 17, more than most connections ever hold.
   */
  private chunks: Buffer[] = NO_CHUNKS;
  private head = 0;
  /** Bytes held. */
  bytes = 0;

  /** Keep `chunk` (the queue owns it from now on). */
  push(chunk: Buffer): void {
    if (this.chunks === NO_CHUNKS) this.chunks = [chunk];
    else this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Take `n` bytes (n ≤ {@link bytes}): the chunk or a view when one chunk holds them, else a copy. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return EMPTY;
    let out: Buffer;
    if (this.head === 0 && first.length === n) {
      // The whole chunk: handed out as it is (nothing else holds it), without a view of it.
      out = first;
      this.chunks.shift();
    } else if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0];
        if (chunk === undefined) break;
        const count = Math.min(chunk.length - this.head, n - filled);
        chunk.copy(out, filled, this.head, this.head + count);
        filled += count;
        this.head += count;
        if (this.head === chunk.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.bytes -= n;
    return out;
  }

  /** Copy of the first `n` bytes (n ≤ {@link bytes}), left in the queue (`MSG_PEEK`). */
  peek(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.head;
    for (const chunk of this.chunks) {
      if (filled === n) break;
      const count = Math.min(chunk.length - offset, n - filled);
      chunk.copy(out, filled, offset, offset + count);
      filled += count;
      offset = 0;
    }
    return out;
  }

  /** Drop everything held. */
  clear(): void {
    // Usually empty already (a socket closed with nothing unread): the length setter is a runtime call.
    if (this.chunks.length !== 0) this.chunks.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
