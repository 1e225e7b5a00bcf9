/**
 * Linux's rules for `bind()` of a TCP port, as measured with python3 (Linux 6, CPython 3.11):
 *
 * | the port is held by                                   | old SO_REUSEADDR | new SO_REUSEADDR | bind()  |
 * |-------------------------------------------------------|------------------|------------------|---------|
 * | a listening socket (alive)                            | any              | any              | 98      |
 * | a bound socket, not listening                         | 0 / 1 / 0        | 0 / 0 / 1        | 98      |
 * | a bound socket, not listening                         | 1                | 1                | ok      |
 * | TIME_WAIT left by a server that closed first          | 0 / 1 / 0        | 0 / 0 / 1        | 98      |
 * | TIME_WAIT left by a server that closed first          | 1                | 1                | ok      |
 * | the client closed first (TIME_WAIT on the client's)   | any              | any              | ok      |
 * | a connected socket on the port (e.g. its ephemeral)   | 0                | any              | 98      |
 *
 * "Held" means the same port and an overlapping address: the same address, or either one the wildcard
 * (`0.0.0.0`, `::`): `0.0.0.0` and `127.0.0.1` overlap (98 without SO_REUSEADDR on both), `127.0.0.1` and
 * `127.0.0.2` do not. An IPv6 wildcard socket is dual-stack (Linux's default), so it overlaps IPv4 too. The
 * second `bind()` is where it fails, not `listen()`.
 *
 * Ports below `net.ipv4.ip_unprivileged_port_start` (1024 by default) need CAP_NET_BIND_SERVICE (root has it):
 * without it `bind()` fails with 13 (EACCES), before the port is looked at. Port 0 asks for a free port: never in
 * use, never privileged.
 *
 * Where the old socket's SO_REUSEADDR is not known (a TIME_WAIT or connection of another process, read from the
 * kernel's table), it is taken as set: the new socket's option then decides, as in the course's restart.
 * @module
 */
import { constants } from "node:os";

/** Another use of a port: what `bind()` may collide with. */
export interface PortUse {
  /** The local address (`0.0.0.0` / `::` for the wildcard). */
  readonly host: string;
  /** The local port. */
  readonly port: number;
  /** `bound`: bound, not listening; `listening`; `connected` (any state of a connection); `time-wait`. */
  readonly state: "bound" | "listening" | "connected" | "time-wait";
  /** That socket's SO_REUSEADDR, or `null` when not known (another process's). */
  readonly reuseaddr: boolean | null;
}

/** What a `bind()` asks for. */
export interface BindRequest {
  readonly host: string;
  readonly port: number;
  readonly reuseaddr: boolean;
}

/** Who binds: the lowest port bound without the right, and whether the process has the right. */
export interface BindPrivilege {
  /** `net.ipv4.ip_unprivileged_port_start`. */
  readonly unprivilegedPortStart: number;
  /** CAP_NET_BIND_SERVICE (root, or an administrator on the memory network). */
  readonly administrator: boolean;
}

const EACCES = constants.errno.EACCES;
const EADDRINUSE = constants.errno.EADDRINUSE;

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "::ffff:0.0.0.0";
}

function isV6(host: string): boolean {
  return host.includes(":");
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for, else the host itself. */
function unmapped(host: string): string {
  return host.toLowerCase().startsWith("::ffff:") && host.includes(".") ? host.slice(7) : host;
}

/** Do two local addresses overlap (the same, or one of them a wildcard that covers the other)? */
export function overlaps(a: string, b: string): boolean {
  if (isV6(a) !== isV6(b)) {
    // Only a dual-stack IPv6 socket reaches IPv4: the wildcard, or an IPv4-mapped address.
    const [v6, v4] = isV6(a) ? [a, b] : [b, a];
    if (v6 === "::") return true;
    const mapped = unmapped(v6);
    return mapped !== v6 && (mapped === v4 || isWildcard(mapped) || isWildcard(v4));
  }
  return a === b || isWildcard(a) || isWildcard(b);
}

/**
 * The errno `bind()` fails with under Linux's rules (see the module's table), or 0.
 * @param uses the port's other uses: this process's sockets and, on a real network, the kernel's table
 * @param assumeReuse the old socket's SO_REUSEADDR where `uses` does not know it
 */
export function bindErrno(
  request: BindRequest,
  uses: Iterable<PortUse>,
  privilege: BindPrivilege,
  assumeReuse: (port: number) => boolean = () => true,
): number {
  if (request.port === 0) return 0;
  if (request.port < privilege.unprivilegedPortStart && !privilege.administrator) return EACCES;
  for (const use of uses) {
    if (use.port !== request.port || !overlaps(use.host, request.host)) continue;
    if (use.state === "listening") return EADDRINUSE;
    const old = use.reuseaddr ?? assumeReuse(use.port);
    if (!(request.reuseaddr && old)) return EADDRINUSE;
  }
  return 0;
}
