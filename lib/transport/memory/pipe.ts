/**
 * One direction of an in-memory connection: the bytes one end sent that the other has not yet received, in the
 * order sent, each write kept whole until delivered. A test holds it, releases it, or limits its deliveries
 * (`MemoryNetwork.outgoing(sock)`).
 * @module
 */
import type { MemoryWire } from "./network.ts";
import type { MemoryStream } from "./stream.ts";

/** A write on its way: the bytes, and how many of them were delivered. */
export interface Write {
  readonly chunk: Buffer;
  offset: number;
}

/**
 * One direction of a connection: the bytes one socket sent that its peer has not yet received. The test holds it,
 * releases it, or limits its deliveries.
 */
export class MemoryPipe {
  /** Most bytes one delivery hands over; `null`: the network's `chunkSize`. */
  chunkSize: number | null = null;
  /** @internal */
  readonly writes: Write[] = [];
  /** @internal Bytes in flight. */
  bytes = 0;
  /** @internal The writer shut down writing: end of stream follows the bytes. */
  ending = false;
  /** @internal End of stream was delivered. */
  ended = false;
  /** @internal The writer closed with a reset: it follows the bytes in flight. */
  resetting = false;
  private held = false;

  /** @internal The sending end, once there. */
  from: MemoryStream | null = null;
  /** @internal The receiving end, once there. */
  to: MemoryStream | null = null;

  /** @internal */
  constructor(private readonly network: MemoryWire) {}

  /** Bytes sent and not yet delivered. */
  get inFlight(): number {
    return this.bytes;
  }

  /** Is delivery held? */
  get isHeld(): boolean {
    return this.held;
  }

  /** Keep what is sent in flight (a peer that stops reading): the sender's send buffer fills. */
  hold(): void {
    this.held = true;
    if (this.to?.tcp) this.network.tcp.windowChanged(this.to.tcp);
  }

  /** Deliver again what was held, and what follows. */
  release(): void {
    this.held = false;
    if (this.to?.tcp) this.network.tcp.windowChanged(this.to.tcp);
    this.network.activate(this);
  }

  /** @internal Is there something this direction can deliver now? */
  deliverable(): boolean {
    const to = this.to;
    return (
      to !== null &&
      !this.held &&
      (!to.paused || to.destroyed) &&
      (this.bytes > 0 || (this.ending && !this.ended) || this.resetting)
    );
  }

  /** @internal Drop what is in flight (a reset or a destroy); the writer is told, once per write. */
  drop(): void {
    const writes = this.writes.splice(0);
    this.bytes = 0;
    const from = this.from;
    if (from === null) return;
    for (const _write of writes) {
      this.network.later(() => {
        from.wrote();
      });
    }
  }
}
