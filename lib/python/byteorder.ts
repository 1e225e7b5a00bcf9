/**
 * The `socket` module's byte-order helpers, `htons`/`ntohs`/`htonl`/`ntohl`, with Python 3.11's results and
 * errors on Linux (measured with python3): they swap on a little-endian machine (Linux on x86 and ARM), so
 * `htons(1)` is `256`; a negative or too large value raises `OverflowError` with CPython's text (`htons: Python
 * int too large to convert to C 16-bit unsigned integer`, `int larger than 32 bits`), a float `TypeError`.
 * @module
 */
import { OverflowError } from "./errors.ts";
import { typeName } from "./arguments.ts";

const UINT32 = 2 ** 32;
const UINT64 = 2n ** 64n;

/** Python's index check: an int (a number without fraction, or a bigint), else TypeError. */
function integer(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (value instanceof Number && Number.isInteger(value.valueOf())) return BigInt(value.valueOf());
  throw new TypeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
}

function short(value: number | bigint, fn: string): number {
  const n = integer(value);
  if (n < 0n) {
    throw new OverflowError(
      `${fn}: can't convert negative Python int to C 16-bit unsigned integer`,
    );
  }
  if (n > 0xffffn) {
    throw new OverflowError(`${fn}: Python int too large to convert to C 16-bit unsigned integer`);
  }
  const x = Number(n);
  return ((x & 0xff) << 8) | (x >> 8);
}

function long(value: number | bigint): number {
  const n = integer(value);
  if (n < 0n) throw new OverflowError("can't convert negative value to unsigned int");
  if (n >= UINT64) throw new OverflowError("Python int too large to convert to C unsigned long");
  if (n >= BigInt(UINT32)) throw new OverflowError("int larger than 32 bits");
  const x = Number(n);
  return (
    (((x & 0xff) << 24) >>> 0) + ((x & 0xff00) << 8) + ((x >>> 8) & 0xff00) + ((x >>> 24) & 0xff)
  );
}

/**
 * Python's `socket.htons(x)`: a 16-bit number from host to network byte order.
 * @throws OverflowError outside 0..65535; TypeError for a float.
 */
export function htons(x: number | bigint): number {
  return short(x, "htons");
}

/** Python's `socket.ntohs(x)`: network to host byte order. @throws as {@link htons}. */
export function ntohs(x: number | bigint): number {
  return short(x, "ntohs");
}

/**
 * Python's `socket.htonl(x)`: a 32-bit number from host to network byte order.
 * @throws OverflowError `int larger than 32 bits`, `can't convert negative value to unsigned int`; TypeError for
 *   a float.
 */
export function htonl(x: number | bigint): number {
  return long(x);
}

/** Python's `socket.ntohl(x)`: network to host byte order. @throws as {@link htonl}. */
export function ntohl(x: number | bigint): number {
  return long(x);
}
