/**
 * One end of an in-memory connection, driven by the kernel as any `WireStream` (see `../interface.ts`): it sends
 * on one {@link MemoryPipe} and receives on the other, and reports to the kernel's sink in the kernel's terms
 * (errors as errno numbers). Events are reported at the network's next step, never from inside the call.
 * @module
 */
import { constants } from "node:os";

import type { HostPort, StreamSink, WireStream } from "../interface.ts";
import type { MemoryWire } from "./network.ts";
import type { MemoryPipe } from "./pipe.ts";
import type { TcpEndpoint } from "./tcp-state.ts";

const { EPIPE } = constants.errno;

/** A sink that drops everything: a stream's until the kernel attaches its own. */
const NO_SINK: StreamSink = {
  connected: () => undefined,
  data: () => undefined,
  end: () => undefined,
  error: () => undefined,
  closed: () => undefined,
  written: () => undefined,
};

/** @internal One end of an in-memory connection. */
export class MemoryStream implements WireStream {
  /** The direction this end sends on. */
  readonly out: MemoryPipe;
  /** The direction this end receives on. */
  readonly in: MemoryPipe;
  /** Where this end's events go. */
  sink: StreamSink = NO_SINK;
  paused = false;
  destroyed = false;
  private destroyWhenEnded = false;
  /** This end's host and port (an IP connection). */
  localEnd: HostPort | null = null;
  /** The peer's host and port, once connected (an IP connection). */
  remoteEnd: HostPort | null = null;
  /** The port this end took from the network's ephemeral ones (a connecting end), given back when it is gone. */
  ephemeralPort: number | null = null;
  /** This end's TCP state and sequence numbers (see `tcp-state.ts`); `null` when it failed before connecting. */
  tcp: TcpEndpoint | null = null;

  constructor(
    readonly network: MemoryWire,
    outgoing: MemoryPipe,
    incoming: MemoryPipe,
  ) {
    this.out = outgoing;
    this.in = incoming;
    outgoing.from = this;
    incoming.to = this;
  }

  get pending(): number {
    return this.out.bytes;
  }

  attach(sink: StreamSink): void {
    this.sink = sink;
    this.network.attached(sink, this);
  }

  write(chunk: Uint8Array): void {
    if (this.destroyed || this.out.ending) {
      this.network.later(() => {
        this.sink.written();
      });
      return;
    }
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.out.writes.push({ chunk: buffer, offset: 0 });
    this.out.bytes += buffer.length;
    this.network.activate(this.out);
  }

  /** One of this end's writes was delivered or dropped. */
  wrote(): void {
    this.sink.written();
  }

  end(): void {
    if (!this.out.ending) {
      if (this.tcp) this.network.tcp.closing(this.tcp);
      this.out.ending = true;
      this.network.activate(this.out);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (this.paused && this.tcp) this.network.tcp.windowChanged(this.tcp);
    this.paused = false;
    this.network.activate(this.in);
  }

  keepAlive(_on: boolean): void {
    // Nothing in the process to keep alive: the network's steps are timers of their own.
  }

  setNoDelay(_noDelay: boolean): void {
    // Deliveries are the network's steps: there is no Nagle to turn off.
  }

  setKeepAlive(_enable: boolean): void {
    // No idle connection is ever probed here.
  }

  /** Close now: what was not delivered is dropped; the peer then sees end of stream. */
  destroy(): void {
    if (this.destroyed) return;
    this.markDestroyed();
    this.out.drop();
    if (!this.out.ending) {
      if (this.tcp) this.network.tcp.closing(this.tcp);
      this.out.ending = true;
      this.network.activate(this.out);
    }
    this.network.later(() => {
      this.sink.closed();
    });
  }

  close(): void {
    if (this.destroyed) return;
    this.end();
    if (this.out.ended || this.out.to === null) this.destroy();
    else this.destroyWhenEnded = true;
  }

  /**
   * Close now and reset the peer: it sees ECONNRESET once it has received what was already sent (bytes sent
   * before the reset were on their way).
   */
  reset(): void {
    if (this.destroyed) return;
    this.markDestroyed();
    if (this.tcp) this.network.tcp.aborted(this.tcp);
    this.out.ended = true;
    this.out.resetting = true;
    this.network.activate(this.out);
    this.network.later(() => {
      this.sink.closed();
    });
  }

  local(): HostPort | null {
    return this.localEnd;
  }

  remote(): HostPort | null {
    return this.remoteEnd;
  }

  /** The connection failed: the kernel hears `errno`, then that it is gone. */
  fail(errno: number): void {
    if (this.destroyed) return;
    this.markDestroyed();
    if (this.tcp) this.network.tcp.failed(this.tcp);
    this.out.drop();
    this.in.drop();
    this.out.ended = true;
    this.network.later(() => {
      this.sink.error(errno);
      this.sink.closed();
    });
  }

  /** Bytes reached a closed peer: its kernel answers with a reset, and this end's next write fails. */
  brokenPipe(): void {
    this.fail(EPIPE);
  }

  /** Gone: give the port back. */
  private markDestroyed(): void {
    this.destroyed = true;
    if (this.tcp) this.network.tcp.released(this.tcp);
    if (this.ephemeralPort !== null) this.network.releasePort(this.ephemeralPort);
    this.ephemeralPort = null;
  }

  /** End of stream was delivered on what this end sent. */
  sentEnd(): void {
    if (this.destroyWhenEnded) this.destroy();
  }
}
