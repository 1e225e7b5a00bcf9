/**
 * The numbers a socket is made and driven with: address families, socket types, `shutdown()` directions.
 * Linux's values, which are Python's (`socket.AF_INET == 2`); `lib/python/socket.ts` exports them under the
 * same names.
 * @module
 */

/** Address family: Unix domain sockets (a filesystem path). */
export const AF_UNIX = 1;
/** Address family: IPv4, addresses `[host, port]`. */
export const AF_INET = 2;
/** Address family: IPv6, addresses `[host, port, flowinfo, scopeId]`. */
export const AF_INET6 = 10;
/** Socket type: a byte stream (TCP, or a Unix stream socket). */
export const SOCK_STREAM = 1;
/** Socket type: datagrams (UDP, or a Unix datagram socket): message boundaries kept, no connection. */
export const SOCK_DGRAM = 2;
/** `shutdown()`: no more receives. */
export const SHUT_RD = 0;
/** `shutdown()`: no more sends (the peer sees end of stream). */
export const SHUT_WR = 1;
/** `shutdown()`: both. */
export const SHUT_RDWR = 2;
