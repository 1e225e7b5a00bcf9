/**
 * The `socket` module's enum constants, with Linux's values, as Python 3.11 has them: `AddressFamily`
 * (`AF_*`), `SocketKind` (`SOCK_*`), `AddressInfo` (`AI_*`, getaddrinfo()'s flags), `MsgFlag` (`MSG_*`, the
 * flags of recv()), and the plain-int `NI_*` (getnameinfo()'s flags), `EAI_*` (gaierror's numbers) and
 * `IPPROTO_*`.
 *
 * The enum members print as Python's do (`repr(socket.AF_INET)` is `<AddressFamily.AF_INET: 2>`, `str()` is `2`);
 * see `int-enum.ts` for what a member is. `socket.ts` re-exports all of them.
 * @module
 */
import { IntEnum } from "./int-enum.ts";

/** Python's `socket.AddressFamily`. */
export const AddressFamily = new IntEnum("AddressFamily", {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
});

/** Python's `socket.SocketKind`. */
export const SocketKind = new IntEnum("SocketKind", {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_RDM: 4,
  SOCK_SEQPACKET: 5,
  SOCK_NONBLOCK: 2048,
  SOCK_CLOEXEC: 524288,
});

/** Python's `socket.AddressInfo`: getaddrinfo()'s flags (an `IntFlag`; combined flags are plain numbers here). */
export const AddressInfo = new IntEnum("AddressInfo", {
  AI_PASSIVE: 1,
  AI_CANONNAME: 2,
  AI_NUMERICHOST: 4,
  AI_V4MAPPED: 8,
  AI_ALL: 16,
  AI_ADDRCONFIG: 32,
  AI_NUMERICSERV: 1024,
});

/** Python's `socket.MsgFlag`: the flags of `recv()` and kin. */
export const MsgFlag = new IntEnum("MsgFlag", {
  MSG_OOB: 1,
  MSG_PEEK: 2,
  MSG_DONTROUTE: 4,
  MSG_TRUNC: 32,
  MSG_DONTWAIT: 64,
  MSG_WAITALL: 256,
  MSG_NOSIGNAL: 16384,
});

/** Address family: unspecified (getaddrinfo(): any family). */
export const AF_UNSPEC = AddressFamily.members.AF_UNSPEC;
/** Address family: Unix domain sockets (a filesystem path). */
export const AF_UNIX = AddressFamily.members.AF_UNIX;
/** Address family: IPv4, addresses `[host, port]`. */
export const AF_INET = AddressFamily.members.AF_INET;
/** Address family: IPv6, addresses `[host, port, flowinfo, scopeId]`. */
export const AF_INET6 = AddressFamily.members.AF_INET6;

/** Socket type: a byte stream (TCP). */
export const SOCK_STREAM = SocketKind.members.SOCK_STREAM;
/** Socket type: datagrams (UDP); getaddrinfo() names it. */
export const SOCK_DGRAM = SocketKind.members.SOCK_DGRAM;
/** Socket type: raw; getaddrinfo() names it. */
export const SOCK_RAW = SocketKind.members.SOCK_RAW;
/** Socket type: reliable datagrams (Linux has no protocol for it: `socket()` raises OSError 94). */
export const SOCK_RDM = SocketKind.members.SOCK_RDM;
/** Socket type: sequenced packets (AF_UNIX on Linux; not emulated, `socket()` raises OSError 93). */
export const SOCK_SEQPACKET = SocketKind.members.SOCK_SEQPACKET;
/** Flag of `socket()`'s type: the socket starts non-blocking (timeout 0.0). */
export const SOCK_NONBLOCK = SocketKind.members.SOCK_NONBLOCK;
/** Flag of `socket()`'s type: close on exec (taken, no effect: no process here execs). */
export const SOCK_CLOEXEC = SocketKind.members.SOCK_CLOEXEC;

/** getaddrinfo(): addresses to bind (`None` host: the any-address). */
export const AI_PASSIVE = AddressInfo.members.AI_PASSIVE;
/** getaddrinfo(): fill in the canonical name of the first result. */
export const AI_CANONNAME = AddressInfo.members.AI_CANONNAME;
/** getaddrinfo(): the host must be an address; no name lookup. */
export const AI_NUMERICHOST = AddressInfo.members.AI_NUMERICHOST;
/** getaddrinfo(): IPv4-mapped IPv6 addresses when no IPv6 one is found (AF_INET6). */
export const AI_V4MAPPED = AddressInfo.members.AI_V4MAPPED;
/** getaddrinfo(): with AI_V4MAPPED, both IPv6 and mapped IPv4 addresses. */
export const AI_ALL = AddressInfo.members.AI_ALL;
/** getaddrinfo(): only the families the machine has an address of. */
export const AI_ADDRCONFIG = AddressInfo.members.AI_ADDRCONFIG;
/** getaddrinfo(): the port must be a number; no service lookup. */
export const AI_NUMERICSERV = AddressInfo.members.AI_NUMERICSERV;

/** recv(): out-of-band data (not emulated: `OSError 22`). */
export const MSG_OOB = MsgFlag.members.MSG_OOB;
/** recv(): return the data without taking it from the receive buffer. */
export const MSG_PEEK = MsgFlag.members.MSG_PEEK;
/** recv(): do not wait, whatever the socket's mode (BlockingIOError 11 when nothing is there). */
export const MSG_DONTWAIT = MsgFlag.members.MSG_DONTWAIT;
/** recv(): wait for the full count (less only at end of stream, on an error, or on a timeout). */
export const MSG_WAITALL = MsgFlag.members.MSG_WAITALL;

/** getnameinfo(): the host as an address, no name lookup. */
export const NI_NUMERICHOST = 1;
/** getnameinfo(): the port as a number, no service name. */
export const NI_NUMERICSERV = 2;
/** getnameinfo(): the host's name without its domain. */
export const NI_NOFQDN = 4;
/** getnameinfo(): fail (gaierror -2) when the address has no name. */
export const NI_NAMEREQD = 8;
/** getnameinfo(): the service of a datagram port (udp) rather than tcp. */
export const NI_DGRAM = 16;
/** getnameinfo(): the longest host name. */
export const NI_MAXHOST = 1025;
/** getnameinfo(): the longest service name. */
export const NI_MAXSERV = 32;

/** gaierror: bad flags. */
export const EAI_BADFLAGS = -1;
/** gaierror: `Name or service not known`. */
export const EAI_NONAME = -2;
/** gaierror: `Temporary failure in name resolution`. */
export const EAI_AGAIN = -3;
/** gaierror: `Non-recoverable failure in name resolution`. */
export const EAI_FAIL = -4;
/** gaierror: `No address associated with hostname`. */
export const EAI_NODATA = -5;
/** gaierror: `ai_family not supported`. */
export const EAI_FAMILY = -6;
/** gaierror: `ai_socktype not supported`. */
export const EAI_SOCKTYPE = -7;
/** gaierror: `Servname not supported for ai_socktype`. */
export const EAI_SERVICE = -8;
/** gaierror: `Address family for hostname not supported`. */
export const EAI_ADDRFAMILY = -9;
/** gaierror: `Memory allocation failure`. */
export const EAI_MEMORY = -10;
/** gaierror: `System error`. */
export const EAI_SYSTEM = -11;
/** gaierror: `Argument buffer overflow`. */
export const EAI_OVERFLOW = -12;

/** Protocol: IP (0, any). */
export const IPPROTO_IP = 0;
/** `setsockopt`/`getsockopt` level for TCP options: `IPPROTO_TCP`'s other name. */
export const SOL_TCP = 6;
/** Protocol: UDP. */
export const IPPROTO_UDP = 17;
/** `bind()`'s any-address, as a number. */
export const INADDR_ANY = 0;
/** The broadcast address, as a number. */
export const INADDR_BROADCAST = 0xffffffff;
/** The loopback address 127.0.0.1, as a number. */
export const INADDR_LOOPBACK = 0x7f000001;
/** The largest backlog `listen()` takes (Linux's `net.core.somaxconn` default). */
export const SOMAXCONN = 4096;
