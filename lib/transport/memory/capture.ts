/**
 * A capture of the memory network: every segment it moves, written as a pcap file that `tshark` and Wireshark
 * open (see `pcap.ts` for the format, `tcp-state.ts` for the segments).
 *
 * The rules:
 * - What is captured: TCP segments between IP addresses: the handshake (SYN, SYN-ACK, ACK), each delivery as one
 *   data segment (so a `chunkSize` shows as segment sizes; a delivery bigger than loopback's MSS is split), the
 *   receiver's ACK after it with its window (zero while its reader stops or the direction is held, and a window
 *   update when that ends), FIN and its ACK, RST for a reset and for a refused connect. Unix sockets carry no IP:
 *   they are not captured.
 * - Timestamps come from the network's clock: with `{ auto: false }` a run gives the same file every time.
 * - Records are kept in memory and written at the end of the current turn (a microtask), when 1 MiB is waiting,
 *   and at {@link Capture.close}. Close the capture before reading the file.
 * - Datagrams (UDP) go in through {@link Capture.datagram}: the memory network's datagram sockets call
 *   `network.datagramDelivered(src, dst, payload)` for each datagram they deliver, which hands it on.
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import * as net from "node:net";

import { addressBytes, pcapFileHeader, pcapRecordHeader, tcpPacket, udpPacket } from "./pcap.ts";
import { SYN, WINDOW_SHIFT, type EndAddress, type Segment, type SegmentTap } from "./tcp-state.ts";

/** Flush once this much is waiting. */
const FLUSH_BYTES = 1 << 20;

/** A pcap file being written (see the module rules). */
export class Capture implements SegmentTap, Disposable {
  /** Packets captured so far. */
  packets = 0;
  private fd: number | null;
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private flushQueued = false;
  private readonly addresses = new Map<string, Buffer>();
  private readonly flushSoon = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /**
   * Start a pcap file at `path` (replacing one that is there).
   * @param onClose - called by {@link close} (the network stops handing segments to this capture).
   * @throws Error (Node's `ENOENT`, `EACCES`, ...) when the file cannot be made.
   */
  constructor(
    /** The pcap file. */
    readonly path: string,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.fd = openSync(path, "w");
    writeSync(this.fd, pcapFileHeader());
  }

  /** A TCP segment, at `time` seconds on the network's clock. */
  segment(segment: Segment, time: number): void {
    const packet = tcpPacket(
      this.address(segment.src.host),
      this.address(segment.dst.host),
      {
        srcPort: segment.src.port,
        dstPort: segment.dst.port,
        seq: segment.seq,
        ack: segment.ack,
        flags: segment.flags,
        window: segment.window,
        windowShift: segment.flags & SYN ? WINDOW_SHIFT : null,
      },
      segment.payload,
      this.packets,
    );
    this.record(packet, time);
  }

  /** A UDP datagram from `src` to `dst`, at `time` seconds on the network's clock (the hook for a UDP wire). */
  datagram(src: EndAddress, dst: EndAddress, payload: Uint8Array, time: number): void {
    const packet = udpPacket(
      this.address(src.host),
      this.address(dst.host),
      src.port,
      dst.port,
      payload,
      this.packets,
    );
    this.record(packet, time);
  }

  /** Write what is waiting. */
  flush(): void {
    if (this.fd === null || this.waiting.length === 0) return;
    writeSync(this.fd, Buffer.concat(this.waiting, this.waitingBytes));
    this.waiting = [];
    this.waitingBytes = 0;
  }

  /** Write what is waiting, close the file, stop capturing. Does nothing the second time. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
    this.onClose();
  }

  /** `using capture = network.capture(path)`: closed at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  private record(packet: Buffer, time: number): void {
    if (this.fd === null) return;
    this.packets++;
    this.waiting.push(pcapRecordHeader(time, packet.length), packet);
    this.waitingBytes += 16 + packet.length;
    if (this.waitingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushSoon);
    }
  }

  private address(host: string): Buffer {
    let bytes = this.addresses.get(host);
    if (bytes === undefined) {
      // A wildcard or a name (`localhost`) as a destination reaches loopback (every address here is loopback):
      // show the address it stands for.
      const ip =
        host === "::" ? "::1" : net.isIP(host) === 0 || host === "0.0.0.0" ? "127.0.0.1" : host;
      bytes = addressBytes(ip);
      this.addresses.set(host, bytes);
    }
    return bytes;
  }
}
