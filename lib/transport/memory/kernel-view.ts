/**
 * What the memory network's tools read of the sockets above it: a socket's fd, its receive queue and buffer size,
 * a listener's accept queue. The network carries bytes and knows no socket; like `ss`, which reads the kernel's
 * tables, the tools look the sockets up in the fd table (`lib/kernel/fd.ts`), by the stream or listener they hold.
 *
 * The rules:
 * - A socket is found by the wire object it holds (`stream` or `server`); a connection its listener has not yet
 *   accepted has no fd and is found in the listener's accept queue (`pending`).
 * - Lookups read the socket's fields through {@link KernelSocket}, checked at run time: an object without them is
 *   no socket of ours, and is skipped.
 * - Only the tools look (a socket table, a capture's windows): delivery never does.
 * @module
 */
import { fdGeneration, openFds } from "../../kernel/fd.ts";

/** The fields of a socket (`socket.ts`'s state) the tools read. */
export interface KernelSocket {
  /** Its fd, or -1 (closed, or not yet accepted). */
  readonly fd: number;
  /** The connection it holds, if any. */
  readonly stream: unknown;
  /** The listener it holds, if any. */
  readonly server: unknown;
  /** A listener's connections not yet accepted. */
  readonly pending: readonly unknown[];
  /** Bytes received, not yet read. */
  readonly buffered: number;
  /** `SO_RCVBUF`. */
  readonly rcvbuf: number;
}

function isKernelSocket(value: unknown): value is KernelSocket {
  if (typeof value !== "object" || value === null) return false;
  return (
    "fd" in value &&
    typeof value.fd === "number" &&
    "stream" in value &&
    "server" in value &&
    "pending" in value &&
    Array.isArray(value.pending) &&
    "buffered" in value &&
    typeof value.buffered === "number" &&
    "rcvbuf" in value &&
    typeof value.rcvbuf === "number"
  );
}

/**
 * The sockets by the wire object they hold. Made fresh it reads the fd table once (a socket table); kept, it
 * reads it again when a lookup misses and fds were taken or given back since (a capture's windows).
 */
export class KernelView {
  private readonly byWire = new Map<unknown, KernelSocket>();
  private scanned = -1;

  constructor() {
    this.scan();
  }

  /** The socket holding `wire` (a stream or a listener), if open or waiting to be accepted. */
  socketOf(wire: unknown): KernelSocket | undefined {
    const found = this.byWire.get(wire);
    if (found !== undefined || this.scanned === fdGeneration()) return found;
    this.scan();
    return this.byWire.get(wire);
  }

  private scan(): void {
    this.scanned = fdGeneration();
    this.byWire.clear();
    for (const [, owner] of openFds()) {
      if (!isKernelSocket(owner)) continue;
      if (owner.stream !== null) this.byWire.set(owner.stream, owner);
      if (owner.server !== null) this.byWire.set(owner.server, owner);
      for (const conn of owner.pending) {
        if (isKernelSocket(conn) && conn.stream !== null) this.byWire.set(conn.stream, conn);
      }
    }
  }
}
