/**
 * The memory network's delivery rules for datagrams, as small stackable layers between the sockets and the wire
 * (after smoltcp's `FaultInjector`): each layer takes the datagrams the one before it passes on, and passes on
 * some of them, now or at a later step. Every random choice comes from a seeded generator, so a run repeats
 * exactly for a seed.
 *
 * - {@link Loss}`(p)`: drops each datagram with probability p.
 * - {@link Duplicate}`(p)`: passes each on, and with probability p a copy after it.
 * - {@link Reorder}`(window)`: holds up to `window` datagrams and passes them on in a shuffled order (all of them
 *   at a step where none came in).
 * - {@link Delay}`(steps)`: passes each on `steps` steps after it came in.
 *
 * A layer is told of each datagram ({@link DeliveryLayer.push}) and of each step ({@link DeliveryLayer.tick},
 * before the step's new datagrams); what it passes on goes to `out`.
 * @module
 */
import type { Endpoint } from "../interface.ts";
import type { MemoryDatagram } from "./datagram.ts";

/** A datagram on its way. */
export interface Packet {
  readonly data: Buffer;
  readonly from: Endpoint;
  readonly to: Endpoint;
  /** Who sent it: told when it has left, and if it comes back as an error. */
  readonly sender: MemoryDatagram;
}

/** One layer of the datagram path. */
export interface DeliveryLayer {
  /** A datagram came in: pass it on (`out`), hold it, or drop it. */
  push(packet: Packet, out: (packet: Packet) => void): void;
  /** A step begins: pass on what is due. */
  tick(out: (packet: Packet) => void): void;
  /** Datagrams held. */
  readonly held: number;
}

/** A seeded xorshift32 generator: numbers in [0, 1), the same sequence for the same seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    // xorshift has no zero state; mix the seed so that nearby seeds start far apart.
    this.state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1;
  }

  /** The next number in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }
}

/** Drops each datagram with probability `p`. */
export class Loss implements DeliveryLayer {
  readonly held = 0;

  constructor(
    private readonly p: number,
    private readonly random: Random,
  ) {}

  push(packet: Packet, out: (packet: Packet) => void): void {
    if (this.random.next() >= this.p) out(packet);
  }

  tick(): void {
    // nothing held
  }
}

/** Passes each datagram on, and with probability `p` a copy right after it. */
export class Duplicate implements DeliveryLayer {
  readonly held = 0;

  constructor(
    private readonly p: number,
    private readonly random: Random,
  ) {}

  push(packet: Packet, out: (packet: Packet) => void): void {
    out(packet);
    if (this.random.next() < this.p) out({ ...packet, data: Buffer.from(packet.data) });
  }

  tick(): void {
    // nothing held
  }
}

/** Holds up to `window` datagrams and passes them on shuffled. */
export class Reorder implements DeliveryLayer {
  private readonly waiting: Packet[] = [];
  private pushed = false;

  constructor(
    private readonly window: number,
    private readonly random: Random,
  ) {}

  get held(): number {
    return this.waiting.length;
  }

  push(packet: Packet, out: (packet: Packet) => void): void {
    this.pushed = true;
    this.waiting.push(packet);
    if (this.waiting.length >= this.window) this.release(1, out);
  }

  tick(out: (packet: Packet) => void): void {
    // A step with nothing new passes on all that is held: nothing waits for ever.
    if (!this.pushed) this.release(this.waiting.length, out);
    this.pushed = false;
  }

  private release(count: number, out: (packet: Packet) => void): void {
    for (let i = 0; i < count && this.waiting.length > 0; i++) {
      const index = Math.floor(this.random.next() * this.waiting.length);
      const [packet] = this.waiting.splice(index, 1);
      if (packet !== undefined) out(packet);
    }
  }
}

/** Passes each datagram on `steps` steps after it came in. */
export class Delay implements DeliveryLayer {
  private readonly waiting: { packet: Packet; due: number }[] = [];
  private now = 0;

  constructor(private readonly steps: number) {}

  get held(): number {
    return this.waiting.length;
  }

  push(packet: Packet, out: (packet: Packet) => void): void {
    if (this.steps <= 0) out(packet);
    else this.waiting.push({ packet, due: this.now + this.steps });
  }

  tick(out: (packet: Packet) => void): void {
    this.now++;
    while (this.waiting.length > 0 && (this.waiting[0]?.due ?? Infinity) <= this.now) {
      const first = this.waiting.shift();
      if (first !== undefined) out(first.packet);
    }
  }
}

/** The layers in order, and the datagrams each passes on at a step. */
export class DeliveryPath {
  private readonly layers: DeliveryLayer[] = [];

  /** Add `layer` after the others. */
  use(layer: DeliveryLayer): void {
    this.layers.push(layer);
  }

  /** Remove every layer: datagrams go straight through again. */
  clear(): void {
    this.layers.length = 0;
  }

  /** Datagrams held by the layers. */
  get held(): number {
    let held = 0;
    for (const layer of this.layers) held += layer.held;
    return held;
  }

  /**
   * One step: each layer passes on what is due, then the step's new datagrams go through.
   * @returns the datagrams that reach the end of the path at this step, in order.
   */
  step(sent: readonly Packet[]): Packet[] {
    const arrived: Packet[] = [];
    const layers = this.layers;
    const into = (index: number): ((packet: Packet) => void) =>
      index === layers.length
        ? (packet) => arrived.push(packet)
        : (packet) => {
            layers[index]?.push(packet, into(index + 1));
          };
    layers.forEach((layer, index) => {
      layer.tick(into(index + 1));
    });
    const first = into(0);
    for (const packet of sent) first(packet);
    return arrived;
  }
}
