/**
 * TCP's state machine as the memory network models it: one named state per connection end (RFC 793's names, shown
 * as `ss` shows them), changed in one place ({@link TcpStates.set}), and the sequence numbers a capture needs.
 *
 * The rules (what the memory network's events do; compared with Linux in spec/network-tools.spec.ts):
 * - `connect()` makes an end in SYN-SENT. At the next step the handshake happens at once (SYN, SYN-ACK, ACK):
 *   both ends ESTAB, so SYN-RECV is never seen (as on loopback, where the three segments take microseconds); a
 *   refused connect gets SYN then RST, and its end is gone.
 * - Shutting down writing (`shutdown(SHUT_WR)`, `close()`) sends a FIN after the bytes in flight: ESTAB becomes
 *   FIN-WAIT-1, CLOSE-WAIT becomes LAST-ACK, at once. When the FIN is delivered the peer acknowledges it in the
 *   same step: the sender goes on to FIN-WAIT-2 (or from CLOSING to TIME-WAIT, from LAST-ACK to gone), the
 *   receiver to CLOSE-WAIT (or from FIN-WAIT-1 to CLOSING, from FIN-WAIT-2 to TIME-WAIT).
 * - TIME-WAIT lasts {@link TcpStates.timeWaitSeconds} (60 s, Linux's `TCP_TIMEWAIT_LEN`) on the network's clock;
 *   {@link TcpStates.timeWait} finds the ends in it by port, for a bind rule. Ends expire when looked at, and when
 *   a connect begins (so a long run does not keep them all).
 * - A reset (`close()` with unread data, `network.reset()`, bytes that reach a closed end) makes the ends gone
 *   (CLOSED: `ss` shows no row), whatever their state.
 * - An end whose socket is closed stays while TCP still needs it (FIN-WAIT-1/2, LAST-ACK, CLOSING, TIME-WAIT):
 *   an orphan, with no fd, as `ss` shows it. Unix stream ends are ESTAB until closed, then gone.
 * - Sequence numbers: each end starts from a fixed ISN (the same on every run); SYN and FIN take one number each.
 *   Segments go to the {@link SegmentTap} when there is one (a capture); with none, the cost is one check.
 * @module
 */
import type { NetworkClock } from "./clock.ts";

/** A TCP state, as `ss` names it (CLOSED ends are not shown). */
export type TcpState =
  | "LISTEN"
  | "SYN-SENT"
  | "SYN-RECV"
  | "ESTAB"
  | "FIN-WAIT-1"
  | "FIN-WAIT-2"
  | "CLOSE-WAIT"
  | "LAST-ACK"
  | "CLOSING"
  | "TIME-WAIT"
  | "CLOSED";

/** `ss`'s Netid column for the stream sockets of the memory network. */
export type StreamNetid = "tcp" | "u_str";

/** Where an end is: a host and port, or (Unix) a path and port 0. */
export interface EndAddress {
  /** An IP address, or a Unix path. */
  readonly host: string;
  /** The port; 0 for a Unix socket. */
  readonly port: number;
}

/** TCP header flags. */
export const FIN = 0x01;
/** TCP header flags. */
export const SYN = 0x02;
/** TCP header flags. */
export const RST = 0x04;
/** TCP header flags. */
export const PSH = 0x08;
/** TCP header flags. */
export const ACK = 0x10;

/** The most payload one synthesized segment carries: loopback's MSS on Linux (MTU 65536 less the headers). */
export const MSS = 65483;
/** The window scale both ends announce in their SYN (as Linux does for a large receive buffer). */
export const WINDOW_SHIFT = 7;

/** One segment the network moved, for a capture. */
export interface Segment {
  /** The sender. */
  readonly src: EndAddress;
  /** The receiver. */
  readonly dst: EndAddress;
  /** TCP flags (FIN 1, SYN 2, RST 4, PSH 8, ACK 16). */
  readonly flags: number;
  /** Sequence number. */
  readonly seq: number;
  /** Acknowledgment number (0 without ACK). */
  readonly ack: number;
  /** The window field as sent: the receive room in bytes, divided by 128 (window scale 7) except in SYNs. */
  readonly window: number;
  /** The data carried. */
  readonly payload: Uint8Array;
}

/** Hears every segment and datagram (a capture). */
export interface SegmentTap {
  /** `segment` was moved at `time` (seconds on the network's clock). */
  segment(segment: Segment, time: number): void;
  /** A UDP datagram from `src` to `dst` was delivered at `time` (seconds on the network's clock). */
  datagram(src: EndAddress, dst: EndAddress, payload: Uint8Array, time: number): void;
}

/** One end of a stream connection. */
export class TcpEndpoint {
  /** The state (changed by the network in one place only). */
  state: TcpState = "CLOSED";
  /** The other end, once connected. */
  peer: TcpEndpoint | null = null;
  /** Initial sequence number. */
  readonly iss: number;
  /** Next sequence number to send (bytes sent count once delivered). */
  sndNxt: number;
  /** When TIME-WAIT ends (network clock, seconds). */
  timeWaitEnds = Infinity;
  /** The socket was closed: no fd; the end lives while TCP needs it. */
  orphan = false;
  /** The wire object this end belongs to (the network's stream), for the tools. */
  stream: unknown = null;

  /** @internal */
  constructor(
    /** `tcp`, or `u_str` for a Unix stream. */
    readonly netid: StreamNetid,
    /** This end's address. */
    readonly local: EndAddress,
    /** The peer's address. */
    public remote: EndAddress,
    /** Creation order: rows list ends in it. */
    readonly id: number,
  ) {
    this.iss = isn(id);
    this.sndNxt = this.iss;
  }
}

/** Deterministic ISNs that look like ISNs (Knuth's multiplicative hash of the creation number). */
function isn(id: number): number {
  return Math.imul(id + 1, 0x9e3779b1) >>> 0;
}

/** The memory network's stream ends and their states (see the module rules). */
export class TcpStates {
  /** How long TIME-WAIT lasts, in seconds on the network's clock (Linux: 60). */
  timeWaitSeconds = 60;
  /** Hears every segment (a capture), or `null`. */
  tap: SegmentTap | null = null;
  private readonly ends = new Set<TcpEndpoint>();
  /** Ends that entered TIME-WAIT, in that order (so, by when it ends): expired from the front. */
  private timeWaits: TcpEndpoint[] = [];
  private made = 0;

  /**
   * @param clock - the network's clock.
   * @param room - bytes the receive buffer of an end has room for (the window it announces).
   */
  constructor(
    private readonly clock: NetworkClock,
    private readonly room: (end: TcpEndpoint) => number,
  ) {}

  /** The one place an end changes state. */
  set(end: TcpEndpoint, state: TcpState): void {
    if (end.state === state) return;
    end.state = state;
    if (state === "CLOSED") this.ends.delete(end);
    else this.ends.add(end);
    if (state === "TIME-WAIT") {
      end.timeWaitEnds = this.clock.now() + this.timeWaitSeconds;
      this.timeWaits.push(end);
      // As Linux's small timewait sockets: the end keeps its addresses only, no socket (no fd in the table) and
      // no peer, so a busy run's thousands of TIME-WAIT ends do not keep their connections alive.
      end.stream = null;
      end.peer = null;
    }
  }

  /** The ends there are (TIME-WAIT ones that are over are dropped first), oldest first. */
  all(): TcpEndpoint[] {
    this.expire();
    return [...this.ends];
  }

  /**
   * The TCP ends in TIME-WAIT on local `port` (and `host`, when given), for a bind rule: Linux refuses to bind
   * such an address without `SO_REUSEADDR`.
   */
  timeWait(port: number, host?: string): TcpEndpoint[] {
    this.expire();
    const found: TcpEndpoint[] = [];
    for (const end of this.ends) {
      if (end.state !== "TIME-WAIT" || end.local.port !== port) continue;
      if (host === undefined || end.local.host === host) found.push(end);
    }
    return found;
  }

  /** Drop the TIME-WAIT ends whose time is over (from the front of {@link timeWaits}: O(1) when none is). */
  private expire(): void {
    const waits = this.timeWaits;
    if (waits.length === 0) return;
    const now = this.clock.now();
    let done = 0;
    for (const end of waits) {
      // (timeWaitSeconds may have changed: an end due later stops the sweep, and waits for a later one.)
      if (end.state === "TIME-WAIT" && end.timeWaitEnds > now) break;
      if (end.state === "TIME-WAIT") this.set(end, "CLOSED");
      done++;
    }
    if (done > 0) this.timeWaits = done === waits.length ? [] : waits.slice(done);
  }

  // The network's events

  /** A connect begins: a new end in SYN-SENT (a Unix one is ESTAB once connected, nothing before). */
  connecting(netid: StreamNetid, local: EndAddress, remote: EndAddress): TcpEndpoint {
    this.expire();
    const end = new TcpEndpoint(netid, local, remote, this.made++);
    if (netid === "tcp") this.set(end, "SYN-SENT");
    return end;
  }

  /**
   * A listener at `local` takes the connection of `client`: both ends ESTAB. Then call {@link handshake} (once the
   * listener's socket has the connection, for its window).
   * @returns the accepted end.
   */
  accepted(client: TcpEndpoint, local: EndAddress): TcpEndpoint {
    const server = new TcpEndpoint(client.netid, local, client.local, this.made++);
    client.peer = server;
    server.peer = client;
    client.sndNxt = (client.iss + 1) >>> 0;
    server.sndNxt = (server.iss + 1) >>> 0;
    this.set(client, "ESTAB");
    this.set(server, "ESTAB");
    return server;
  }

  /** The handshake {@link accepted} stands for, for a capture: SYN, SYN-ACK, ACK. */
  handshake(client: TcpEndpoint): void {
    const server = client.peer;
    if (this.tap === null || client.netid !== "tcp" || server === null) return;
    this.emit(client, SYN, 0, this.room(client), EMPTY, client.iss);
    this.emit(server, SYN | ACK, client.sndNxt, this.room(server), EMPTY, server.iss);
    this.ack(client);
  }

  /** Nobody listens (or the address refuses): SYN, then RST-ACK from the address. */
  refused(client: TcpEndpoint): void {
    if (this.tap !== null && client.netid === "tcp") {
      this.emit(client, SYN, 0, this.room(client), EMPTY, client.iss);
      this.tap.segment(
        {
          src: client.remote,
          dst: client.local,
          flags: RST | ACK,
          seq: 0,
          ack: (client.iss + 1) >>> 0,
          window: 0,
          payload: EMPTY,
        },
        this.clock.stamp(),
      );
    }
    this.set(client, "CLOSED");
  }

  /** `bytes` sent by `from` reached its peer, which acknowledges them. */
  data(from: TcpEndpoint, bytes: Uint8Array): void {
    if (this.tap !== null && from.netid === "tcp") {
      const peer = from.peer;
      for (let at = 0; at < bytes.length; at += MSS) {
        const piece = bytes.subarray(at, Math.min(bytes.length, at + MSS));
        this.emit(from, PSH | ACK, peer?.sndNxt ?? 0, this.room(from), piece);
        from.sndNxt = (from.sndNxt + piece.length) >>> 0;
      }
      if (peer !== null) this.ack(peer);
    } else from.sndNxt = (from.sndNxt + bytes.length) >>> 0;
  }

  /** `end` shut down writing: its FIN goes after the bytes in flight (ESTAB → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK). */
  closing(end: TcpEndpoint): void {
    switch (end.state) {
      case "SYN-SENT":
        this.set(end, "CLOSED");
        break;
      case "ESTAB":
        if (end.netid === "tcp") this.set(end, "FIN-WAIT-1");
        break;
      case "CLOSE-WAIT":
        this.set(end, "LAST-ACK");
        break;
      default:
        break;
    }
  }

  /** The FIN of `from` reached its peer, which acknowledges it in the same step. */
  fin(from: TcpEndpoint): void {
    const peer = from.peer;
    if (from.netid !== "tcp" || peer === null) return;
    if (from.state === "ESTAB" || from.state === "CLOSE-WAIT") this.closing(from);
    if (this.tap !== null) this.emit(from, FIN | ACK, peer.sndNxt, this.room(from));
    from.sndNxt = (from.sndNxt + 1) >>> 0;
    if (this.tap !== null) this.ack(peer);
    switch (peer.state) {
      case "ESTAB":
        this.set(peer, "CLOSE-WAIT");
        break;
      case "FIN-WAIT-1":
        this.set(peer, "CLOSING");
        break;
      case "FIN-WAIT-2":
        this.set(peer, "TIME-WAIT");
        break;
      default:
        break;
    }
    switch (from.state) {
      case "FIN-WAIT-1":
        this.set(from, "FIN-WAIT-2");
        break;
      case "CLOSING":
        this.set(from, "TIME-WAIT");
        break;
      case "LAST-ACK":
        this.set(from, "CLOSED");
        break;
      default:
        break;
    }
  }

  /** `end` closed with a reset (unread data): gone now; its RST goes after the bytes in flight. */
  aborted(end: TcpEndpoint): void {
    end.orphan = true;
    this.set(end, "CLOSED");
  }

  /** The RST of `from` reached its peer: gone too. */
  reset(from: TcpEndpoint): void {
    const peer = from.peer;
    if (this.tap !== null && from.netid === "tcp" && peer !== null) {
      this.emit(from, RST | ACK, peer.sndNxt, 0);
    }
    this.set(from, "CLOSED");
    if (peer !== null) this.set(peer, "CLOSED");
  }

  /** The socket of `end` was closed: its fd is gone; a Unix end goes too, a TCP end lives while TCP needs it. */
  released(end: TcpEndpoint): void {
    end.orphan = true;
    if (end.netid !== "tcp") this.set(end, "CLOSED");
  }

  /** The connection of `end` failed (refused, reset, a write to a closed peer): gone. */
  failed(end: TcpEndpoint): void {
    this.set(end, "CLOSED");
  }

  /** The window `end` announces changed (its reader stopped or started again): a window update, for captures. */
  windowChanged(end: TcpEndpoint): void {
    if (this.tap !== null && end.netid === "tcp" && end.peer !== null && end.state !== "CLOSED") {
      this.ack(end);
    }
  }

  /** A pure ACK from `end`, with its window. */
  private ack(end: TcpEndpoint): void {
    const peer = end.peer;
    if (peer === null) return;
    this.emit(end, ACK, peer.sndNxt, this.room(end));
  }

  /** A segment from `from`; `room` in bytes becomes the window field (scaled but in a SYN). */
  private emit(
    from: TcpEndpoint,
    flags: number,
    ack: number,
    room: number,
    payload: Uint8Array = EMPTY,
    seq = from.sndNxt,
  ): void {
    this.tap?.segment(
      {
        src: from.local,
        dst: from.remote,
        flags,
        seq,
        ack,
        window: Math.min(0xffff, flags & SYN ? room : Math.floor(room / (1 << WINDOW_SHIFT))),
        payload,
      },
      this.clock.stamp(),
    );
  }
}

const EMPTY = new Uint8Array(0);
