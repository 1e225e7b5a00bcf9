/**
 * An in-memory network: sockets whose bytes travel inside the process, with no ports, no kernel and a delivery
 * order that is the same on every run. A test decides how bytes arrive.
 *
 * The sockets are the same {@link python/socket.BlockingSocket} and {@link python/socket.NonBlockingSocket} as on the real
 * network (`socket.ts` models buffers, readiness, errno and states; only the wire under it changes, see `wire.ts`),
 * so selectors see them exactly as real ones, level-triggered, and they raise the same Python errors: a refused
 * connection `ConnectionRefusedError` (111), a reset `ConnectionResetError` (104), a closed socket `OSError` (9).
 *
 * The rules:
 * - **Addresses.** Listeners bind loopback (`127.0.0.0/8`, `::1`), the wildcards (`0.0.0.0`, `::`, also reached
 *   by any loopback host of their family) or Unix paths; port 0 takes the next free port from 32768 up, as Linux
 *   does (a closed socket's port is free again; `ephemeralPorts` sets the range). Another host gives `[Errno 99] Cannot assign requested address`; a taken address `[Errno 98]`.
 * - **Delivery.** What a socket writes is delivered in steps. A step makes the connections that were asked for
 *   (or refuses them), then hands each direction that has bytes in flight its next delivery: everything when the
 *   direction has no {@link MemoryPipe.chunkSize}, else at most that many bytes, one delivery per step. Steps run
 *   by themselves (one per turn of Node's event loop, `setImmediate`), or, with `{ auto: false }`, when the test
 *   calls {@link MemoryNetwork.step}. Directions take turns in the order they first had something to deliver.
 * - **Flow control.** A receiving socket takes bytes up to its `SO_RCVBUF`, then stops (as on the real wire);
 *   bytes not yet delivered count in the sender's send buffer, so a direction that is held or whose reader does
 *   not read fills the sender's `SO_SNDBUF`: `send()` goes partial, then raises `BlockingIOError`.
 * - **Faults.** {@link MemoryPipe.hold} keeps a direction's bytes in flight until {@link MemoryPipe.release};
 *   {@link MemoryNetwork.reset} breaks a connection (both ends: `ConnectionResetError`);
 *   {@link MemoryNetwork.refuse} makes an address refuse connections even while something listens there.
 * - **Close.** As on the kernel: `close()` with unread data resets the peer (TCP); otherwise the peer reads what
 *   was sent, then end of stream. Bytes that reach a closed socket reset their sender.
 * - **Restarts and privileges.** The end that closes a connection first leaves its address in TIME_WAIT for
 *   {@link MemoryNetworkOptions.timeWait} seconds (60) of the network's clock, which only
 *   {@link MemoryNetwork.advance} moves: until then a `bind()` of that port fails with `[Errno 98] Address
 *   already in use` unless both sockets set SO_REUSEADDR. Ports below 1024 need
 *   {@link MemoryNetworkOptions.administrator}: else `bind()` raises `PermissionError: [Errno 13]`, as for a
 *   normal user on Linux (`lib/kernel/bind-rules.ts` has the rules).
 *
 * @example
 * ```ts
 * using network = new MemoryNetwork({ chunkSize: 1 }).install(); // socket.socket() now makes in-memory sockets
 * const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * lsock.bind(["127.0.0.1", 65432]);
 * await lsock.listen();
 * // ... run the course's server and client unchanged; each recv() gets one byte.
 * ```
 * @module
 */
import { EventEmitter } from "node:events";
import * as net from "node:net";

import type { BindPrivilege, PortUse } from "../kernel/bind-rules.ts";
import { TimeWaitTable } from "../kernel/time-wait.ts";
import { RuntimeError } from "../python/errors.ts";
import { repr } from "../python/repr.ts";
import {
  AF_INET,
  SOCK_STREAM,
  socket,
  type Address,
  type BlockingSocket,
  type Socket,
} from "../python/socket.ts";
import { setDefaultWire, type Wire, type WireServer, type WireStream } from "./wire.ts";

/** Options of a {@link MemoryNetwork}. */
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
  /** Seconds an address stays in TIME_WAIT after its connection closed first (default 60, Linux's). */
  readonly timeWait?: number;
  /** Run as an administrator (root): ports below the unprivileged start can be bound (default `false`). */
  readonly administrator?: boolean;
  /** Linux's `net.ipv4.ip_unprivileged_port_start` on this network (default 1024). */
  readonly unprivilegedPortStart?: number;
}

/** What a connection's write is waiting for. */
interface Write {
  readonly chunk: Buffer;
  offset: number;
  readonly callback: (err?: Error | null) => void;
}

/**
 * One direction of a connection: the bytes one socket sent that its peer has not yet received. The test holds it,
 * releases it, or limits its deliveries.
 */
export class MemoryPipe {
  /** Most bytes one delivery hands over; `null`: the network's {@link MemoryNetwork.chunkSize}. */
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
  constructor(private readonly network: MemoryNetwork) {}

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
  }

  /** Deliver again what was held, and what follows. */
  release(): void {
    this.held = false;
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

  /** @internal Drop what is in flight (a reset or a destroy); the writes are told. */
  drop(): void {
    const writes = this.writes.splice(0);
    this.bytes = 0;
    for (const write of writes) {
      this.network.later(() => {
        write.callback(null);
      });
    }
  }
}

interface StreamEvents {
  data: [chunk: Buffer];
  end: [];
  error: [err: Error];
  close: [];
  connect: [];
}

/** @internal One end of an in-memory connection, with the part of `net.Socket` that `socket.ts` uses. */
export class MemoryStream extends EventEmitter<StreamEvents> implements WireStream {
  /** The direction this end sends on. */
  readonly out: MemoryPipe;
  /** The direction this end receives on. */
  readonly in: MemoryPipe;
  paused = false;
  destroyed = false;
  private destroyWhenEnded = false;
  localAddress: string | undefined = undefined;
  localPort: number | undefined = undefined;
  remoteAddress: string | undefined = undefined;
  remotePort: number | undefined = undefined;

  constructor(
    readonly network: MemoryNetwork,
    outgoing: MemoryPipe,
    incoming: MemoryPipe,
  ) {
    super();
    this.out = outgoing;
    this.in = incoming;
    outgoing.from = this;
    incoming.to = this;
  }

  get writableLength(): number {
    return this.out.bytes;
  }

  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.out.ending) {
      this.network.later(() => {
        callback(nodeError("EPIPE", "write EPIPE"));
      });
      return false;
    }
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.out.writes.push({ chunk: buffer, offset: 0, callback });
    this.out.bytes += buffer.length;
    this.network.activate(this.out);
    return true;
  }

  end(): this {
    if (!this.out.ending) {
      this.closingFirst();
      this.out.ending = true;
      this.network.activate(this.out);
    }
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    this.network.activate(this.in);
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  setNoDelay(_noDelay: boolean): this {
    return this;
  }

  setKeepAlive(_enable: boolean): this {
    return this;
  }

  /** Close now: what was not delivered is dropped; the peer then sees end of stream. */
  destroy(): this {
    if (this.destroyed) return this;
    this.markDestroyed();
    this.out.drop();
    if (!this.out.ending) {
      this.closingFirst();
      this.out.ending = true;
      this.network.activate(this.out);
    }
    this.network.later(() => this.emit("close"));
    return this;
  }

  destroySoon(): void {
    if (this.destroyed) return;
    this.end();
    if (this.out.ended || this.out.to === null) this.destroy();
    else this.destroyWhenEnded = true;
  }

  /**
   * Close now and reset the peer: it sees `ECONNRESET` once it has received what was already sent (bytes sent
   * before the reset were on their way).
   */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    this.markDestroyed();
    this.out.ended = true;
    this.out.resetting = true;
    this.network.activate(this.out);
    this.network.later(() => this.emit("close"));
    return this;
  }

  /** The connection failed: `error` with `code`, then `close`. */
  fail(code: string, message: string): void {
    if (this.destroyed) return;
    this.markDestroyed();
    this.out.drop();
    this.in.drop();
    this.out.ended = true;
    this.network.later(() => {
      this.emit("error", nodeError(code, message));
      this.emit("close");
    });
  }

  /** The port this end took from the network's ephemeral ones (a connecting end), given back when it is gone. */
  ephemeralPort: number | null = null;

  /** Gone: give the port back. */
  private markDestroyed(): void {
    this.destroyed = true;
    if (this.ephemeralPort !== null) this.network.releasePort(this.ephemeralPort);
    this.ephemeralPort = null;
  }

  /** This end closes its side: first (the peer has not), a connection's address goes to TIME_WAIT. */
  private closingFirst(): void {
    if (this.in.ending || this.localAddress === undefined || this.localPort === undefined) return;
    if (this.remotePort !== undefined)
      this.network.enterTimeWait(this.localAddress, this.localPort);
  }

  /** End of stream was delivered on what this end sent. */
  sentEnd(): void {
    if (this.destroyWhenEnded) this.destroy();
  }
}

interface ServerEvents {
  connection: [stream: WireStream];
  error: [err: Error];
  listening: [];
  close: [];
}

/** @internal A listener on the memory network, with the part of `net.Server` that `socket.ts` uses. */
export class MemoryServer extends EventEmitter<ServerEvents> implements WireServer {
  private key: string | null = null;
  private info: net.AddressInfo | string | null = null;

  constructor(private readonly network: MemoryNetwork) {
    super();
  }

  listen(options: net.ListenOptions): this {
    const bound = this.network.bind(this, options);
    if (bound instanceof Error) {
      this.network.later(() => this.emit("error", bound));
      return this;
    }
    this.key = bound.key;
    this.info = bound.info;
    this.network.later(() => this.emit("listening"));
    return this;
  }

  address(): net.AddressInfo | string | null {
    return this.info;
  }

  close(): this {
    if (this.key !== null) this.network.unbind(this.key);
    this.key = null;
    this.info = null;
    this.network.later(() => this.emit("close"));
    return this;
  }

  unref(): this {
    return this;
  }
}

/** A node-style error: `code` names the errno (what `errors.ts` turns into Python's exception). */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Where a connection is going: a listener's key, and the addresses both ends will show. */
interface Destination {
  readonly keys: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly label: string;
}

/** Linux's default `net.ipv4.ip_local_port_range`. */
const EPHEMERAL_PORTS: readonly [first: number, last: number] = [32768, 60999];

/**
 * An in-memory network (see the module rules): a {@link Wire} whose connections live inside the process. Make
 * sockets on it with {@link MemoryNetwork.socket}, or {@link MemoryNetwork.install} it so that `socket.socket()`
 * makes them, for code that makes its own sockets (the course's programs).
 */
export class MemoryNetwork implements Wire, Disposable {
  /** Most bytes one delivery hands over, for directions that set none; `null`: no limit. */
  chunkSize: number | null;
  private readonly auto: boolean;
  private readonly listeners = new Map<string, MemoryServer>();
  private readonly refused = new Set<string>();
  private readonly usedPorts = new Set<number>();
  private readonly firstPort: number;
  private readonly lastPort: number;
  private nextPort: number;
  /** Directions with something to deliver, in the order they first had. */
  private readonly active = new Set<MemoryPipe>();
  /** Events for the next step: connections to make, streams to close, errors to report. */
  private tasks: (() => void)[] = [];
  private immediate: NodeJS.Immediate | null = null;
  private previous: Wire | null = null;
  /** The network's clock, in seconds: moved only by {@link advance}. */
  private clock = 0;
  private readonly timeWaits: TimeWaitTable;
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
    this.timeWaits = new TimeWaitTable(options.timeWait);
    this.rights = {
      administrator: options.administrator ?? false,
      unprivilegedPortStart: options.unprivilegedPortStart ?? 1024,
    };
  }

  // Wire

  /** @internal `net.connect` on this network. */
  connect(options: net.NetConnectOpts): WireStream {
    const stream = new MemoryStream(this, new MemoryPipe(this), new MemoryPipe(this));
    const destination =
      "path" in options ? unixDestination(options.path) : inetDestination(options);
    if (!("path" in options)) {
      const local = options.localAddress;
      stream.localAddress = local !== undefined && !isWildcard(local) ? local : destination.host;
      if (options.localPort !== undefined && options.localPort !== 0) {
        stream.localPort = options.localPort;
      } else {
        const port = this.ephemeralPort();
        if (port === null) {
          // Linux's connect() when the range is used up.
          stream.fail("EADDRNOTAVAIL", "connect EADDRNOTAVAIL");
          return stream;
        }
        stream.localPort = stream.ephemeralPort = port;
      }
    }
    this.later(() => {
      this.complete(stream, destination);
    });
    return stream;
  }

  /** @internal `net.createServer` on this network. */
  createServer(_options: net.ServerOpts): WireServer {
    return new MemoryServer(this);
  }

  /** @internal The listeners and TIME_WAIT addresses of `port`, for `bind()` (see the module rules). */
  portUses(port: number): PortUse[] {
    const uses: PortUse[] = this.timeWaits.uses(port, this.clock);
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

  /** @internal A connection on `host`:`port` closed first: the address is in TIME_WAIT from now. */
  enterTimeWait(host: string, port: number): void {
    this.timeWaits.enter(host, port, this.clock);
  }

  // The test's controls

  /** The network's clock, in seconds since it was made (TIME_WAIT runs on it). */
  get now(): number {
    return this.clock;
  }

  /** How many addresses are in TIME_WAIT now. */
  get timeWaitCount(): number {
    return this.timeWaits.count(this.clock);
  }

  /** Move the network's clock `seconds` on: TIME_WAIT ends for the addresses whose time has come. */
  advance(seconds: number): void {
    this.clock += seconds;
  }

  /**
   * Make this network the wire of the sockets `socket.socket()` makes from now on (sockets made before keep
   * theirs), until `uninstall()` or the end of a `using` block.
   * @throws RuntimeError when already installed.
   */
  install(): this {
    if (this.previous !== null) throw new RuntimeError("this MemoryNetwork is already installed");
    this.previous = setDefaultWire(this);
    return this;
  }

  /** Give `socket.socket()` back the wire it had before {@link install}. Does nothing when not installed. */
  uninstall(): void {
    if (this.previous === null) return;
    setDefaultWire(this.previous);
    this.previous = null;
  }

  /** `using network = new MemoryNetwork().install()`: uninstalls at the end of the block. */
  [Symbol.dispose](): void {
    this.uninstall();
  }

  /**
   * Python's `socket.socket(family, type, proto)` on this network, installed or not.
   * @throws OSError as `socket.socket()` does.
   */
  socket(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0): BlockingSocket {
    const previous = setDefaultWire(this);
    try {
      return socket(family, type, proto);
    } finally {
      setDefaultWire(previous);
    }
  }

  /**
   * The direction `sock` sends on: hold it, release it, limit its deliveries.
   * @throws TypeError when `sock` has no connection on this network (never connected, or another wire).
   */
  outgoing(sock: Socket): MemoryPipe {
    return this.streamOf(sock).out;
  }

  /** The direction `sock` receives on (its peer's outgoing). @throws TypeError as {@link outgoing}. */
  incoming(sock: Socket): MemoryPipe {
    return this.streamOf(sock).in;
  }

  /**
   * Break the connection of `sock`, as a reset on the way would: what is in flight is lost, and both ends see
   * `ConnectionResetError` (104) at their next `recv`/`send`, and readiness (readable and writable) at once.
   * @throws TypeError as {@link outgoing}.
   */
  reset(sock: Socket): void {
    const stream = this.streamOf(sock);
    const peer = stream.out.to;
    stream.fail("ECONNRESET", "read ECONNRESET");
    if (peer !== null && peer !== stream) peer.fail("ECONNRESET", "read ECONNRESET");
  }

  /**
   * Make connections to `address` refused (`ConnectionRefusedError`, 111), even while a socket listens there;
   * `refuse(address, false)` lets them through again.
   */
  refuse(address: Address, on = true): void {
    const keys =
      typeof address === "string" ? [unixKey(address)] : [inetKey(address[0], address[1])];
    for (const key of keys) {
      if (on) this.refused.add(key);
      else this.refused.delete(key);
    }
  }

  /**
   * Run one step (see the module rules): make or refuse the connections asked for, report what happened, then one
   * delivery in each direction that has bytes in flight and is not held.
   * @returns whether anything happened.
   */
  step(): boolean {
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

  /** @internal Reserve a listener's address. @returns the key and address, or the error to report. */
  bind(
    server: MemoryServer,
    options: net.ListenOptions,
  ): { key: string; info: net.AddressInfo | string } | Error {
    if (options.path !== undefined) {
      const key = unixKey(options.path);
      if (this.listeners.has(key)) {
        return nodeError("EADDRINUSE", `listen EADDRINUSE: address already in use ${options.path}`);
      }
      this.listeners.set(key, server);
      return { key, info: options.path };
    }
    const host = options.host ?? "::";
    const v6 = net.isIPv6(host);
    if (!isWildcard(host) && !isLoopback(host)) {
      return nodeError("EADDRNOTAVAIL", `listen EADDRNOTAVAIL: address not available ${host}`);
    }
    let port = options.port ?? 0;
    if (port === 0) {
      const free = this.ephemeralPort();
      // Linux's listen() when no port is left to bind to.
      if (free === null) return nodeError("EADDRINUSE", "listen EADDRINUSE: no free port");
      port = free;
    } else if (this.portTaken(host, port)) {
      return nodeError("EADDRINUSE", `listen EADDRINUSE: address already in use ${host}:${port}`);
    }
    const key = inetKey(host, port);
    this.listeners.set(key, server);
    this.usedPorts.add(port);
    return { key, info: { address: host, family: v6 ? "IPv6" : "IPv4", port } };
  }

  /** @internal Free a listener's address. */
  unbind(key: string): void {
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

  /** The next free port of the range, or `null` when all are taken. */
  private ephemeralPort(): number | null {
    for (let tries = 0; tries <= this.lastPort - this.firstPort; tries++) {
      const port = this.nextPort;
      this.nextPort = port === this.lastPort ? this.firstPort : port + 1;
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
    return null;
  }

  /** Make the connection `stream` asked for, or refuse it. */
  private complete(stream: MemoryStream, destination: Destination): void {
    if (stream.destroyed) return;
    let server: MemoryServer | undefined;
    for (const key of destination.keys) {
      if (this.refused.has(key)) break;
      server = this.listeners.get(key);
      if (server !== undefined) break;
    }
    if (server === undefined) {
      stream.fail("ECONNREFUSED", `connect ECONNREFUSED ${destination.label}`);
      return;
    }
    // The accepted end sends on the pipe the connecting end receives on, and receives on the other.
    const accepted = new MemoryStream(this, stream.in, stream.out);
    stream.remoteAddress = destination.host;
    stream.remotePort = destination.port;
    accepted.localAddress = destination.host;
    accepted.localPort = destination.port;
    accepted.remoteAddress = stream.localAddress;
    accepted.remotePort = stream.localPort;
    server.emit("connection", accepted);
    stream.emit("connect");
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
      pipe.from?.fail("EPIPE", "write EPIPE");
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
      to.emit("data", piece);
      if (done) write.callback(null);
    } while (limit === Infinity && !to.paused && !to.destroyed);
    if (pipe.writes.length === 0 && pipe.resetting) {
      pipe.resetting = false;
      to.fail("ECONNRESET", "read ECONNRESET");
      return;
    }
    if (pipe.writes.length === 0 && pipe.ending && !pipe.ended) {
      pipe.ended = true;
      if (!to.destroyed) to.emit("end");
      pipe.from?.sentEnd();
    }
  }

  private schedule(): void {
    if (!this.auto || this.immediate !== null) return;
    if (this.tasks.length === 0 && this.active.size === 0) return;
    this.immediate = setImmediate(this.onImmediate);
  }

  private streamOf(sock: Socket): MemoryStream {
    const stream = sock.core.stream;
    if (!(stream instanceof MemoryStream) || stream.network !== this) {
      throw new TypeError(`${repr(sock)} has no connection on this memory network`);
    }
    return stream;
  }
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
  return { keys: [unixKey(path)], host: path, port: 0, label: path };
}

function inetDestination(options: net.TcpNetConnectOpts): Destination {
  const v6 = options.family === 6;
  let host = options.host ?? "localhost";
  if (host === "localhost") host = v6 ? "::1" : "127.0.0.1";
  const port = options.port;
  const keys = [inetKey(host, port)];
  if (isLoopback(host) || isWildcard(host)) keys.push(inetKey(v6 ? "::" : "0.0.0.0", port));
  return { keys, host, port, label: `${host}:${port}` };
}
