/**
 * A listener on the memory network, driven by the kernel as any `WireListener`: it reserves its address at the
 * network (a host name is looked up first, as on `node:net`), then hands each connection that reaches it to the
 * kernel's sink. Outcomes are reported at the network's next step.
 * @module
 */
import type { Endpoint, ListenRequest, ListenerSink, WireListener } from "../interface.ts";
import { resolveHost } from "../resolve.ts";
import type { MemoryWire } from "./network.ts";

/** @internal A listener on the memory network. */
export class MemoryListener implements WireListener {
  private key: string | null = null;
  private info: Endpoint | null = null;
  private closed = false;
  /** `listen()`'s backlog, shown by the socket table. */
  readonly backlog: number;

  constructor(
    private readonly network: MemoryWire,
    request: ListenRequest,
    readonly sink: ListenerSink,
  ) {
    this.backlog = request.backlog;
    const at = request.at;
    if (at.kind === "unix") {
      this.bind(at);
      return;
    }
    resolveHost(at.host, request.ipVersion, (errno, host) => {
      if (this.closed) return; // closed meanwhile
      if (errno !== 0) sink.error(errno);
      else this.bind({ kind: "inet", host, port: at.port });
    });
  }

  private bind(at: Endpoint): void {
    const bound = this.network.bind(this, at);
    if (typeof bound === "number") {
      this.network.later(() => {
        this.sink.error(bound);
      });
      return;
    }
    this.key = bound.key;
    this.info = bound.info;
    this.network.later(() => {
      this.sink.listening();
    });
  }

  address(): Endpoint | null {
    return this.info;
  }

  close(): void {
    this.closed = true;
    if (this.key !== null) this.network.unbind(this.key);
    this.key = null;
    this.info = null;
  }
}
