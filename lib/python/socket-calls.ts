/**
 * The calls of a socket's faces, in Python's terms: each hands the call to the kernel's socket and raises Python's
 * exception for the errno it returns (`fromErrno`), with a note for a person where one helps. Python's checks of
 * the arguments come first, as CPython makes them before the system call.
 * @module
 */
import { type Address, normalize, toAddress } from "./address.ts";
import { cInt, checkBytes, typeName } from "./arguments.ts";
import { type OSError, ValueError, errno, fromErrno } from "./errors.ts";
import { anyAddress } from "../kernel/socket.ts";
import type { KernelSocket } from "../kernel/socket.ts";

/** Python's exception for `code`, with a note for a person where one helps (see `PythonException.notes`). */
export function explained(code: number): OSError {
  const error = fromErrno(code);
  if (code === errno.EBADF) {
    error.addNote(
      "The socket was closed (its fileno() is -1): a closed socket cannot be used again.",
    );
  } else if (code === errno.ECONNREFUSED) {
    error.addNote(
      "Nobody listens at that address and port: start the server first, or check them.",
    );
  }
  return error;
}

/** `[Errno 9] Bad file descriptor` unless `core` is open. */
export function checkOpen(core: KernelSocket): void {
  if (core.isClosed()) throw explained(errno.EBADF);
}

/** The kernel's recv, raising Python's error for its errno. */
export function recvNow(core: KernelSocket, bufsize: number): Buffer {
  if (bufsize < 0) throw new ValueError("negative buffersize in recv");
  const got = core.recv(bufsize);
  if (typeof got !== "number") return got;
  if (got === errno.ENOTCONN) {
    throw fromErrno(got).addNote(
      "recv() reads from a connected socket: connect() this one, or recv() on the socket accept() returned.",
    );
  }
  throw explained(got);
}

/** The kernel's send, raising Python's error for its errno. */
export function sendNow(core: KernelSocket, data: Uint8Array): number {
  checkBytes(data);
  const sent = core.send(data);
  if (sent < 0) throw explained(-sent);
  return sent;
}

/**
 * The kernel's accept, raising Python's error for its errno: the new socket (with `timeout`) and the peer's
 * address (the family's any-address when the peer reset before it was asked, where Linux would give the address
 * the connection came from).
 */
export function acceptNow(core: KernelSocket, timeout: number | null): [KernelSocket, Address] {
  const conn = core.accept(timeout);
  if (typeof conn === "number") throw explained(conn);
  const from = conn.acceptedFrom();
  return [conn, toAddress(conn.family, from ?? anyAddress(conn.family))];
}

/** Python's checks of `backlog`, then the kernel's listen. */
export function listenNow(
  core: KernelSocket,
  backlog: number | undefined,
  report?: (errno: number) => void,
): void {
  if (backlog !== undefined) {
    cInt(backlog, "signed integer is greater than maximum", "signed integer is less than minimum");
  }
  const code = core.listen(backlog, report);
  if (code !== 0) throw explained(code);
}

/** The kernel's recvfrom: the bytes and the sender's address (`null` when it has none). */
export function recvfromNow(
  core: KernelSocket,
  bufsize: number,
  fn = "recvfrom",
): [Buffer, Address | null] {
  if (bufsize < 0) throw new ValueError(`negative buffersize in ${fn}`);
  const got = core.recvfrom(bufsize);
  if (typeof got === "number") throw explained(got);
  const [data, from] = got;
  return [data, from === null ? null : toAddress(core.family, from)];
}

/**
 * Python's `recvfrom_into(buffer, nbytes)`: read into `buffer`, at most `nbytes` bytes (0 or undefined: its
 * length); the count and the sender's address.
 * @throws ValueError for a negative `nbytes` or one beyond the buffer.
 */
export function recvfromIntoNow(
  core: KernelSocket,
  buffer: Uint8Array,
  nbytes = 0,
): [number, Address | null] {
  if (nbytes < 0) throw new ValueError("negative buffersize in recvfrom_into");
  if (nbytes > buffer.length) {
    throw new ValueError("nbytes is greater than the length of the buffer");
  }
  const [data, from] = recvfromNow(core, nbytes === 0 ? buffer.length : nbytes, "recvfrom_into");
  buffer.set(data);
  return [data.length, from];
}

/**
 * The kernel's sendto, with Python's checks first, in Python's order: the argument count (`sendto(data, address)`
 * or `sendto(data, flags, address)`), the bytes, the flags (an int), the address.
 */
export function sendtoNow(core: KernelSocket, data: Uint8Array, rest: readonly unknown[]): number {
  if (rest.length < 1 || rest.length > 2) {
    throw new TypeError(`sendto() takes 2 or 3 arguments (${String(rest.length + 1)} given)`);
  }
  checkBytes(data);
  if (rest.length === 2 && !Number.isInteger(rest[0])) {
    throw new TypeError(`'${typeName(rest[0])}' object cannot be interpreted as an integer`);
  }
  // The address is checked by normalize(), as Python parses it (whatever the static type said).
  const address = rest[rest.length - 1] as Address;
  const sent = core.sendto(data, normalize(core.family, address, "sendto"));
  if (sent < 0) throw explained(-sent);
  return sent;
}
