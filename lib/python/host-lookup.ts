/**
 * Host names where an address is expected: what `bind()` and `connect()` do with a name, as Python does (it calls
 * getaddrinfo() for the socket's family): `''` is the any-address, `'<broadcast>'` the broadcast address (IPv4),
 * an address of the socket's family is taken as it is, an address of the other family is `gaierror` -9, and a
 * name is resolved to the first address of the family the resolver gives (`gaierror` -2 when it has none).
 * @module
 */
import { int } from "./int-enum.ts";
import { getaddrinfo } from "./netdb.ts";
import { numericHost } from "./ip-text.ts";
import { AF_INET, AF_INET6, SOCK_STREAM } from "./socket-constants.ts";
import { fromErrno } from "./errors.ts";

/** The any-address of a family (`''` in bind()). */
export function anyHost(family: number): string {
  return int(family) === 10 ? "::" : "0.0.0.0";
}

/** The host `bind()`/`connect()` use for Python's special strings: `''` any-address, `'<broadcast>'` (IPv4). */
export function specialHost(family: number, host: string): string {
  if (host === "") return anyHost(family);
  return host === "<broadcast>" && int(family) !== 10 ? "255.255.255.255" : host;
}

/** Does `host` need the resolver (a name, not an address and not one of Python's special strings)? */
export function needsLookup(host: string): boolean {
  return host !== "" && host !== "<broadcast>" && numericHost(host) === null;
}

/**
 * The address a host name stands for, for a socket of `family` (`bind()`, `connect()` with a name): a numeric
 * host as Python parses it (`''` any-address, `'<broadcast>'`), else the resolver's first address of the family.
 * @throws gaierror -2 when the name has no address of the family, -9 for an address of the other family.
 */
export async function resolveFor(family: number, host: string): Promise<string> {
  const v6 = int(family) === 10;
  if (host === "") return v6 ? "::" : "0.0.0.0";
  if (host === "<broadcast>" && !v6) return "255.255.255.255";
  const [first] = await getaddrinfo(host, null, v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
  if (first === undefined) throw fromErrno(-2);
  return first[4][0];
}
