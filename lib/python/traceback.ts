/**
 * Python's `traceback` module and its uncaught-exception behaviour (`sys.excepthook`), for JavaScript errors.
 *
 * Rules:
 * - {@link formatException} writes an error as Python 3.11 prints a traceback: `Traceback (most recent call
 *   last):`, one `  File "PATH", line N, in FUNCTION` line per frame, oldest first, each followed by its source
 *   line and, where the failing call is not the whole statement, Python 3.11's `^^^^` under it
 *   ({@link caretLine}), then `ClassName: message`, then the error's notes (Python's `add_note()`, see
 *   `PythonException.notes`). A function is named as Python names it: a method by its own name
 *   (`processEvents`, not `Message.processEvents`), a module's top-level code `<module>`.
 * - Frames come from the error's stack, and only the program's own frames are shown: frames of Node's internals,
 *   of `node_modules`, and of the modules here that stand for Python's standard library (`socket`,
 *   `selectors`, `errors`, ... : {@link STANDARD_LIBRARY}) are left out, as Python's traceback has no frame for
 *   its C code (`s.connect()` raises with no frame under the program's own). So the frames of Python's
 *   `socket.py` and `selectors.py` that a KeyboardInterrupt traceback shows have no counterpart here.
 * - An error whose `cause` is set prints its cause first, then Python's `The above exception was the direct cause
 *   of the following exception:` (Python's `raise ... from ...`).
 * - {@link installExceptHook} makes an uncaught exception end the program as Python's does: the traceback on
 *   stderr and exit status 1; for an uncaught {@link KeyboardInterrupt}, death by SIGINT after the traceback (the
 *   shell sees 130), as Python 3.8 and later. Every demo calls it first.
 *
 * @example
 * ```ts
 * import { installExceptHook } from "../lib/python/traceback.ts";
 * installExceptHook(); // from here on, an uncaught exception prints Python's traceback and exits 1
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { KeyboardInterrupt, PythonException, gaierror } from "./errors.ts";
import { installDefaultIntHandler } from "./keyboard-interrupt.ts";
import { ProtocolError } from "../app/protocol.ts";
import { repr } from "./repr.ts";

/**
 * The modules of this library that stand for Python's standard library and its C code, as paths from the
 * library's root (`lib/` or `dist/`) without extension: their frames are left out of tracebacks. A name ending in
 * `/` stands for a whole folder: the Python modules, the kernel model, the transports and the learner's tools.
 * (The course's own modules, `app/libclient`, `app/libserver` and what they share, keep theirs.)
 */
export const STANDARD_LIBRARY: readonly string[] = [
  "python/",
  "kernel/",
  "transport/",
  "learn/",
  "app/event-loop",
  "index",
];

/**
 * The library's roots: the folder above this one (`lib/`, or `dist/` when built), and `lib/` beside `dist/` (the
 * sources the source maps point to).
 */
const LIB_ROOTS = [
  fileURLToPath(new URL("../", import.meta.url)),
  fileURLToPath(new URL("../../lib/", import.meta.url)),
];

/** Whether `file` is one of the {@link STANDARD_LIBRARY} modules (`.ts` source or built `.js`). */
function isStandardLibrary(file: string): boolean {
  for (const root of LIB_ROOTS) {
    if (!file.startsWith(root)) continue;
    const module = file.slice(root.length).replace(/\.(?:d\.)?[cm]?[jt]s$/, "");
    if (module.includes("/node_modules/")) return false;
    return STANDARD_LIBRARY.some((name) =>
      name.endsWith("/") ? module.startsWith(name) : module === name,
    );
  }
  return false;
}

/** One frame of a traceback. */
export interface Frame {
  /** The file's path. */
  readonly file: string;
  /** Its line, from 1. */
  readonly line: number;
  /** Where on the line the call is, from 1 (V8's column: a call's name, an `await`, a `new`). */
  readonly column: number;
  /** The function, as Python names it (`<module>` for top-level code). */
  readonly name: string;
}

/** `    at NAME (LOCATION)` or `    at LOCATION`, LOCATION being `FILE:LINE:COLUMN`. */
const STACK_LINE = /^\s+at (?:(.*?) \((.+):(\d+):(\d+)\)|(.+):(\d+):(\d+))$/;

/** The frames of `error.stack` that belong to the program, oldest first. */
export function programFrames(error: Error): Frame[] {
  const frames: Frame[] = [];
  for (const text of (error.stack ?? "").split("\n")) {
    const match = STACK_LINE.exec(text);
    if (match === null) continue;
    let file = match[2] ?? match[5] ?? "";
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (!file.startsWith("/") || file.includes("/node_modules/") || isStandardLibrary(file))
      continue;
    frames.push({
      file,
      line: Number(match[3] ?? match[6]),
      column: Number(match[4] ?? match[7]),
      name: pythonName(match[1] ?? ""),
    });
  }
  return frames.reverse();
}

/** V8's name for a frame's function, as Python would give it. */
function pythonName(v8Name: string): string {
  const name = v8Name.replace(/^(?:async |new )/, "").replace(/ \[as [^\]]*\]$/, "");
  if (name === "" || name === "<anonymous>" || name === "Object.<anonymous>") return "<module>";
  return name.slice(name.lastIndexOf(".") + 1);
}

const sources = new Map<string, readonly string[] | null>();

/** Line `line` (from 1) of `file`, or `null` when the file cannot be read or has no such line. */
function sourceLine(file: string, line: number): string | null {
  let lines = sources.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, "utf8").split("\n");
    } catch {
      lines = null;
    }
    sources.set(file, lines);
  }
  const text = lines?.[line - 1];
  return text === undefined || text.trim() === "" ? null : text;
}

const OPENERS: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };
const CLOSERS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };

/**
 * Python 3.11's markers under the failing call: `^` from where the call's expression starts to its closing
 * parenthesis, on the line below `source` as printed (indented by 4, `source` stripped). `null` where Python
 * prints none: when the call spans the whole statement (a trailing `;` aside), or when it does not end on its
 * line. `column` (from 1) is V8's: a call's name (`sock.recv(...)` at `recv`), or an `await` or `new`.
 */
export function caretLine(source: string, column: number): string | null {
  let start = column - 1;
  // Back to where the callee starts: `sock.recv`, `this.socket().recv`.
  while (start > 0) {
    const before = source[start - 1] ?? "";
    if (/[\w$.]/.test(before)) start--;
    else if (OPENERS[before] !== undefined && source[start - 2] !== " ") {
      const open = matching(source, start - 1, -1);
      if (open === -1) break;
      start = open;
    } else break;
  }
  // On to the end of the call: `await`/`new`, the callee, its arguments.
  const rest = /^(?:(?:await|new)\s+)*[\w$.]*/.exec(source.slice(column - 1));
  const open = column - 1 + (rest?.[0].length ?? 0);
  if (source[open] !== "(") return null;
  const close = matching(source, open, 1);
  if (close === -1) return null;
  const indent = source.length - source.trimStart().length;
  const statement = source.trim().replace(/;$/, "");
  if (close + 1 - start >= statement.length) return null;
  return `    ${" ".repeat(start - indent)}${"^".repeat(close + 1 - start)}`;
}

/**
 * The index of the bracket matching the one at `at`, scanning in `step` (1 forward, -1 back), skipping quoted
 * text when going forward; -1 if it is not on the line.
 */
function matching(source: string, at: number, step: 1 | -1): number {
  let depth = 0;
  for (let i = at; i >= 0 && i < source.length; i += step) {
    const c = source[i] ?? "";
    if (step === 1 && (c === '"' || c === "'" || c === "`")) {
      const end = source.indexOf(c, i + 1);
      if (end === -1) return -1;
      i = end;
    } else if ((step === 1 ? CLOSERS[c] : OPENERS[c]) !== undefined) depth++;
    else if ((step === 1 ? OPENERS[c] : CLOSERS[c]) !== undefined && --depth === 0) return i;
  }
  return -1;
}

/** The last line of a traceback: Python's `ClassName: message`, or the class name alone for no message. */
function exceptionLine(error: unknown): string {
  if (!(error instanceof Error)) {
    // Python refuses to raise anything but an exception; JavaScript throws anything.
    return `TypeError: exceptions must derive from BaseException (JavaScript threw ${repr(error)})`;
  }
  if (error instanceof ProtocolError) return `${error.name} [${error.code}]: ${error.message}`;
  // Python prints a class by its module and name unless it is a builtin: socket.gaierror.
  const name = error instanceof gaierror ? "socket.gaierror" : error.name;
  return error.message === "" ? name : `${name}: ${error.message}`;
}

/**
 * An error as Python prints an uncaught exception, ending with a newline: `Traceback (most recent call last):`
 * and the program's frames (none, and no such line, when it has none), the exception line, its notes. See the
 * module rules.
 */
export function formatException(error: unknown): string {
  let text = "";
  if (error instanceof Error && error.cause !== undefined && error.cause !== error) {
    text = `${formatException(error.cause)}\nThe above exception was the direct cause of the following exception:\n\n`;
  }
  const frames = error instanceof Error ? programFrames(error) : [];
  if (frames.length > 0) {
    text += "Traceback (most recent call last):\n";
    for (const frame of frames) {
      text += `  File "${frame.file}", line ${String(frame.line)}, in ${frame.name}\n`;
      const source = sourceLine(frame.file, frame.line);
      if (source === null) continue;
      text += `    ${source.trim()}\n`;
      const carets = caretLine(source, frame.column);
      if (carets !== null) text += `${carets}\n`;
    }
  }
  text += `${exceptionLine(error)}\n`;
  if (error instanceof PythonException) {
    for (const note of error.notes) text += `${note}\n`;
  }
  return text;
}

/**
 * The text of a caught exception, ending with a newline: Python's `traceback.format_exc()`, as the course's
 * `Main: Error: Exception for ...` lines print it. That is {@link formatException}'s traceback, except for a
 * {@link ProtocolError} (bad input from the peer, not a bug here): the one line `ProtocolError [CODE]: message`,
 * since its frames would say nothing more.
 */
export function traceback(error: unknown): string {
  if (error instanceof ProtocolError) return `${exceptionLine(error)}\n`;
  return formatException(error);
}

/**
 * Python's `sys.excepthook` and what follows it: print `error`'s traceback ({@link formatException}) to stderr,
 * then end the process: by SIGINT for a {@link KeyboardInterrupt} (the default SIGINT action, as Python 3.8 and
 * later do, so a shell sees status 130), with status 1 for anything else.
 */
export function excepthook(error: unknown): never {
  process.stderr.write(formatException(error));
  if (error instanceof KeyboardInterrupt) {
    // Back to SIGINT's default action, then raise it: the process ends "killed by SIGINT".
    process.removeAllListeners("SIGINT");
    process.kill(process.pid, "SIGINT");
    // As Python, if the signal did not end the process: the status a shell would have shown.
    process.exit(130);
  }
  process.exit(1);
}

let hookInstalled = false;

/**
 * From now on, an exception nobody catches (thrown, or a rejected Promise nobody handles, top-level `await`
 * included) goes to {@link excepthook}: Python's traceback on stderr, exit status 1, or death by SIGINT for a
 * {@link KeyboardInterrupt}, instead of Node's crash report. And Ctrl-C is Python's from now on, not only while
 * a call waits (`installDefaultIntHandler()` of `keyboard-interrupt.ts`): a SIGINT that arrives while the program
 * runs interrupts what waits when the event loop turns, or raises `KeyboardInterrupt`. Calling it again does
 * nothing.
 */
export function installExceptHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on("uncaughtException", excepthook);
  installDefaultIntHandler();
}
