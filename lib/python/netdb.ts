/**
 * The `socket` module's names: `getaddrinfo`, `gethostbyname`, `gethostbyname_ex`, `gethostbyaddr`, `gethostname`,
 * `getfqdn`, `getnameinfo`, `getservbyname`, `getservbyport`, with Python 3.11's results and errors on Linux.
 *
 * The rules (measured with python3 on Linux, glibc):
 * - The calls that ask the resolver are awaited (Python blocks in them): they use the system's own resolver
 *   (`node:dns` `lookup`, glibc's getaddrinfo: `/etc/hosts`, then DNS), addresses in the order it gives them.
 * - `getaddrinfo()` returns 5-tuples `[family, type, proto, canonname, sockaddr]`, one per address and socket
 *   type (SOCK_STREAM/6, SOCK_DGRAM/17, SOCK_RAW/0 when `type` and `proto` leave them open), with
 *   `AddressFamily`/`SocketKind` members that print as Python's (`<AddressFamily.AF_INET: 2>`). A `null` host is
 *   the loopback addresses, or with `AI_PASSIVE` the any-addresses; a numeric host is not looked up (`'127.1'` is
 *   taken as inet_aton takes it). A named port comes from the services database (`services.ts`), per protocol.
 * - Errors are `gaierror` with glibc's numbers: -2 `Name or service not known`, -3 `Temporary failure in name
 *   resolution`, -9 `Address family for hostname not supported` (an address of the other family), -8
 *   `Servname not supported for ai_socktype`, -7, -6, -1 for a bad type, family or flags, checked in glibc's order.
 * - `AI_CANONNAME`'s name is the host as given (Node's resolver does not report the canonical name; for the names
 *   of `/etc/hosts`, the course's, they are the same).
 * - `gethostbyname('')` is `0.0.0.0`, `'<broadcast>'` is `255.255.255.255`, as Python's address parser takes them.
 * - The services calls read `/etc/services` and are synchronous, as Python's are.
 * @module
 */
import { int } from "./int-enum.ts";
import { typeName } from "./arguments.ts";
import { lookup, lookupService } from "node:dns";
import { hostname, networkInterfaces } from "node:os";

import { OSError, OverflowError, fromErrno, errnoOf, herror } from "./errors.ts";
import { numericHost } from "./ip-text.ts";
import { serviceByName, serviceByPort } from "./services.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  AddressFamily,
  EAI_ADDRFAMILY,
  EAI_BADFLAGS,
  EAI_FAMILY,
  EAI_NONAME,
  EAI_SERVICE,
  EAI_SOCKTYPE,
  IPPROTO_UDP,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
  SocketKind,
} from "./socket-constants.ts";

/** One of getaddrinfo()'s results: `(family, type, proto, canonname, sockaddr)`. */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: readonly [string, number] | readonly [string, number, number, number],
];

/** The flags glibc's getaddrinfo() takes (AI_IDN and kin included); others are EAI_BADFLAGS. */
const KNOWN_AI_FLAGS =
  0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0040 | 0x0080 | 0x0100 | 0x0200 | 0x0400;
const IPPROTO_TCP = 6;

/** glibc's socket type / protocol table for getaddrinfo(): the entries a request may give. */
const TYPE_PROTO: readonly { type: number; proto: number; name: string | null }[] = [
  { type: SOCK_STREAM, proto: IPPROTO_TCP, name: "tcp" },
  { type: SOCK_DGRAM, proto: IPPROTO_UDP, name: "udp" },
  { type: SOCK_RAW, proto: 0, name: null },
];

function text(value: string | Uint8Array): string {
  return typeof value === "string" ? value : Buffer.from(value).toString("latin1");
}

/** The system resolver's answer for `host`: the addresses, in its order. */
function resolve(host: string, family: number): Promise<{ address: string; family: number }[]> {
  const nodeFamily = family === 2 ? 4 : family === 10 ? 6 : 0;
  return new Promise((done, fail) => {
    lookup(host, { all: true, family: nodeFamily, verbatim: true }, (err, addresses) => {
      if (err) {
        fail(fromErrno(errnoOf(err) ?? EAI_NONAME));
        return;
      }
      done(
        addresses.map((a) => ({ address: a.address, family: a.family === 6 ? AF_INET6 : AF_INET })),
      );
    });
  });
}

/**
 * Python's `socket.getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)`: the addresses to connect to (or,
 * with `AI_PASSIVE` and a `null` host, to bind), as 5-tuples. Awaited: it asks the system's resolver.
 * @example
 * ```ts
 * await socket.getaddrinfo("localhost", 80, 0, socket.SOCK_STREAM);
 * // [[<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ['127.0.0.1', 80]]]
 * ```
 * @throws gaierror (-2 unknown name or service, -9 an address of another family, -8 a service the type has not,
 *   -7 / -6 / -1 a bad type, family or flags); TypeError for a host that is no str; OSError `Int or String
 *   expected` for a port that is neither.
 */
export async function getaddrinfo(
  host: string | Uint8Array | null,
  port: string | number | Uint8Array | null,
  family = 0,
  type = 0,
  proto = 0,
  flags = 0,
): Promise<AddrInfo[]> {
  if (host !== null && typeof host !== "string" && !(host instanceof Uint8Array)) {
    throw new TypeError("getaddrinfo() argument 1 must be string or None");
  }
  let service: string | null;
  if (port === null) service = null;
  else if (typeof port === "number" && Number.isInteger(port)) service = String(port);
  else if (typeof port === "string" || port instanceof Uint8Array) service = text(port);
  else throw new OSError("Int or String expected");
  const [fam, kind, protocol, hints] = [int(family), int(type), int(proto), int(flags)];
  const name = host === null ? null : text(host);
  if ((hints & ~KNOWN_AI_FLAGS) !== 0 || (name === null && (hints & AI_CANONNAME) !== 0)) {
    throw fromErrno(EAI_BADFLAGS);
  }
  if (name === null && service === null) throw fromErrno(EAI_NONAME);
  if (fam !== 0 && fam !== 2 && fam !== 10) throw fromErrno(EAI_FAMILY);
  const kinds = TYPE_PROTO.filter(
    (e) =>
      (kind === 0 || int(e.type) === kind) &&
      (protocol === 0 || e.proto === protocol || int(e.type) === int(SOCK_RAW)),
  );
  if (kinds.length === 0) throw fromErrno(EAI_SOCKTYPE);
  // The port of each socket type: a number, or the service's port for the type's protocol.
  const ports: { entry: (typeof TYPE_PROTO)[number]; port: number }[] = [];
  if (service === null) for (const entry of kinds) ports.push({ entry, port: 0 });
  else if (/^\d+$/.test(service)) {
    if (kind === int(SOCK_RAW)) throw fromErrno(EAI_SERVICE);
    for (const entry of kinds) ports.push({ entry, port: Number(service) & 0xffff });
  } else {
    if ((hints & AI_NUMERICSERV) !== 0) throw fromErrno(EAI_NONAME);
    for (const entry of kinds) {
      const found = entry.name === null ? undefined : serviceByName(service, entry.name);
      if (found !== undefined) ports.push({ entry, port: found.port });
    }
    if (ports.length === 0) throw fromErrno(EAI_SERVICE);
  }
  let addresses: { address: string; family: number }[];
  if (name === null) {
    const passive = (hints & AI_PASSIVE) !== 0;
    addresses = passive
      ? [
          { address: "0.0.0.0", family: AF_INET },
          { address: "::", family: AF_INET6 },
        ]
      : [
          { address: "::1", family: AF_INET6 },
          { address: "127.0.0.1", family: AF_INET },
        ];
    if (fam !== 0) addresses = addresses.filter((a) => int(a.family) === fam);
  } else {
    if (name === "") throw fromErrno(EAI_NONAME);
    const numeric = numericHost(name);
    if (numeric !== null) {
      const af = numeric.family === 6 ? AF_INET6 : AF_INET;
      if (fam !== 0 && int(af) !== fam) throw fromErrno(EAI_ADDRFAMILY);
      addresses = [{ address: numeric.address, family: af }];
    } else {
      if ((hints & AI_NUMERICHOST) !== 0) throw fromErrno(EAI_NONAME);
      addresses = await resolve(name, fam);
    }
  }
  const results: AddrInfo[] = [];
  for (const { address, family: af } of addresses) {
    for (const { entry, port: p } of ports) {
      const canon = results.length === 0 && (hints & AI_CANONNAME) !== 0 ? (name ?? "") : "";
      results.push([
        AddressFamily.of(af),
        SocketKind.of(entry.type),
        entry.proto,
        canon,
        af === AF_INET6 ? [address, p, 0, 0] : [address, p],
      ]);
    }
  }
  return results;
}

/**
 * Python's `socket.gethostbyname(host)`: the host's first IPv4 address. `''` is `0.0.0.0`, `'<broadcast>'` is
 * `255.255.255.255`. Awaited.
 * @throws gaierror -2 for a name without an IPv4 address; -9 for an IPv6 address.
 */
export async function gethostbyname(host: string): Promise<string> {
  if (host === "") return "0.0.0.0";
  if (host === "<broadcast>") return "255.255.255.255";
  const [first] = await getaddrinfo(host, null, AF_INET, SOCK_STREAM);
  return first === undefined ? "0.0.0.0" : first[4][0];
}

/**
 * Python's `socket.gethostbyname_ex(host)`: `[name, aliases, addresses]`, the IPv4 addresses of the host. The
 * name is the host as given (see the module's rules on canonical names); aliases are empty. Awaited.
 * @throws gaierror as {@link gethostbyname}.
 */
export async function gethostbynameEx(host: string): Promise<[string, string[], string[]]> {
  if (host === "" || host === "<broadcast>") {
    const address = await gethostbyname(host);
    return [address, [], [address]];
  }
  const infos = await getaddrinfo(host, null, AF_INET, SOCK_STREAM);
  const numeric = numericHost(host);
  return [numeric?.address ?? host, [], [...new Set(infos.map((i) => i[4][0]))]];
}

/** The name the system gives `address`, or `null` (getnameinfo with NI_NAMEREQD). */
function nameOf(address: string): Promise<string | null> {
  return new Promise((done) => {
    lookupService(address, 0, (err, name) => {
      done(err ? null : name);
    });
  });
}

/**
 * Python's `socket.gethostbyaddr(host)`: `[name, aliases, addresses]` from the reverse look-up of the host's
 * address. Awaited.
 * @throws herror `[Errno 1] Unknown host` when the address has no name; gaierror when the host does not resolve.
 */
export async function gethostbyaddr(host: string): Promise<[string, string[], string[]]> {
  const [first] = await getaddrinfo(host, null, AF_UNSPEC, SOCK_STREAM);
  const address = first?.[4][0] ?? host;
  const name = await nameOf(address);
  if (name === null) throw new herror(1, "Unknown host");
  return [name, [], [address]];
}

/** Python's `socket.gethostname()`: the machine's host name. */
export function gethostname(): string {
  return hostname();
}

/**
 * Python's `socket.getfqdn(name='')`: a fully qualified name for `name` (the machine when empty, `0.0.0.0` or
 * `::`): the first of the reverse look-up's name and aliases that holds a dot, else its name, else `name` itself,
 * as `socket.py` does it. Awaited.
 */
export async function getfqdn(name = ""): Promise<string> {
  let result = name.trim();
  if (result === "" || result === "0.0.0.0" || result === "::") result = gethostname();
  try {
    const [host, aliases] = await gethostbyaddr(result);
    return [host, ...aliases].find((n) => n.includes(".")) ?? host;
  } catch (e) {
    if (e instanceof OSError) return result;
    throw e;
  }
}

/**
 * Python's `socket.getnameinfo(sockaddr, flags)`: `[host, port]` as names: the address's name (or the address,
 * with `NI_NUMERICHOST` or when it has none) and the port's service (or the number, with `NI_NUMERICSERV` or
 * when it has none; `NI_DGRAM` for udp's). The host must be an address. Awaited.
 * @throws TypeError `getnameinfo() argument 1 must be a tuple`, `getnameinfo(): illegal sockaddr argument`;
 *   OverflowError `getnameinfo(): flowinfo must be 0-1048575.`;
 *   OSError `IPv4 sockaddr must be 2 tuple`; gaierror -2 for a host that is no address, or with `NI_NAMEREQD` an
 *   address without a name.
 */
export async function getnameinfo(
  sockaddr: readonly [string, number] | readonly [string, number, number, number],
  flags: number,
): Promise<[string, string]> {
  if (!Array.isArray(sockaddr)) throw new TypeError("getnameinfo() argument 1 must be a tuple");
  const items: readonly unknown[] = sockaddr;
  if (items.length < 2 || items.length > 4) {
    throw new TypeError("getnameinfo(): illegal sockaddr argument");
  }
  const [host, port] = items;
  if (typeof host !== "string") {
    throw new TypeError(`str, bytes or bytearray expected, not ${typeName(host)}`);
  }
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(`'${typeName(port)}' object cannot be interpreted as an integer`);
  }
  const flowinfo = items[2] ?? 0;
  if (typeof flowinfo === "number" && (flowinfo < 0 || flowinfo > 0xfffff)) {
    throw new OverflowError("getnameinfo(): flowinfo must be 0-1048575.");
  }
  const numeric = numericHost(host);
  if (numeric === null) throw fromErrno(EAI_NONAME);
  if (numeric.family === 4 && items.length !== 2) {
    throw new OSError("IPv4 sockaddr must be 2 tuple");
  }
  const n = int(flags);
  let name = numeric.address;
  if ((n & NI_NUMERICHOST) === 0) {
    const found = await nameOf(numeric.address);
    if (found !== null) name = (n & NI_NOFQDN) !== 0 ? (found.split(".")[0] ?? found) : found;
    else if ((n & NI_NAMEREQD) !== 0) throw fromErrno(EAI_NONAME);
  } else if ((n & NI_NAMEREQD) !== 0 && (await nameOf(numeric.address)) === null) {
    throw fromErrno(EAI_NONAME);
  }
  const portNumber = port & 0xffff;
  const serviceName =
    (n & NI_NUMERICSERV) !== 0
      ? undefined
      : serviceByPort(portNumber, (n & NI_DGRAM) !== 0 ? "udp" : "tcp")?.name;
  return [name, serviceName ?? String(portNumber)];
}

/**
 * Python's `socket.getservbyname(name, proto)`: the port of a service, from `/etc/services`.
 * @throws OSError `service/proto not found`.
 */
export function getservbyname(name: string, proto?: string): number {
  const found = serviceByName(name, proto);
  if (found === undefined) throw new OSError("service/proto not found");
  return found.port;
}

/**
 * Python's `socket.getservbyport(port, proto)`: the name of the service on a port, from `/etc/services`.
 * @throws OverflowError `getservbyport: port must be 0-65535.`; OSError `port/proto not found`.
 */
export function getservbyport(port: number, proto?: string): string {
  if (!Number.isInteger(port)) {
    throw new TypeError(`'${typeName(port)}' object cannot be interpreted as an integer`);
  }
  if (port < 0 || port > 65535) throw new OverflowError("getservbyport: port must be 0-65535.");
  const found = serviceByPort(port, proto);
  if (found === undefined) throw new OSError("port/proto not found");
  return found.name;
}

/**
 * Python's `socket.has_dualstack_ipv6()`: can an AF_INET6 socket take IPv4 connections too? True when the
 * machine has IPv6 (Linux's sockets are dual-stack unless IPV6_V6ONLY).
 */
export function hasDualstackIpv6(): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === "IPv6"));
}
