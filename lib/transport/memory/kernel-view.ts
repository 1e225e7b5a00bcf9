/**
 * What the memory network's tools read of the kernel's sockets above it: a socket's fd, its receive queue and
 * buffer size, a listener's accept queue. The network carries bytes and drives no socket; like `ss`, which reads
 * the kernel's tables, the tools look the sockets up.
 *
 * The rules:
 * - A connection's socket is the sink its stream reports to (`stream.sink`, the kernel's `StreamSocket`); one its
 *   listener has not yet accepted has no fd (-1).
 * - A listener's socket is found in the fd table (`lib/kernel/fd.ts`) by the wire listener it holds (`listener`).
 * - Fields are read through {@link KernelSocket}, checked at run time: an object without them is no socket of
 *   ours, and is passed over.
 * - Only the tools look (a socket table, a capture's windows): delivery never does.
 * @module
 */
import { openFds } from "../../kernel/fd.ts";

/** The fields of a kernel socket (`lib/kernel/stream-socket.ts`) the tools read. */
export interface KernelSocket {
  /** Its fd, or -1 (closed, or not yet accepted). */
  readonly fd: number;
  /** Bytes received, not yet read. */
  readonly buffered: number;
  /** The receive queue as `ss` shows a TCP socket's: {@link buffered}, and one for a FIN not yet read. */
  readonly receiveQueue: number;
  /** `SO_RCVBUF`. */
  readonly rcvbuf: number;
}

/** A listening kernel socket: its accept queue too. */
export interface KernelListener extends KernelSocket {
  /** Connections made, not yet accepted. */
  readonly pending: readonly unknown[];
}

/** `value` as a {@link KernelSocket}, or `undefined` when it is not one. */
export function asKernelSocket(value: unknown): KernelSocket | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (!("fd" in value) || !("buffered" in value) || !("rcvbuf" in value)) return undefined;
  const { fd, buffered, rcvbuf } = value;
  if (typeof fd !== "number" || typeof buffered !== "number" || typeof rcvbuf !== "number") {
    return undefined;
  }
  // A stream socket counts its peer's FIN (StreamSocket.receiveQueue); a datagram socket has none to count.
  const queue = "receiveQueue" in value ? value.receiveQueue : buffered;
  return { fd, buffered, rcvbuf, receiveQueue: typeof queue === "number" ? queue : buffered };
}

/** The open listening sockets, by the wire listener each holds (one pass over the fd table). */
export function listenersByWire(): Map<unknown, KernelListener> {
  const found = new Map<unknown, KernelListener>();
  for (const [, owner] of openFds()) {
    const sock = asKernelSocket(owner);
    if (sock === undefined || !("listener" in owner) || !("pending" in owner)) continue;
    const { listener, pending } = owner;
    if (listener === null || !Array.isArray(pending)) continue;
    found.set(listener, { ...sock, pending: pending as readonly unknown[] });
  }
  return found;
}
