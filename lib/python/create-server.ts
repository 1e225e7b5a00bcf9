/**
 * `socket.create_server()`, as Python 3.11's `socket.py` writes it: a listening TCP socket for `address`, with
 * SO_REUSEADDR set (on Linux, always), then `bind()` and `listen(backlog)`.
 *
 * The rules: `dualstack_ipv6` needs `family` AF_INET6 (`ValueError('dualstack_ipv6 requires AF_INET6 family')`)
 * and a machine with IPv6; a bind error is raised again as a plain `OSError` with the same errno and the address
 * in its text (`OSError(98, "Address already in use (while attempting to bind on address ('127.0.0.1',
 * 65432))")`), and the socket is closed. `reuse_port` (SO_REUSEPORT) is accepted and not emulated: Node 20's
 * listeners cannot set it. The listen is awaited (Node binds there).
 * @module
 */
import { OSError, ValueError } from "./errors.ts";
import { int } from "./int-enum.ts";
import { hasDualstackIpv6 } from "./netdb.ts";
import { repr } from "./repr.ts";

/** create_server()'s keyword arguments. */
export interface CreateServerOptions {
  /** `AF_INET` (default) or `AF_INET6`. */
  readonly family?: number;
  /** listen()'s backlog; Python's default when omitted. */
  readonly backlog?: number | null;
  /** SO_REUSEPORT: accepted, not emulated. */
  readonly reusePort?: boolean;
  /** An AF_INET6 socket that takes IPv4 connections too. */
  readonly dualstackIpv6?: boolean;
}

/** What create_server() needs of a socket. */
export interface ServerSocket {
  setsockopt(level: number, option: number, value: number): void;
  bind(address: never): void;
  listen(backlog?: number): Promise<void>;
  close(): void;
}

/**
 * Make, bind and listen (see the module's rules) with `make(family)`, the socket module's `socket()`.
 * @throws ValueError for `dualstackIpv6` without AF_INET6; OSError for a bind or listen error.
 */
export async function createServerWith<S extends ServerSocket>(
  make: (family: number) => S,
  address: Parameters<S["bind"]>[0],
  options: CreateServerOptions,
  levels: { readonly SOL_SOCKET: number; readonly SO_REUSEADDR: number },
): Promise<S> {
  const family = options.family ?? 2;
  if (options.dualstackIpv6 === true) {
    if (!hasDualstackIpv6()) throw new ValueError("dualstack_ipv6 not supported on this platform");
    if (int(family) !== 10) throw new ValueError("dualstack_ipv6 requires AF_INET6 family");
  }
  const sock = make(family);
  try {
    sock.setsockopt(levels.SOL_SOCKET, levels.SO_REUSEADDR, 1);
    try {
      sock.bind(address);
    } catch (e) {
      if (!(e instanceof OSError) || e.errno === null) throw e;
      throw new OSError(
        e.errno,
        `${e.strerror ?? ""} (while attempting to bind on address ${repr(address)})`,
      );
    }
    await (options.backlog === undefined || options.backlog === null
      ? sock.listen()
      : sock.listen(options.backlog));
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}
