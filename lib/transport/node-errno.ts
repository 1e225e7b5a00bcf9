/**
 * Node's errors as errno numbers, for the wires built on Node (`node-net.ts`, and the name lookups of both wires):
 * `{ code: 'ECONNREFUSED' }` → 111, `ENOTFOUND` → -2 (Python's `gaierror` number for a failed lookup). Only
 * numbers leave the transport layer.
 * @module
 */
import { constants } from "node:os";

/** Linux's EIO: what an error without a code we know becomes. */
const EIO = 5;

/** `getaddrinfo()` failures, numbered as Python's `socket.gaierror` numbers them. */
const EAI_BY_CODE = new Map<string, number>([
  ["ENOTFOUND", -2],
  ["EAI_NONAME", -2],
  ["EAI_AGAIN", -3],
]);

const ERRNO_BY_CODE = new Map<string, number>(Object.entries(constants.errno));

/** The errno of a Node system error (its `code`), Python's negative number for a failed lookup, else EIO. */
export function errnoOfNodeError(error: unknown): number {
  if (typeof error !== "object" || error === null || !("code" in error)) return EIO;
  const code = error.code;
  if (typeof code !== "string") return EIO;
  return ERRNO_BY_CODE.get(code) ?? EAI_BY_CODE.get(code) ?? EIO;
}
