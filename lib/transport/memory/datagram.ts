/**
 * A datagram endpoint on the memory network, driven by the kernel as any `WireDatagram` (see `../interface.ts`):
 * it binds at the network (at once), sends through the network's delivery path (`delivery.ts`), and reports
 * arrivals and errors to the kernel's sink at the network's steps.
 * @module
 */
import type { DatagramSink, Endpoint, WireDatagram } from "../interface.ts";
import type { MemoryWire } from "./network.ts";

/** A sink that drops everything: an endpoint's until the kernel attaches its own. */
const NO_SINK: DatagramSink = {
  datagram: () => undefined,
  error: () => undefined,
  written: () => undefined,
};

/** @internal A datagram endpoint on the memory network. */
export class MemoryDatagram implements WireDatagram {
  sink: DatagramSink = NO_SINK;
  /** The network's key for the bound address, once bound. */
  key: string | null = null;
  /** The bound address. */
  localEnd: Endpoint | null = null;
  /** The connected peer. */
  peer: Endpoint | null = null;
  /** socketpair(): the other end, which gets what this one sends. */
  pairedWith: MemoryDatagram | null = null;
  closed = false;
  /** Bytes sent and not yet taken by the network. */
  inFlight = 0;

  constructor(
    readonly network: MemoryWire,
    readonly kind: 4 | 6 | "unix",
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  attach(sink: DatagramSink): void {
    this.sink = sink;
  }

  bind(at: Endpoint): number {
    return this.network.bindDatagram(this, at);
  }

  connect(to: Endpoint | null): number {
    this.peer = to;
    return 0;
  }

  send(data: Uint8Array, to: Endpoint | null): void {
    const target = to ?? this.peer;
    if (target === null && this.pairedWith === null) return;
    this.inFlight += data.length;
    this.network.sendDatagram(
      this,
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      target,
    );
  }

  setBroadcast(_on: boolean): void {
    // Nothing here listens to broadcasts: the kernel checks the option.
  }

  keepAlive(_on: boolean): void {
    // The network's steps are timers of their own.
  }

  local(): Endpoint | null {
    return this.localEnd;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.network.unbindDatagram(this);
  }
}
