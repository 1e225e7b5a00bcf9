/**
 * The calls of a socket's faces, in Python's terms: each hands the call to the kernel's socket and raises Python's
 * exception for the errno it returns (`fromErrno`), with a note for a person where one helps. Python's checks of
 * the arguments come first, as CPython makes them before the system call.
 * @module
 */
import { type Address, toAddress } from "./address.ts";
import { cInt, checkBytes } from "./arguments.ts";
import { type OSError, ValueError, errno, fromErrno } from "./errors.ts";
import { anyAddress } from "../kernel/socket.ts";
import type { StreamSocket } from "../kernel/stream-socket.ts";

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
export function checkOpen(core: StreamSocket): void {
  if (core.state === "closed") throw explained(errno.EBADF);
}

/** The kernel's recv, raising Python's error for its errno. */
export function recvNow(core: StreamSocket, bufsize: number): Buffer {
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
export function sendNow(core: StreamSocket, data: Uint8Array): number {
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
export function acceptNow(core: StreamSocket, timeout: number | null): [StreamSocket, Address] {
  const conn = core.accept(timeout);
  if (typeof conn === "number") throw explained(conn);
  const from = conn.acceptedFrom();
  return [conn, toAddress(conn.family, from ?? anyAddress(conn.family))];
}

/** Python's checks of `backlog`, then the kernel's listen. */
export function listenNow(
  core: StreamSocket,
  backlog: number | undefined,
  report?: (errno: number) => void,
): void {
  if (backlog !== undefined) {
    cInt(backlog, "signed integer is greater than maximum", "signed integer is less than minimum");
  }
  const code = core.listen(backlog, report);
  if (code !== 0) throw explained(code);
}
