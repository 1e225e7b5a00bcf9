/**
 * Python's `sys.stdin`, as a selector sees it: a file object at fd 0 that can be registered for `EVENT_READ`
 * beside sockets, so one `select()` waits on the keyboard and the network at once (the classic chat client).
 *
 * Rules:
 *
 * - `stdin.fileno()` is 0. Registered for `EVENT_READ`, it is ready when a whole line is waiting, or end of file
 *   (a terminal gives whole lines; from a pipe, a last line without a newline counts at end of file).
 * - `stdin.readline()` returns the next line with its `'\n'`, the last line without one, and `''` at end of file,
 *   as Python's does. Where Python's would wait for the rest of a line, it raises `BlockingIOError` (errno 11):
 *   JavaScript cannot wait there, so wait for readiness with a selector first.
 * - Text is decoded as UTF-8 (a character split between two reads is kept whole).
 * - Standard input redirected from a regular file is always ready; `EpollSelector.register()` refuses it with
 *   `PermissionError: [Errno 1] Operation not permitted`, as `epoll_ctl(2)` does in Python.
 * - Reading starts at the first `register()` or `readline()`; it does not keep the process alive (a waiting
 *   `select()` does). `stdin.close()` closes fd 0.
 *
 * @example
 * ```ts
 * import { stdin } from "selectors-ts/sys";
 * sel.register(stdin, EVENT_READ, "keyboard");
 * for (const [key] of await sel.select()) {
 *   if (key.data === "keyboard") console.log(`You typed ${repr(stdin.readline())}`);
 * }
 * ```
 * @module
 */
import { fstatSync, readSync } from "node:fs";
import { Socket } from "node:net";
import { inspect } from "node:util";
import { StringDecoder } from "node:string_decoder";

import { ValueError, errno, fromErrno } from "./errors.ts";
import {
  READABLE,
  WRITABLE,
  Watchers,
  allocateFdAt,
  ownerOfFd,
  releaseFd,
  type Selectable,
  type Watcher,
} from "../kernel/fd.ts";
import { reprSymbol, type Reprable } from "./repr.ts";

const STDIN_FD = 0;

/** Python's `sys.stdin`: see the module rules. */
export class Stdin implements Selectable, Reprable {
  private readonly watchers = new Watchers();
  private readonly decoder = new StringDecoder("utf8");
  /** Decoded text not yet read by `readline()`. */
  private text = "";
  private eof = false;
  private reading = false;
  private closed = false;
  private file: boolean | null = null;

  /**
   * @internal Programs use {@link stdin}. Tests may read another stream as if it were standard input (it is
   * not a regular file, and fd 0 stays with `stdin`).
   */
  constructor(private readonly input: NodeJS.ReadableStream = process.stdin) {
    allocateFdAt(STDIN_FD, this);
  }

  /** A regular file (standard input redirected from one): always ready; epoll refuses it. */
  get regularFile(): boolean {
    this.file ??= this.input === process.stdin && isRegularFile();
    return this.file;
  }

  /** 0. @throws ValueError `I/O operation on closed file.` once closed. */
  fileno(): number {
    if (this.closed) throw new ValueError("I/O operation on closed file.");
    return STDIN_FD;
  }

  /** `EVENT_READ` when a line or end of file is waiting (see the module rules); always, for a regular file. */
  readiness(): number {
    if (this.closed) return 0;
    if (this.regularFile) return READABLE | WRITABLE;
    return this.eof || this.text.includes("\n") ? READABLE : 0;
  }

  /** Start telling `watcher` when a line arrives; starts reading standard input. */
  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
    this.startReading();
  }

  /** Stop telling `watcher`. */
  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  /**
   * The next line, with its `'\n'`; the last line without one; `''` at end of file.
   * @throws BlockingIOError (11) when no whole line is waiting yet; ValueError once closed.
   */
  readline(): string {
    if (this.closed) throw new ValueError("I/O operation on closed file.");
    if (this.regularFile) this.readFileLine();
    else this.startReading();
    const end = this.text.indexOf("\n");
    if (end < 0 && !this.eof) {
      throw fromErrno(errno.EAGAIN).addNote(
        "readline() cannot wait in JavaScript: register sys.stdin with a selector and call readline() when it is ready.",
      );
    }
    const cut = end < 0 ? this.text.length : end + 1;
    const line = this.text.slice(0, cut);
    this.text = this.text.slice(cut);
    return line;
  }

  /** Close standard input: fd 0 is free again, as after Python's `sys.stdin.close()`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (ownerOfFd(STDIN_FD) === this) releaseFd(STDIN_FD);
    if (this.reading) {
      this.input.off("data", this.onData);
      this.input.off("end", this.onEnd);
      this.input.pause();
    }
    this.watchers.notify();
  }

  /** `<_io.TextIOWrapper name='<stdin>' mode='r' encoding='utf-8'>`, as Python prints `sys.stdin`. */
  [reprSymbol](): string {
    return "<_io.TextIOWrapper name='<stdin>' mode='r' encoding='utf-8'>";
  }

  /** `console.log(stdin)` shows the Python repr. */
  [inspect.custom](): string {
    return this[reprSymbol]();
  }

  private startReading(): void {
    if (this.reading || this.closed || this.regularFile) return;
    this.reading = true;
    const input = this.input;
    input.on("data", this.onData);
    input.on("end", this.onEnd);
    // Standard input does not keep the process alive by itself (a waiting select() does).
    // (A terminal's or a pipe's stream is a net.Socket; a file's ends by itself.)
    if (input instanceof Socket) input.unref();
  }

  /** A regular file is read synchronously, up to the next newline. */
  private readFileLine(): void {
    const chunk = Buffer.allocUnsafe(4096);
    while (!this.eof && !this.text.includes("\n")) {
      const count = readSync(STDIN_FD, chunk, 0, chunk.length, null);
      if (count === 0) this.ended();
      else this.text += this.decoder.write(chunk.subarray(0, count));
    }
  }

  private ended(): void {
    this.eof = true;
    this.text += this.decoder.end();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.text += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    this.watchers.notify();
  };

  private readonly onEnd = (): void => {
    this.ended();
    this.watchers.notify();
  };
}

function isRegularFile(): boolean {
  try {
    return fstatSync(STDIN_FD).isFile();
  } catch {
    return false;
  }
}

/** Python's `sys.stdin`. */
export const stdin = new Stdin();
