/**
 * The `socket` module's address helpers, `inet_aton`/`inet_ntoa`/`inet_pton`/`inet_ntop`, with Python 3.11's
 * results and errors on Linux (measured with python3): `inet_aton` takes what glibc's `inet_aton()` takes
 * (`'127.1'`), else `OSError: illegal IP address string passed to inet_aton`; `inet_pton` the strict forms only;
 * `inet_ntop` writes IPv6 as glibc does (see `ip-text.ts`).
 * @module
 */
import { int } from "./int-enum.ts";
import { typeName } from "./arguments.ts";
import { OSError, ValueError, errno, fromErrno } from "./errors.ts";
import { formatIPv6, parseDottedQuad, parseIPv6, parseInetAton } from "./ip-text.ts";
import { AF_INET, AF_INET6 } from "./socket-constants.ts";

function checkStr(value: unknown, fn: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`${fn}() argument 1 must be str, not ${typeName(value)}`);
  }
  if (value.includes("\0")) throw new ValueError("embedded null character");
  return value;
}

function checkBytesLike(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${typeName(value)}'`);
  }
  return value;
}

/**
 * Python's `socket.inet_aton(text)`: an IPv4 address in any form glibc takes, as four bytes.
 * @throws OSError `illegal IP address string passed to inet_aton`; TypeError for bytes.
 */
export function inetAton(text: string): Buffer {
  const bytes = parseInetAton(checkStr(text, "inet_aton"));
  if (bytes === null) throw new OSError("illegal IP address string passed to inet_aton");
  return bytes;
}

/**
 * Python's `socket.inet_ntoa(packed)`: four bytes as a dotted quad.
 * @throws OSError `packed IP wrong length for inet_ntoa`; TypeError for a str.
 */
export function inetNtoa(packed: Uint8Array): string {
  const bytes = checkBytesLike(packed);
  if (bytes.length !== 4) throw new OSError("packed IP wrong length for inet_ntoa");
  return Array.from(bytes).join(".");
}

/**
 * Python's `socket.inet_pton(family, text)`: the address as 4 (AF_INET) or 16 (AF_INET6) bytes.
 * @throws OSError `illegal IP address string passed to inet_pton`; OSError 97 for another family.
 */
export function inetPton(family: number, text: string): Buffer {
  const value = checkStr(text, "inet_pton");
  let bytes: Buffer | null;
  if (family === AF_INET || int(family) === 2) {
    const quad = parseDottedQuad(value);
    bytes = quad === null ? null : Buffer.from(quad);
  } else if (family === AF_INET6 || int(family) === 10) bytes = parseIPv6(value);
  else throw fromErrno(errno.EAFNOSUPPORT);
  if (bytes === null) throw new OSError("illegal IP address string passed to inet_pton");
  return bytes;
}

/**
 * Python's `socket.inet_ntop(family, packed)`: 4 or 16 bytes as text.
 * @throws ValueError `invalid length of packed IP address string`, `unknown address family N`.
 */
export function inetNtop(family: number, packed: Uint8Array): string {
  const bytes = checkBytesLike(packed);
  const n = int(family);
  if (n === 2) {
    if (bytes.length !== 4) throw new ValueError("invalid length of packed IP address string");
    return Array.from(bytes).join(".");
  }
  if (n === 10) {
    if (bytes.length !== 16) throw new ValueError("invalid length of packed IP address string");
    return formatIPv6(bytes);
  }
  throw new ValueError(`unknown address family ${n}`);
}
