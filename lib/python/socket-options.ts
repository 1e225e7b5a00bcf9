/**
 * Socket options, as Python's `setsockopt()` and `getsockopt()` take them: the levels and option numbers (Linux's,
 * which are Python's) and what each does to the kernel's socket. An option we do not have is `[Errno 92] Protocol
 * not available`, as Linux says of one it does not know.
 * @module
 */
import { errno, fromErrno } from "./errors.ts";
import type { KernelSocket } from "../kernel/socket.ts";
import { StreamSocket } from "../kernel/stream-socket.ts";

/** `setsockopt`/`getsockopt` level for socket options. */
export const SOL_SOCKET = 1;
/** Option: allow binding an address in TIME_WAIT. Node always sets it on listeners; we record the value. */
export const SO_REUSEADDR = 2;
/** Option (read only): the pending error, reported once, then 0. */
export const SO_ERROR = 4;
/** Option: allow sending to a broadcast address (`255.255.255.255`); without it such a send is `[Errno 13]`. */
export const SO_BROADCAST = 6;
/** Option: the send buffer size in bytes (decides writability and partial sends). */
export const SO_SNDBUF = 7;
/** Option: the receive buffer size in bytes (unread data beyond it stops reading from the network). */
export const SO_RCVBUF = 8;
/** Option: TCP keep-alive probes. */
export const SO_KEEPALIVE = 9;
/** `setsockopt`/`getsockopt` level for TCP options. */
export const IPPROTO_TCP = 6;
/** The protocol number of UDP (`socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)`). */
export const IPPROTO_UDP = 17;
/** TCP option: disable Nagle's algorithm. */
export const TCP_NODELAY = 1;

/** Set `option` at `level` on an open socket. @throws OSError 92 (ENOPROTOOPT) for other options. */
export function setOption(
  core: KernelSocket,
  level: number,
  option: number,
  value: number | boolean,
): void {
  const n = Number(value);
  const stream = core instanceof StreamSocket ? core : null;
  if (level === SOL_SOCKET && option === SO_REUSEADDR) core.reuseaddr = n;
  else if (level === SOL_SOCKET && option === SO_KEEPALIVE && stream) stream.setKeepAliveOption(n);
  else if (level === SOL_SOCKET && option === SO_BROADCAST) core.setBroadcast(n);
  else if (level === SOL_SOCKET && option === SO_SNDBUF) core.sndbuf = Math.max(1, n);
  else if (level === SOL_SOCKET && option === SO_RCVBUF) core.rcvbuf = Math.max(1, n);
  else if (level === IPPROTO_TCP && option === TCP_NODELAY && stream) stream.setNoDelayOption(n);
  else throw fromErrno(errno.ENOPROTOOPT);
  core.watchers.notify();
}

/**
 * Read `option` at `level` of an open socket. `SO_ERROR` returns the pending error's errno and clears it (reported
 * once, as in Python).
 * @throws OSError 92 (ENOPROTOOPT) for options we do not have.
 */
export function getOption(core: KernelSocket, level: number, option: number): number {
  const stream = core instanceof StreamSocket ? core : null;
  if (level === SOL_SOCKET) {
    switch (option) {
      case SO_ERROR:
        return core.takeErrno();
      case SO_REUSEADDR:
        return core.reuseaddr;
      case SO_KEEPALIVE:
        return stream?.keepalive ?? 0;
      case SO_BROADCAST:
        return core.broadcast;
      case SO_SNDBUF:
        return core.sndbuf;
      case SO_RCVBUF:
        return core.rcvbuf;
    }
  } else if (level === IPPROTO_TCP && option === TCP_NODELAY) {
    // Linux: a TCP option read from a datagram socket is "Operation not supported".
    if (stream === null) throw fromErrno(errno.EOPNOTSUPP);
    return stream.nodelay;
  }
  throw fromErrno(errno.ENOPROTOOPT);
}
