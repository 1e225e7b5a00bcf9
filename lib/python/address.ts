/**
 * Socket addresses as Python writes them, and their checks: `('127.0.0.1', 65432)` for AF_INET, `('::1', 65432,
 * 0, 0)` for AF_INET6 (host, port, flowinfo, scope id), a path for AF_UNIX (`''` when unnamed). Below the faces
 * the kernel speaks of `Endpoint`s; this module converts both ways.
 * @module
 */
import { isIPv4, isIPv6 } from "node:net";

import { AF_INET6, AF_UNIX } from "../kernel/constants.ts";
import type { Endpoint } from "../transport/interface.ts";
import { typeName } from "./arguments.ts";
import { OverflowError, fromErrno } from "./errors.ts";
import { specialHost } from "./host-lookup.ts";

/** An IPv4 address, as Python writes it: `('127.0.0.1', 65432)`. */
export type InetAddress = readonly [host: string, port: number];
/** An IPv6 address, as Python gives it: `('::1', 65432, 0, 0)` (host, port, flowinfo, scope id). */
export type Inet6Address = readonly [host: string, port: number, flowinfo: number, scopeId: number];
/** A Unix domain socket address: a path, or `''` when unnamed. */
export type UnixAddress = string;
/** Any socket address. */
export type Address = InetAddress | Inet6Address | UnixAddress;

/** getaddrinfo()'s EAI_ADDRFAMILY, as Python's `socket.gaierror` numbers it. */
const EAI_ADDRFAMILY = -9;

/** An address of `family` as Python writes it. */
export function format(family: number, host: string, port: number): Address {
  return family === AF_INET6 ? [host, port, 0, 0] : [host, port];
}

/** The kernel's endpoint as Python writes it for a socket of `family`. */
export function toAddress(family: number, endpoint: Endpoint): Address {
  return endpoint.kind === "unix" ? endpoint.path : format(family, endpoint.host, endpoint.port);
}

/**
 * Check an address as Python does for this family and call (`fn` names it in messages), and make it an endpoint.
 * @throws TypeError for the wrong shape or types; `gaierror(-9)` for an IP literal of the other family;
 *   OverflowError for a port outside 0–65535 or a flowinfo outside 0–1048575.
 */
export function normalize(family: number, address: Address, fn: string): Endpoint {
  if (family === AF_UNIX) {
    if (typeof address !== "string") {
      throw new TypeError(`a bytes-like object is required, not '${typeName(address)}'`);
    }
    return { kind: "unix", path: address };
  }
  const v6 = family === AF_INET6;
  if (typeof address === "string" || !Array.isArray(address)) {
    // Python: `bind(): AF_INET address must be tuple, not str`.
    throw new TypeError(
      `${fn}(): AF_INET${v6 ? "6" : ""} address must be tuple, not ${typeName(address)}`,
    );
  }
  if (v6 ? address.length < 2 || address.length > 4 : address.length !== 2) {
    throw new TypeError(
      v6
        ? "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"
        : "AF_INET address must be a pair (host, port)",
    );
  }
  const [host, port] = address;
  if (typeof host !== "string")
    throw new TypeError(`str, bytes or bytearray expected, not ${typeName(host)}`);
  if (!Number.isInteger(port))
    throw new TypeError(`'${typeName(port)}' object cannot be interpreted as an integer`);
  // Python resolves the host for the socket's family before it checks the port: an IP literal of the other
  // family is `gaierror(-9, 'Address family for hostname not supported')` (getaddrinfo's EAI_ADDRFAMILY).
  // An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is IPv6.
  if (v6 ? isIPv4(host) : isIPv6(host)) throw fromErrno(EAI_ADDRFAMILY);
  if (port < 0 || port > 65535) throw new OverflowError(`${fn}(): port must be 0-65535.`);
  const items: readonly unknown[] = address;
  const flowinfo = v6 ? (items[2] ?? 0) : 0;
  if (typeof flowinfo !== "number" || !Number.isInteger(flowinfo)) {
    throw new TypeError(`'${typeName(flowinfo)}' object cannot be interpreted as an integer`);
  }
  if (flowinfo < 0 || flowinfo > 0xfffff) {
    throw new OverflowError(`${fn}(): flowinfo must be 0-1048575.`);
  }
  return { kind: "inet", host: specialHost(family, host), port };
}
