/**
 * Python's exceptions, as the `socket` and `selectors` modules raise them.
 *
 * Rules this module keeps:
 * - `OSError` carries `errno` and `strerror`; its `message` is Python's `str(e)`: `[Errno 11] Resource
 *   temporarily unavailable`. {@link fromErrno} picks the subclass from the errno, as Python's `OSError(errno,
 *   text)` constructor does (`111` → {@link ConnectionRefusedError}).
 * - Every class here implements Python's `repr()`: `ValueError('Invalid events: 0')`,
 *   `ConnectionRefusedError(111, 'Connection refused')`, so `repr(e)` prints what Python prints.
 * - `KeyError`'s message is the repr of its argument (`str(KeyError('m')) == "'m'"`), as in Python.
 * - Where Python raises its own `TypeError`, we throw JavaScript's `TypeError` with Python's message.
 *
 * @example
 * ```ts
 * try {
 *   sock.recv(1024);
 * } catch (e) {
 *   if (e instanceof BlockingIOError) console.log(e.errno); // 11
 * }
 * ```
 * @module
 */
import { constants } from "node:os";

import { repr, reprSymbol, type Reprable } from "./repr.ts";

/**
 * The root of our Python-style exceptions (Python's `BaseException`). `args` are the constructor's arguments,
 * `message` is Python's `str(e)`.
 */
export class PythonException extends Error implements Reprable {
  /** The arguments the exception was made with, as Python's `e.args`. */
  readonly args: readonly unknown[];

  constructor(...args: unknown[]) {
    super(args.length === 1 ? String(args[0]) : args.length === 0 ? "" : repr(args));
    this.args = args;
    this.name = new.target.name;
  }

  /**
   * Python 3.11's `__notes__`: lines that explain the error to a person, printed after the traceback
   * (`traceback()` does). The message itself stays Python's, word for word.
   */
  readonly notes: string[] = [];

  /** Python's `e.add_note(note)`; returns the exception, so `throw new X(...).addNote(...)` reads as one line. */
  addNote(note: string): this {
    this.notes.push(note);
    return this;
  }

  /** Python's `repr(e)`: the class name and the arguments. */
  [reprSymbol](): string {
    const inner = this.args.map((a) => repr(a)).join(", ");
    return `${this.name}(${inner})`;
  }
}

/** Python's `KeyboardInterrupt`: thrown out of a waiting `select()` or blocking call on Ctrl-C (SIGINT). */
export class KeyboardInterrupt extends PythonException {}

/** Python's `ValueError`: a value of the right type but not acceptable (`Invalid events: 0`). */
export class ValueError extends PythonException {}

/** Python's `KeyError`: a lookup failed (`... is not registered`). Its message is the repr of its argument. */
export class KeyError extends PythonException {
  constructor(key: unknown) {
    super(key);
    this.message = repr(key);
  }
}

/** Python's `AttributeError`: an attribute that is not there (`'NoneType' object has no attribute 'recv'`). */
export class AttributeError extends PythonException {}

/** Python's `RuntimeError` (`Selector is closed`). */
export class RuntimeError extends PythonException {}

/** Python's `OverflowError` (`bind(): port must be 0-65535.`). */
export class OverflowError extends PythonException {}

/**
 * Python's `OSError`: a failed system call, with `errno` and `strerror`. `message` is `[Errno N] text`
 * when made with two arguments, else the single argument.
 */
export class OSError extends PythonException {
  /** The error number (Linux values: 11 EAGAIN, 111 ECONNREFUSED, ...), or `null`. */
  readonly errno: number | null;
  /** The error text, e.g. `Connection refused`, or `null`. */
  readonly strerror: string | null;

  constructor(...args: [errno: number, strerror: string] | [message?: string]) {
    super(...args);
    if (args.length === 2) {
      this.errno = args[0];
      this.strerror = args[1];
      this.message = `[Errno ${args[0]}] ${args[1]}`;
    } else {
      this.errno = null;
      this.strerror = null;
    }
  }
}

/** Python's `BlockingIOError`: the call would block (errno 11 EAGAIN, 114 EALREADY, 115 EINPROGRESS). */
export class BlockingIOError extends OSError {}
/** Python's `ConnectionError`: the parent of the connection errors below. */
export class ConnectionError extends OSError {}
/** Python's `BrokenPipeError` (errno 32 EPIPE, 108 ESHUTDOWN). */
export class BrokenPipeError extends ConnectionError {}
/** Python's `ConnectionAbortedError` (errno 103 ECONNABORTED). */
export class ConnectionAbortedError extends ConnectionError {}
/** Python's `ConnectionRefusedError` (errno 111 ECONNREFUSED). */
export class ConnectionRefusedError extends ConnectionError {}
/** Python's `ConnectionResetError` (errno 104 ECONNRESET). */
export class ConnectionResetError extends ConnectionError {}
/** Python's `TimeoutError`: errno 110, or a socket timeout (`TimeoutError('timed out')`, no errno). */
export class TimeoutError extends OSError {}
/** Python's `InterruptedError` (errno 4 EINTR). */
export class InterruptedError extends OSError {}
/** Python's `PermissionError` (errno 1 EPERM, 13 EACCES): e.g. epoll refusing a regular file. */
export class PermissionError extends OSError {}
/** Python's `FileNotFoundError` (errno 2 ENOENT): e.g. `epoll.modify()` of an fd not registered. */
export class FileNotFoundError extends OSError {}
/** Python's `FileExistsError` (errno 17 EEXIST): e.g. `epoll.register()` of an fd registered already. */
export class FileExistsError extends OSError {}
/** Python's `socket.gaierror`: a host name that does not resolve (`[Errno -2] Name or service not known`). */
export class gaierror extends OSError {}
/** Python's `socket.herror`: the error of the address lookups, `herror(1, 'Unknown host')` from `gethostbyaddr()`. */
export class herror extends OSError {}

/** Error numbers by name, as Python's `errno` module gives them (the platform's values, from Node's `os`). */
export const errno = constants.errno;

/** Linux's `strerror()` texts for the errors sockets meet; Python prints these. */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EEXIST: "File exists",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EACCES: "Permission denied",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  EPIPE: "Broken pipe",
  ENOTSOCK: "Socket operation on non-socket",
  EDESTADDRREQ: "Destination address required",
  EMSGSIZE: "Message too long",
  ENOPROTOOPT: "Protocol not available",
  EOPNOTSUPP: "Operation not supported",
  ENOTSUP: "Operation not supported",
  EPROTONOSUPPORT: "Protocol not supported",
  ESOCKTNOSUPPORT: "Socket type not supported",
  EAFNOSUPPORT: "Address family not supported by protocol",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENETDOWN: "Network is down",
  ENETUNREACH: "Network is unreachable",
  ECONNABORTED: "Software caused connection abort",
  ECONNRESET: "Connection reset by peer",
  ENOBUFS: "No buffer space available",
  EISCONN: "Transport endpoint is already connected",
  ENOTCONN: "Transport endpoint is not connected",
  ESHUTDOWN: "Cannot send after transport endpoint shutdown",
  ETIMEDOUT: "Connection timed out",
  ECONNREFUSED: "Connection refused",
  EHOSTUNREACH: "No route to host",
  EALREADY: "Operation already in progress",
  EINPROGRESS: "Operation now in progress",
};

/** Linux's ESHUTDOWN and ESOCKTNOSUPPORT, which Node's table lacks. */
const ESHUTDOWN = 108;
const ESOCKTNOSUPPORT = 94;
const ERRNO_BY_NAME = new Map<string, number>([
  ...Object.entries(errno),
  ["ESHUTDOWN", ESHUTDOWN],
  ["ESOCKTNOSUPPORT", ESOCKTNOSUPPORT],
]);
const NAME_BY_ERRNO = new Map<number, string>();
for (const [name, value] of ERRNO_BY_NAME) {
  // Aliases (EWOULDBLOCK = EAGAIN) keep the first, canonical name.
  if (!NAME_BY_ERRNO.has(value)) NAME_BY_ERRNO.set(value, name);
}

/** The class Python's `OSError(errno, text)` gives for each errno. */
function classFor(code: number): typeof OSError {
  switch (code) {
    case errno.EAGAIN:
    case errno.EALREADY:
    case errno.EINPROGRESS:
      return BlockingIOError;
    case errno.EPIPE:
    case ESHUTDOWN:
      return BrokenPipeError;
    case errno.ECONNABORTED:
      return ConnectionAbortedError;
    case errno.ECONNREFUSED:
      return ConnectionRefusedError;
    case errno.ECONNRESET:
      return ConnectionResetError;
    case errno.ETIMEDOUT:
      return TimeoutError;
    case errno.EINTR:
      return InterruptedError;
    case errno.EPERM:
    case errno.EACCES:
      return PermissionError;
    case errno.ENOENT:
      return FileNotFoundError;
    case errno.EEXIST:
      return FileExistsError;
    default:
      return OSError;
  }
}

/** The text Python prints for an errno: `strerror(code)`. */
export function strerror(code: number): string {
  const name = NAME_BY_ERRNO.get(code);
  return (name !== undefined ? STRERROR[name] : undefined) ?? `Unknown error ${code}`;
}

/**
 * The exception Python raises for a failed call with this errno: `fromErrno(111)` is
 * `ConnectionRefusedError(111, 'Connection refused')`.
 */
export function fromErrno(code: number): OSError {
  const eai = EAI_TEXT.get(code);
  if (eai !== undefined) return new gaierror(code, eai);
  const Class = classFor(code);
  return new Class(code, strerror(code));
}

/** `getaddrinfo()` errors (negative, as Python's `socket.gaierror` numbers them) and their texts. */
const EAI_TEXT = new Map<number, string>([
  [-1, "Bad value for ai_flags"],
  [-2, "Name or service not known"],
  [-3, "Temporary failure in name resolution"],
  [-4, "Non-recoverable failure in name resolution"],
  [-5, "No address associated with hostname"],
  [-6, "ai_family not supported"],
  [-7, "ai_socktype not supported"],
  [-8, "Servname not supported for ai_socktype"],
  [-9, "Address family for hostname not supported"],
  [-10, "Memory allocation failure"],
  [-11, "System error"],
  [-12, "Argument buffer overflow"],
]);
const EAI_BY_CODE = new Map<string, number>([
  ["ENOTFOUND", -2],
  ["EAI_NONAME", -2],
  ["EAI_AGAIN", -3],
  ["EAI_FAIL", -4],
  ["ENODATA", -5],
  ["EAI_NODATA", -5],
]);

/** The subset of Node's system errors that we read: `code` such as `'ECONNREFUSED'`. */
interface NodeSystemError {
  readonly code?: unknown;
}

function hasCode(e: unknown): e is NodeSystemError {
  return typeof e === "object" && e !== null && "code" in e;
}

/**
 * The positive errno of a Node system error (`{ code: 'ECONNREFUSED', errno: -111 }` → 111), Python's negative
 * `gaierror` number for a failed name lookup (`ENOTFOUND` → -2), or `null` when it carries none we know.
 */
export function errnoOf(e: unknown): number | null {
  if (!hasCode(e) || typeof e.code !== "string") return null;
  return ERRNO_BY_NAME.get(e.code) ?? EAI_BY_CODE.get(e.code) ?? null;
}

/**
 * Turn an error from `node:net` or `node:dns` into the exception Python would raise: ECONNREFUSED →
 * `ConnectionRefusedError(111, ...)`, ENOTFOUND → `gaierror(-2, 'Name or service not known')`. Errors that
 * are already Python-style pass through; anything else becomes `OSError(message)`.
 */
export function fromNodeError(e: unknown): OSError {
  if (e instanceof OSError) return e;
  const code = errnoOf(e);
  if (code !== null) return fromErrno(code);
  return new OSError(e instanceof Error ? e.message : String(e));
}

/**
 * `error`, its stack now that of the caller: for an error made in a callback (Node's `'error'` event, the SIGINT
 * listener), whose own stack names none of the program's lines. A call that awaited it rethrows it this way, so
 * its stack, and a traceback, shows the program's line that called, as Python's does:
 * `catch (e) { throw raisedHere(e); }`. Anything that is no Error is returned as it is.
 */
export function raisedHere<E>(error: E): E {
  if (error instanceof Error) Error.captureStackTrace(error, raisedHere);
  return error;
}
