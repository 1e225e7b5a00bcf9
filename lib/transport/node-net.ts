/**
 * The `node:net` wire: real TCP and Unix stream sockets under the kernel's model (see `interface.ts` for the
 * rules every wire keeps).
 *
 * - A `net.Socket`'s events become the kernel's: `data`, `end`, `error` (its `code` turned into the errno),
 *   `close`, `connect`; a write's completion becomes {@link StreamSink.written}.
 * - The listeners are shared by every socket (each finds its adapter on the `net.Socket`), and the adapter makes
 *   its write callback once: the per-message path allocates nothing of its own. After its last event (`close`)
 *   the adapter lets go of the kernel's socket, so a closed `net.Socket` that V8 has moved to its old generation
 *   does not keep the kernel's objects alive until the next full GC.
 * - A listener's host name is looked up in the socket's own family first, as Python's `bind()` does: Node would
 *   look it up in any family (`localhost` may give `::1` to an AF_INET socket).
 * - An open socket does not keep the process alive (as in Python, only waiting does): the kernel asks for
 *   {@link WireStream.keepAlive} while it has bytes on their way out.
 * @module
 */
import * as net from "node:net";

import {
  NO_SINK,
  type ConnectRequest,
  type Endpoint,
  type HostPort,
  type ListenRequest,
  type ListenerSink,
  type StreamSink,
  type Wire,
  type WireListener,
  type WireStream,
} from "./interface.ts";
import { processPrivilege } from "../kernel/privileged-ports.ts";
import { procPortUses } from "../kernel/proc-net.ts";
import { errnoOfNodeError } from "./node-errno.ts";
import { resolveHost } from "./resolve.ts";

/** Where a `net.Socket` keeps its adapter, for the listeners every socket shares. */
const adapter = Symbol("NodeStream");
type Owned = net.Socket & { [adapter]: NodeStream };

/** A `net.Socket` driven by the kernel. */
class NodeStream implements WireStream {
  private sink: StreamSink = NO_SINK;
  /** Node's callback for our writes, made at the first write. */
  private onWritten: (() => void) | null = null;

  constructor(private readonly socket: net.Socket) {
    (socket as Owned)[adapter] = this;
    socket.unref();
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
  }

  get pending(): number {
    return this.socket.writableLength;
  }

  attach(sink: StreamSink): void {
    this.sink = sink;
  }

  /** @internal */
  event(): StreamSink {
    return this.sink;
  }

  /**
   * @internal The socket has closed (its last event): forget the sink and the write callback. A closed
   * `net.Socket` often outlives a young-generation GC or two (V8 moves it to the old generation, where only a full
   * GC finds it dead), and whatever it still points to survives with it: cut there, the kernel's socket and all
   * that hangs from it die young.
   */
  detach(): void {
    this.sink = NO_SINK;
    this.onWritten = null;
  }

  write(chunk: Uint8Array): void {
    this.socket.write(
      chunk,
      (this.onWritten ??= () => {
        this.sink.written();
      }),
    );
  }

  end(): void {
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  keepAlive(on: boolean): void {
    if (on) this.socket.ref();
    else this.socket.unref();
  }

  setNoDelay(noDelay: boolean): void {
    this.socket.setNoDelay(noDelay);
  }

  setKeepAlive(enable: boolean): void {
    this.socket.setKeepAlive(enable);
  }

  close(): void {
    this.socket.destroySoon();
  }

  destroy(): void {
    this.socket.destroy();
  }

  reset(): void {
    this.socket.resetAndDestroy();
  }

  local(): HostPort | null {
    const host = this.socket.localAddress;
    const port = this.socket.localPort;
    return host !== undefined && port !== undefined ? { host, port } : null;
  }

  remote(): HostPort | null {
    const host = this.socket.remoteAddress;
    const port = this.socket.remotePort;
    return host !== undefined && port !== undefined ? { host, port } : null;
  }
}

function streamOf(socket: net.Socket): NodeStream {
  return (socket as Owned)[adapter];
}

function onData(this: net.Socket, chunk: Buffer): void {
  streamOf(this).event().data(chunk);
}

function onEnd(this: net.Socket): void {
  streamOf(this).event().end();
}

function onError(this: net.Socket, err: Error): void {
  streamOf(this).event().error(errnoOfNodeError(err));
}

function onClose(this: net.Socket): void {
  const stream = streamOf(this);
  stream.event().closed();
  stream.detach();
}

function onConnect(this: net.Socket): void {
  streamOf(this).event().connected();
}

/** A `net.Server` driven by the kernel. */
class NodeListener implements WireListener {
  private readonly server = net.createServer({ allowHalfOpen: true });
  private closed = false;

  constructor(request: ListenRequest, sink: ListenerSink) {
    const server = this.server;
    server.on("connection", (socket: net.Socket) => {
      sink.accepted(new NodeStream(socket));
    });
    server.on("error", (err: Error) => {
      sink.error(errnoOfNodeError(err));
    });
    server.once("listening", () => {
      sink.listening();
    });
    // A listening socket does not keep a program alive by itself.
    server.unref();
    const at = request.at;
    // Python passes min(backlog, 128) by default; the kernel has made it ≥ 0.
    if (at.kind === "unix") {
      server.listen({ path: at.path, backlog: request.backlog });
      return;
    }
    resolveHost(at.host, request.ipVersion, (errno, host) => {
      if (this.closed) return; // closed meanwhile
      if (errno !== 0) sink.error(errno);
      else server.listen({ host, port: at.port, backlog: request.backlog });
    });
  }

  address(): Endpoint | null {
    const info = this.server.address();
    if (info === null) return null;
    if (typeof info === "string") return { kind: "unix", path: info };
    return { kind: "inet", host: info.address, port: info.port };
  }

  close(): void {
    this.closed = true;
    this.server.close();
  }
}

/** The `node:net` wire's streams and listeners. */
export const nodeNetWire: Pick<Wire, "connect" | "listen" | "portUses" | "privilege"> = {
  connect(request: ConnectRequest): WireStream {
    const to = request.to;
    const from = request.from;
    const socket =
      to.kind === "unix"
        ? net.connect({ path: to.path, allowHalfOpen: true })
        : net.connect({
            host: to.host,
            port: to.port,
            allowHalfOpen: true,
            family: request.ipVersion,
            ...(from?.kind === "inet" ? { localAddress: from.host, localPort: from.port } : {}),
          });
    const stream = new NodeStream(socket);
    socket.once("connect", onConnect);
    return stream;
  },
  listen(request: ListenRequest, sink: ListenerSink): WireListener {
    return new NodeListener(request, sink);
  },
  // Node sets SO_REUSEADDR on every listener: the kernel's table shows what Python's bind() would meet.
  portUses: procPortUses,
  privilege: processPrivilege,
};
