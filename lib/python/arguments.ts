/**
 * Python's checks of a socket call's plain arguments, with Python's errors and texts: a C int (`TypeError` for a
 * float, `OverflowError` beyond int's range), a bytes-like object, a timeout. Each throws what CPython raises for
 * the same value, before the call does anything.
 * @module
 */
import { OverflowError, ValueError } from "./errors.ts";

/** The largest C int. */
const INT_MAX = 0x7fffffff;
/** Past the largest timeout Python takes, in nanoseconds (a signed 64-bit count). */
const MAX_NANOSECONDS = 2 ** 63;

/**
 * Python's name of a value's type, as its messages show it: `int`, `float`, `str`, `bool`, `bytes`, `NoneType`, and
 * for an array `tuple` (an address) or, where the call takes a list, `list`.
 */
export function typeName(value: unknown, array: "tuple" | "list" = "tuple"): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return array;
  return typeof value;
}

/**
 * Python's conversion of an argument to a C int.
 * @throws TypeError for a float; OverflowError (`tooBig` / `tooSmall`) outside int's range.
 */
export function cInt(value: number, tooBig: string, tooSmall: string): void {
  if (!Number.isInteger(value)) {
    throw new TypeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
  }
  if (value > INT_MAX) throw new OverflowError(tooBig);
  if (value < -INT_MAX - 1) throw new OverflowError(tooSmall);
}

/** @throws TypeError `a bytes-like object is required, not 'str'` unless `data` is bytes. */
export function checkBytes(data: unknown): void {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${typeName(data)}'`);
  }
}

/**
 * Check a timeout as Python's `settimeout()` and `setdefaulttimeout()` do: a number (a bool is an int), then NaN,
 * then beyond what a 64-bit count of nanoseconds holds, then negative. `-0` becomes `0`.
 * @throws TypeError `'str' object cannot be interpreted as an integer` for what is not a number; ValueError
 *   `Invalid value NaN (not a number)`, `Timeout value out of range`; OverflowError `timestamp out of range for
 *   platform time_t`.
 */
export function checkTimeout(given: unknown): number | null {
  if (given === null) return null;
  const value = typeof given === "boolean" ? Number(given) : given;
  if (typeof value !== "number") {
    throw new TypeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
  }
  if (Number.isNaN(value)) throw new ValueError("Invalid value NaN (not a number)");
  if (!(Math.abs(value) * 1e9 < MAX_NANOSECONDS)) {
    throw new OverflowError("timestamp out of range for platform time_t");
  }
  if (value < 0) throw new ValueError("Timeout value out of range");
  return value === 0 ? 0 : value;
}
