/**
 * The errno numbers the kernel's model returns, Linux's values (`errno.h`). The kernel reports a failed call as
 * one of these; the faces above turn it into Python's exception (`lib/python/errors.ts`).
 * @module
 */

/** Interrupted system call. */
export const EINTR = 4;
/** Input/output error: an error a wire could not name. */
export const EIO = 5;
/** Bad file descriptor: the socket is closed. */
export const EBADF = 9;
/** Resource temporarily unavailable: the call would block. */
export const EAGAIN = 11;
/** Permission denied: a broadcast without `SO_BROADCAST`. */
export const EACCES = 13;
/** Invalid argument. */
export const EINVAL = 22;
/** Broken pipe: writing was shut down, or the connection broke. */
export const EPIPE = 32;
/** Destination address required: a datagram socket's send() without a peer. */
export const EDESTADDRREQ = 89;
/** Message too long: a datagram larger than the socket can send. */
export const EMSGSIZE = 90;
/** Protocol not available: an unknown socket option. */
export const ENOPROTOOPT = 92;
/** Protocol not supported. */
export const EPROTONOSUPPORT = 93;
/** Socket type not supported: a type the family does not have. */
export const ESOCKTNOSUPPORT = 94;
/** Operation not supported: listen()/accept() on a datagram socket. */
export const EOPNOTSUPP = 95;
/** Address family not supported by protocol. */
export const EAFNOSUPPORT = 97;
/** Address already in use. */
export const EADDRINUSE = 98;
/** Cannot assign requested address. */
export const EADDRNOTAVAIL = 99;
/** Connection reset by peer. */
export const ECONNRESET = 104;
/** Transport endpoint is already connected. */
export const EISCONN = 106;
/** Transport endpoint is not connected. */
export const ENOTCONN = 107;
/** Connection refused. */
export const ECONNREFUSED = 111;
/** Operation already in progress. */
export const EALREADY = 114;
/** Operation now in progress. */
export const EINPROGRESS = 115;
