/**
 * The memory network's wire: addresses, ports, connections and the steps that deliver their bytes (the rules are
 * in `../memory-network.ts`, the face a test uses). Errors reach the kernel as errno numbers, as from any wire.
 * @module
 */
import { constants } from "node:os";
import * as net from "node:net";

import type {
  ConnectRequest,
  Endpoint,
  ListenRequest,
  ListenerSink,
  StreamSink,
  Wire,
  WireDatagram,
  WireListener,
  WireStream,
} from "../interface.ts";
import { MemoryDatagram } from "./datagram.ts";
import { Delay, DeliveryPath, Duplicate, Loss, Random, Reorder, type Packet } from "./delivery.ts";
import type { BindPrivilege, PortUse } from "../../kernel/bind-rules.ts";
import { NetworkClock } from "./clock.ts";
import { asKernelSocket } from "./kernel-view.ts";
import { MemoryListener } from "./listener.ts";
import { MemoryPipe } from "./pipe.ts";
import { MemoryStream } from "./stream.ts";
import { TcpStates, type TcpEndpoint } from "./tcp-state.ts";

const { EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED, ECONNRESET, EINVAL } = constants.errno;

/** Options of a memory network. */
export interface MemoryNetworkOptions {
  /** Most bytes one delivery hands over, in every direction that sets none of its own (default: no limit). */
  readonly chunkSize?: number | null;
  /** Run steps by themselves, one per turn of the event loop (default `true`); `false`: the test calls `step()`. */
  readonly auto?: boolean;
  /**
   * The ports given to port 0 and to connecting sockets, first to last, each taken in turn and free again once its
   * socket is closed (Linux's `ip_local_port_range`; default 32768–60999).
   */
  readonly ephemeralPorts?: readonly [first: number, last: number];
  /** The seed of the datagram delivery layers' random choices (`loss`, `duplicate`, `reorder`; default 1). */
  readonly seed?: number;
  /**
   * Seconds the end that closed a connection first stays in TIME-WAIT, on the network's clock (default 60,
   * Linux's).
   */
  readonly timeWait?: number;
  /** With `{ auto: false }`: how far one step moves the network's clock, in seconds (default 0.001). */
  readonly stepSeconds?: number;
  /** Run as an administrator (root): ports below the unprivileged start can be bound (default `false`). */
  readonly administrator?: boolean;
  /** Linux's `net.ipv4.ip_unprivileged_port_start` on this network (default 1024). */
  readonly unprivilegedPortStart?: number;
}

/** Where a connection is going: a listener's key, and the addresses both ends will show. */
interface Destination {
  readonly keys: readonly string[];
  readonly host: string;
  readonly port: number;
}

/** Linux's default `net.ipv4.ip_local_port_range`. */
const EPHEMERAL_PORTS: readonly [first: number, last: number] = [32768, 60999];

/** The memory network as a {@link Wire}, with its steps. */
export class MemoryWire implements Wire {
  /** Most bytes one delivery hands over, for directions that set none; `null`: no limit. */
  chunkSize: number | null;
  private readonly auto: boolean;
  private readonly listeners = new Map<string, MemoryListener>();
  private readonly refused = new Set<string>();
  private readonly usedPorts = new Set<number>();
  private readonly firstPort: number;
  private readonly lastPort: number;
  private nextPort: number;
  /** @internal Bound datagram endpoints by address key (the socket table reads them). */
  readonly datagrams = new Map<string, MemoryDatagram>();
  private readonly usedUdpPorts = new Set<number>();
  /** Datagrams sent since the last step. */
  private outbox: Packet[] = [];
  /** The datagrams' delivery layers (`loss`, `duplicate`, `reorder`, `delay`). */
  private readonly path = new DeliveryPath();
  private readonly seed: number;
  private layers = 0;
  /** Each kernel socket's connection on this network, for the test's controls. */
  private readonly streams = new WeakMap<object, MemoryStream>();
  /** Directions with something to deliver, in the order they first had. */
  private readonly active = new Set<MemoryPipe>();
  /** Events for the next step: connections to make, streams to close, errors to report. */
  private tasks: (() => void)[] = [];
  private immediate: NodeJS.Immediate | null = null;
  /** The network's clock: TIME-WAIT, capture timestamps (see `clock.ts`). */
  readonly clock: NetworkClock;
  /** @internal The TCP state of every stream end (TIME-WAIT too), and the segments a capture sees (`tcp-state.ts`). */
  readonly tcp: TcpStates;
  /** @internal Listeners in the order they listened, each with a number (a Unix listener's made-up inode). */
  readonly listening = new Map<MemoryListener, number>();
  private listened = 0;
  private readonly rights: BindPrivilege;
  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.step();
  };

  constructor(options: MemoryNetworkOptions = {}) {
    this.chunkSize = options.chunkSize ?? null;
    this.auto = options.auto ?? true;
    [this.firstPort, this.lastPort] = options.ephemeralPorts ?? EPHEMERAL_PORTS;
    this.nextPort = this.firstPort;
    this.clock = new NetworkClock(!this.auto, options.stepSeconds);
    this.tcp = new TcpStates(this.clock, roomOf);
    if (options.timeWait !== undefined) this.tcp.timeWaitSeconds = options.timeWait;
    this.seed = options.seed ?? 1;
    this.rights = {
      administrator: options.administrator ?? false,
      unprivilegedPortStart: options.unprivilegedPortStart ?? 1024,
    };
  }

  // Wire

  /** @internal Start a connection on this network. */
  connect(request: ConnectRequest): WireStream {
    const stream = new MemoryStream(this, new MemoryPipe(this), new MemoryPipe(this));
    const to = request.to;
    const destination =
      to.kind === "unix"
        ? unixDestination(to.path)
        : inetDestination(to.host, to.port, request.ipVersion);
    if (to.kind === "inet") {
      const from = request.from;
      const local = from?.kind === "inet" && !isWildcard(from.host) ? from.host : destination.host;
      if (from?.kind === "inet" && from.port !== 0) {
        stream.localEnd = { host: local, port: from.port };
      } else {
        const port = this.ephemeralPort(this.usedPorts);
        if (port === null) {
          // Linux's connect() when the range is used up.
          stream.fail(EADDRNOTAVAIL);
          return stream;
        }
        stream.localEnd = { host: local, port };
        stream.ephemeralPort = port;
      }
    }
    const tcp = this.tcp.connecting(
      to.kind === "unix" ? "u_str" : "tcp",
      stream.localEnd ?? { host: "", port: 0 },
      { host: destination.host, port: destination.port },
    );
    tcp.stream = stream;
    stream.tcp = tcp;
    this.later(() => {
      this.complete(stream, destination);
    });
    return stream;
  }

  /** @internal Start listening on this network. */
  listen(request: ListenRequest, sink: ListenerSink): WireListener {
    return new MemoryListener(this, request, sink);
  }

  /** @internal A new datagram endpoint on this network. */
  datagram(kind: 4 | 6 | "unix"): WireDatagram {
    return new MemoryDatagram(this, kind);
  }

  /** @internal Two unnamed Unix datagram endpoints, each the other's peer. */
  datagramPair(): [WireDatagram, WireDatagram] {
    const a = new MemoryDatagram(this, "unix");
    const b = new MemoryDatagram(this, "unix");
    a.pairedWith = b;
    b.pairedWith = a;
    return [a, b];
  }

  /** @internal The listeners and TIME_WAIT addresses of `port`, for `bind()` (see the module rules). */
  portUses(port: number): PortUse[] {
    const uses: PortUse[] = this.tcp.timeWait(port).map((end) => ({
      host: end.local.host,
      port,
      state: "time-wait",
      reuseaddr: null,
    }));
    for (const key of this.listeners.keys()) {
      const [host, p] = splitKey(key);
      if (p === port) uses.push({ host, port, state: "listening", reuseaddr: null });
    }
    return uses;
  }

  /** @internal Who binds on this network (see {@link MemoryNetworkOptions.administrator}). */
  privilege(): BindPrivilege {
    return this.rights;
  }

  // The test's controls

  /** Drop each datagram with probability `p` from now on (a layer after those already added). */
  loss(p: number): this {
    this.path.use(new Loss(p, this.random()));
    return this;
  }

  /** Deliver each datagram, and with probability `p` a copy of it too. */
  duplicate(p: number): this {
    this.path.use(new Duplicate(p, this.random()));
    return this;
  }

  /** Hold up to `window` datagrams and deliver them in a shuffled order. */
  reorder(window: number): this {
    this.path.use(new Reorder(window, this.random()));
    return this;
  }

  /** Deliver each datagram `steps` steps after it was sent. */
  delay(steps: number): this {
    this.path.use(new Delay(steps));
    return this;
  }

  /** Remove the datagram layers: every datagram is delivered, once, in order, at the next step. */
  clearFaults(): this {
    this.path.clear();
    return this;
  }

  /** A generator for the next layer: the network's seed, told apart by the layer's place. */
  private random(): Random {
    return new Random(this.seed + 7919 * this.layers++);
  }

  /** The network's clock, in seconds since it was made (TIME-WAIT runs on it; see `clock.ts`). */
  get now(): number {
    return this.clock.now();
  }

  /** How many connection ends are in TIME-WAIT now. */
  get timeWaitCount(): number {
    return this.tcp.all().filter((end) => end.state === "TIME-WAIT").length;
  }

  /**
   * Move the network's clock `seconds` on: TIME-WAIT ends for the ends whose time has come.
   * @throws RangeError when `seconds` is negative.
   */
  advance(seconds: number): void {
    this.clock.advance(seconds);
  }

  /**
   * The connection of a kernel socket on this network, if it has one.
   * @internal
   */
  streamOf(sink: object): MemoryStream | undefined {
    return this.streams.get(sink);
  }

  /**
   * Break `stream`'s connection, as a reset on the way would: what is in flight is lost, and both ends see
   * ECONNRESET.
   * @internal
   */
  resetStream(stream: MemoryStream): void {
    const peer = stream.out.to;
    if (stream.tcp) this.tcp.reset(stream.tcp);
    if (peer?.tcp) this.tcp.reset(peer.tcp);
    stream.fail(ECONNRESET);
    if (peer !== null && peer !== stream) peer.fail(ECONNRESET);
  }

  /** @internal Refuse connections to an endpoint (`on`), or let them through again. */
  refuseEndpoint(endpoint: Endpoint, on: boolean): void {
    const key =
      endpoint.kind === "unix" ? unixKey(endpoint.path) : inetKey(endpoint.host, endpoint.port);
    if (on) this.refused.add(key);
    else this.refused.delete(key);
  }

  /**
   * Run one step (see the module rules): make or refuse the connections asked for, report what happened, then one
   * delivery in each direction that has bytes in flight and is not held.
   * @returns whether anything happened.
   */
  step(): boolean {
    this.clock.tick();
    let worked = false;
    const tasks = this.tasks;
    if (tasks.length > 0) {
      this.tasks = [];
      for (const task of tasks) task();
      worked = true;
    }
    const pipes = [...this.active];
    this.active.clear();
    for (const pipe of pipes) {
      if (!pipe.deliverable()) continue;
      this.deliver(pipe);
      worked = true;
      if (pipe.deliverable()) this.active.add(pipe);
    }
    if (this.outbox.length > 0 || this.path.held > 0) {
      this.stepDatagrams();
      worked = true;
    }
    this.schedule();
    return worked;
  }

  /**
   * Run steps until nothing is left to do, at most `limit` of them.
   * @returns how many steps ran.
   */
  settle(limit = 100_000): number {
    let steps = 0;
    while (steps < limit && this.step()) steps++;
    return steps;
  }

  // Inside the network

  /** @internal Reserve a datagram endpoint's address: 0, or the errno. */
  bindDatagram(endpoint: MemoryDatagram, at: Endpoint): number {
    if (endpoint.key !== null) return EINVAL;
    if (at.kind === "unix") {
      const key = `udp-unix:${at.path}`;
      if (this.datagrams.has(key)) return EADDRINUSE;
      this.datagrams.set(key, endpoint);
      endpoint.key = key;
      endpoint.localEnd = at;
      return 0;
    }
    const host = at.host === "localhost" ? (endpoint.kind === 6 ? "::1" : "127.0.0.1") : at.host;
    if (!isWildcard(host) && !isLoopback(host)) return EADDRNOTAVAIL;
    let port = at.port;
    if (port === 0) {
      const free = this.ephemeralPort(this.usedUdpPorts);
      if (free === null) return EADDRINUSE;
      port = free;
    } else if (this.udpPortTaken(host, port)) return EADDRINUSE;
    const key = `udp:${inetKey(host, port)}`;
    this.datagrams.set(key, endpoint);
    this.usedUdpPorts.add(port);
    endpoint.key = key;
    endpoint.localEnd = { kind: "inet", host, port };
    return 0;
  }

  /** @internal Free a datagram endpoint's address. */
  unbindDatagram(endpoint: MemoryDatagram): void {
    const key = endpoint.key;
    if (key === null) return;
    this.datagrams.delete(key);
    if (endpoint.localEnd?.kind === "inet") this.usedUdpPorts.delete(endpoint.localEnd.port);
    endpoint.key = null;
  }

  /** @internal Queue a datagram for the next step (`to` null: a socketpair's other end). */
  sendDatagram(sender: MemoryDatagram, data: Buffer, to: Endpoint | null): void {
    const from = sourceOf(sender, to);
    this.outbox.push({ data, from, to: to ?? { kind: "unix", path: "" }, sender });
    if (this.auto && this.immediate === null) this.immediate = setImmediate(this.onImmediate);
  }

  private udpPortTaken(host: string, port: number): boolean {
    for (const key of this.datagrams.keys()) {
      if (!key.startsWith("udp:")) continue;
      const [otherHost, otherPort] = splitKey(key.slice(4));
      if (otherPort !== port) continue;
      if (otherHost === host || isWildcard(host) || isWildcard(otherHost)) return true;
    }
    return false;
  }

  /** One step of the datagrams: they leave their senders, go through the layers, and what arrives is delivered. */
  private stepDatagrams(): void {
    const sent = this.outbox;
    this.outbox = [];
    for (const packet of sent) {
      const sender = packet.sender;
      sender.inFlight -= packet.data.length;
      sender.sink.written();
    }
    for (const packet of this.path.step(sent)) this.arrive(packet);
  }

  /** Hand `packet` to the endpoint at its address; a connected sender whose peer is not there hears 111. */
  private arrive(packet: Packet): void {
    const sender = packet.sender;
    const { from, to } = packet;
    // A capture sees each datagram that arrives, as the wire carried it (one check when none is on).
    if (this.tcp.tap !== null && from.kind === "inet" && to.kind === "inet") {
      this.tcp.tap.datagram(from, to, packet.data, this.clock.stamp());
    }
    const receiver = sender.pairedWith ?? this.datagramAt(packet.to, sender.kind);
    if (receiver !== undefined && !receiver.closed) {
      receiver.sink.datagram(packet.data, packet.from);
      return;
    }
    // ICMP port unreachable: reported to a connected socket only (the kernel ignores it otherwise).
    if (!sender.closed) sender.sink.error(ECONNREFUSED);
  }

  private datagramAt(to: Endpoint, kind: 4 | 6 | "unix"): MemoryDatagram | undefined {
    if (to.kind === "unix") return this.datagrams.get(`udp-unix:${to.path}`);
    const host = to.host === "localhost" ? (kind === 6 ? "::1" : "127.0.0.1") : to.host;
    const exact = this.datagrams.get(`udp:${inetKey(host, to.port)}`);
    if (exact !== undefined || !(isLoopback(host) || isWildcard(host))) return exact;
    return this.datagrams.get(`udp:${inetKey(kind === 6 ? "::" : "0.0.0.0", to.port)}`);
  }

  /** @internal `stream` reports to `sink` from now on. */
  attached(sink: StreamSink, stream: MemoryStream): void {
    this.streams.set(sink, stream);
  }

  /** @internal Note that `pipe` may have something to deliver. */
  activate(pipe: MemoryPipe): void {
    if (!pipe.deliverable()) return;
    this.active.add(pipe);
    this.schedule();
  }

  /** @internal Run `task` at the next step (events are reported asynchronously, as Node does). */
  later(task: () => void): void {
    this.tasks.push(task);
    this.schedule();
  }

  /** @internal Reserve a listener's address. @returns the key and address, or the errno to report. */
  bind(listener: MemoryListener, at: Endpoint): { key: string; info: Endpoint } | number {
    if (at.kind === "unix") {
      const key = unixKey(at.path);
      if (this.listeners.has(key)) return EADDRINUSE;
      this.listeners.set(key, listener);
      this.listening.set(listener, this.listened++);
      return { key, info: at };
    }
    const host = at.host;
    if (!isWildcard(host) && !isLoopback(host)) return EADDRNOTAVAIL;
    let port = at.port;
    if (port === 0) {
      const free = this.ephemeralPort(this.usedPorts);
      // Linux's listen() when no port is left to bind to.
      if (free === null) return EADDRINUSE;
      port = free;
    } else if (this.portTaken(host, port)) {
      return EADDRINUSE;
    }
    const key = inetKey(host, port);
    this.listeners.set(key, listener);
    this.listening.set(listener, this.listened++);
    this.usedPorts.add(port);
    return { key, info: { kind: "inet", host, port } };
  }

  /** @internal Free a listener's address. */
  unbind(key: string): void {
    const listener = this.listeners.get(key);
    if (listener !== undefined) this.listening.delete(listener);
    this.listeners.delete(key);
    if (!key.startsWith("unix:")) this.releasePort(splitKey(key)[1]);
  }

  /** @internal A port is free again for {@link ephemeralPort} (a closed connection or listener). */
  releasePort(port: number): void {
    this.usedPorts.delete(port);
  }

  private portTaken(host: string, port: number): boolean {
    for (const key of this.listeners.keys()) {
      const [otherHost, otherPort] = splitKey(key);
      if (otherPort !== port) continue;
      if (otherHost === host || isWildcard(host) || isWildcard(otherHost)) return true;
    }
    return false;
  }

  /** The next port of the range free in `used` (TCP's or UDP's), taken; `null` when all are taken. */
  private ephemeralPort(used: Set<number>): number | null {
    for (let tries = 0; tries <= this.lastPort - this.firstPort; tries++) {
      const port = this.nextPort;
      this.nextPort = port === this.lastPort ? this.firstPort : port + 1;
      if (!used.has(port)) {
        used.add(port);
        return port;
      }
    }
    return null;
  }

  /** Make the connection `stream` asked for, or refuse it. */
  private complete(stream: MemoryStream, destination: Destination): void {
    if (stream.destroyed) return;
    let listener: MemoryListener | undefined;
    for (const key of destination.keys) {
      if (this.refused.has(key)) break;
      listener = this.listeners.get(key);
      if (listener !== undefined) break;
    }
    if (listener === undefined) {
      if (stream.tcp) this.tcp.refused(stream.tcp);
      stream.fail(ECONNREFUSED);
      return;
    }
    // The accepted end sends on the pipe the connecting end receives on, and receives on the other.
    const accepted = new MemoryStream(this, stream.in, stream.out);
    const there = { host: destination.host, port: destination.port };
    stream.remoteEnd = there;
    accepted.localEnd = there;
    accepted.remoteEnd = stream.localEnd;
    if (stream.tcp) {
      accepted.tcp = this.tcp.accepted(stream.tcp, there);
      accepted.tcp.stream = accepted;
    }
    listener.sink.accepted(accepted);
    if (stream.tcp) this.tcp.handshake(stream.tcp);
    stream.sink.connected();
    this.activate(stream.out);
    this.activate(stream.in);
  }

  /** One delivery on `pipe`: at most its chunk size (everything when unlimited), then end of stream if due. */
  private deliver(pipe: MemoryPipe): void {
    const to = pipe.to;
    if (to === null) return;
    if (to.destroyed && pipe.bytes > 0) {
      // Bytes reach a closed socket: its kernel answers with a reset, and the writer's next write fails.
      pipe.drop();
      if (to.tcp) this.tcp.reset(to.tcp);
      pipe.from?.brokenPipe();
      return;
    }
    const limit = pipe.chunkSize ?? this.chunkSize ?? Infinity;
    do {
      const write = pipe.writes[0];
      if (write === undefined) break;
      const left = write.chunk.length - write.offset;
      const count = Math.min(left, limit);
      const piece =
        write.offset === 0 && count === write.chunk.length
          ? write.chunk
          : write.chunk.subarray(write.offset, write.offset + count);
      write.offset += count;
      pipe.bytes -= count;
      const done = write.offset === write.chunk.length;
      if (done) pipe.writes.shift();
      to.sink.data(piece);
      if (pipe.from?.tcp) this.tcp.data(pipe.from.tcp, piece);
      if (done) pipe.from?.wrote();
    } while (limit === Infinity && !to.paused && !to.destroyed);
    if (pipe.writes.length === 0 && pipe.resetting) {
      pipe.resetting = false;
      if (pipe.from?.tcp) this.tcp.reset(pipe.from.tcp);
      to.fail(ECONNRESET);
      return;
    }
    if (pipe.writes.length === 0 && pipe.ending && !pipe.ended) {
      pipe.ended = true;
      if (pipe.from?.tcp) this.tcp.fin(pipe.from.tcp);
      if (!to.destroyed) to.sink.end();
      pipe.from?.sentEnd();
    }
  }

  private schedule(): void {
    if (!this.auto || this.immediate !== null) return;
    if (
      this.tasks.length === 0 &&
      this.active.size === 0 &&
      this.outbox.length === 0 &&
      this.path.held === 0
    ) {
      return;
    }
    this.immediate = setImmediate(this.onImmediate);
  }
}

/** The window of an end no socket reads from (an orphan): a default receive buffer. */
const DEFAULT_ROOM = 256 * 1024;

/**
 * The receive room of `end`, the window it announces: none while its reader stops or its direction is held, else
 * what its socket's receive buffer has room for (the socket is the stream's sink: `buffered`, `rcvbuf`).
 */
function roomOf(end: TcpEndpoint): number {
  const stream = end.stream;
  if (!(stream instanceof MemoryStream)) return 0;
  if (stream.in.isHeld || (stream.paused && !stream.destroyed)) return 0;
  const sock = stream.destroyed ? undefined : asKernelSocket(stream.sink);
  return sock === undefined ? DEFAULT_ROOM : Math.max(0, sock.rcvbuf - sock.buffered);
}

/** The address a datagram from `sender` shows: its bound address, with a wildcard host made the loopback. */
function sourceOf(sender: MemoryDatagram, to: Endpoint | null): Endpoint {
  const local = sender.localEnd;
  if (local === null || sender.pairedWith !== null) return { kind: "unix", path: "" };
  if (local.kind === "unix" || !isWildcard(local.host)) return local;
  const loopback = sender.kind === 6 ? "::1" : "127.0.0.1";
  const host = to?.kind === "inet" && isLoopback(to.host) ? to.host : loopback;
  return { kind: "inet", host, port: local.port };
}

function unixKey(path: string): string {
  return `unix:${path}`;
}

function inetKey(host: string, port: number): string {
  return `${host}#${port}`;
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf("#");
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

function isLoopback(host: string): boolean {
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  return host === "::1" || (net.isIPv4(v4) && v4.startsWith("127."));
}

function unixDestination(path: string): Destination {
  return { keys: [unixKey(path)], host: path, port: 0 };
}

function inetDestination(requested: string, port: number, version: 4 | 6): Destination {
  const v6 = version === 6;
  const host = requested === "localhost" ? (v6 ? "::1" : "127.0.0.1") : requested;
  const keys = [inetKey(host, port)];
  if (isLoopback(host) || isWildcard(host)) keys.push(inetKey(v6 ? "::" : "0.0.0.0", port));
  return { keys, host, port };
}
