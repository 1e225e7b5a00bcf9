/**
 * See the event loop: a recording of a real run, turn by turn, written as one self-contained HTML page
 * (`explorer-page.ts`) that steps through it. Beyond the course; the demos write it with `--explore FILE`.
 *
 * A **turn** is one `select()` call and what the program did before the next one. An {@link Explorer} records,
 * for each turn:
 * - the call: its timeout, how long it took (from the call to its return), the ready list (`[key, mask]` pairs);
 * - what the program then did, in order, socket by socket: `accept` (the new fd and the peer's address), `recv`
 *   (the bytes in Python's repr, and their count), `send` (the bytes offered, and how many the socket took: a
 *   partial send shows), `register`, `modify` (old → new mask), `unregister`, `close`, and every error raised
 *   (`BlockingIOError` from `recv`, a `ProtocolError` out of `processEvents`, ...);
 * - each ready key's `key.data` after the turn: for the app programs, the connection's `Message` phase
 *   (`MessagePhase`: proto-header, JSON header, content, response queued, ...) and its buffers' sizes; for the
 *   multiconn programs, the data's repr (`{'addr': ..., 'inb': b'', 'outb': b'...'}`).
 *
 * **How it hooks in.** The ready list comes from the selector's observer, `onSelect` (the one `timeline.ts`
 * uses; both chain, so `--timeline` and `--explore` work together). The rest comes from interposition on the
 * instances the program uses, installed only when recording: the selector's own `select`, `register`, `modify`
 * and `unregister`; and, as each one is registered, the socket's `accept`, `recv`, `send` and `close`, and a
 * `Message`'s `processEvents` (to see the errors the demo catches). Each is replaced on that one object by a
 * function that calls the original and notes the result. So:
 * - **Off, it costs nothing more than today:** no class, prototype or module changes; `select()` checks its
 *   `onSelect` slot once per call, as it already did for `--timeline`. The hot path is untouched.
 * - **On, it is bounded:** after `limit` turns (default {@link DEFAULT_TURN_LIMIT}, `--explore-limit N`) it only
 *   counts, per kind, what it leaves out, and the page says so; bytes are kept up to {@link MAX_SHOWN_BYTES} per
 *   call (the count is always exact).
 * - No hook is added to `socket.ts` or to the selectors: the record follows the program's own calls, on the
 *   objects it really uses, whatever is underneath (any of the selectors built on `PollLikeSelector`:
 *   `DefaultSelector`/`EpollSelector`, `PollSelector`, `SelectSelector`; either wire of `socket.ts`).
 * - A socket call's error is noted (`recv(4096) raised BlockingIOError(11, ...)`) and goes on up unchanged; so
 *   does the selector's (`register() raised KeyError(...)`).
 *
 * The recording is plain data ({@link Recording}); `save()` writes it as the HTML page, or as JSON when the file
 * name ends with `.json` (the guided tour gathers its programs' recordings that way, into one page of several
 * runs).
 *
 * @example
 * ```ts
 * const sel = new DefaultSelector<Connection | null>();
 * const explorer = new Explorer(sel, { file: "run.html" });
 * // ... the program's loop ...
 * console.log(explorer.save()); // "Explorer page written to run.html (42 select() calls, 3 sockets)"
 * ```
 * @module
 */
import { writeFileSync } from "node:fs";
import { basename } from "node:path";

import { explorerPage } from "./explorer-page.ts";
import { Message } from "../app/message.ts";
import { repr } from "../python/repr.ts";
import type {
  DataArg,
  FileObj,
  PollLikeSelector,
  ReadyList,
  SelectorKey,
} from "../python/selectors.ts";
import { NonBlockingSocket } from "../python/socket.ts";
import { socketLabel } from "./timeline.ts";
import {
  DEFAULT_TURN_LIMIT,
  MAX_SHOWN_BYTES,
  type Recording,
  type SocketRow,
  type Turn,
  type Action,
  type ActionKind,
  type DataEntry,
} from "./recording.ts";

export {
  DEFAULT_TURN_LIMIT,
  MAX_SHOWN_BYTES,
  isRecording,
  type Action,
  type ActionKind,
  type DataEntry,
  type Recording,
  type SocketRow,
  type Turn,
} from "./recording.ts";

/** Options of an {@link Explorer}. */
export interface ExplorerOptions {
  /** Where {@link Explorer.save} writes: an HTML page, or JSON when the name ends with `.json`. */
  readonly file: string;
  /** Most turns recorded (default {@link DEFAULT_TURN_LIMIT}). */
  readonly limit?: number;
  /** The run's name on the page (default: the script's name and its arguments). */
  readonly program?: string;
}

const MASKS = ["0", "R", "W", "RW"];

/** Records a run of one selector's event loop (see the module rules). */
export class Explorer<D, F extends FileObj> {
  /** Where {@link save} writes. */
  readonly file: string;
  private readonly limit: number;
  private readonly program: string;
  private readonly sockets: SocketRow[] = [];
  private readonly ids = new Map<unknown, number>();
  /** The file object of each row. */
  private readonly fileobjs: unknown[] = [];
  private readonly labelled = new Set<number>();
  private readonly watched = new WeakSet();
  private readonly before: Action[] = [];
  private readonly beforeData: DataEntry[] = [];
  /** Keys registered since the last `select()`: their `key.data` is described with the ready keys'. */
  private registered: SelectorKey<F, D>[] = [];
  private readonly turns: Turn[] = [];
  private readonly omitted: Partial<Record<ActionKind, number>> = {};
  private readonly started = performance.now();
  /** Where actions go now: the last recorded turn's list, or `null` past the limit. */
  private actions: Action[] | null = this.before;
  private calls = 0;
  private selectStarted = this.started;
  /** The last recorded turn and its ready list, whose `key.data` is described when the turn ends. */
  private open: { turn: Turn; ready: ReadyList<F, D> } | null = null;

  /** Start recording `selector` (before the program registers anything with it). */
  constructor(
    private readonly selector: PollLikeSelector<D, F>,
    options: ExplorerOptions,
  ) {
    this.file = options.file;
    this.limit = options.limit ?? DEFAULT_TURN_LIMIT;
    this.program =
      options.program ?? [basename(process.argv[1] ?? "program"), ...programArgs()].join(" ");
    this.hook();
  }

  /** The run so far, as plain data (the last turn's `key.data` included). */
  recording(): Recording {
    this.endTurn();
    for (let i = 0; i < this.sockets.length; i++) this.label(i);
    return {
      program: this.program,
      limit: this.limit,
      calls: this.calls,
      sockets: this.sockets,
      before: this.before,
      beforeData: this.beforeData,
      turns: this.turns,
      omitted: this.omitted,
    };
  }

  /**
   * Write the page (or the JSON) to {@link file}.
   * @returns the line to print: where it was written and what it holds, or why it could not be.
   */
  save(): string {
    const recording = this.recording();
    const json = this.file.endsWith(".json");
    const failed = write(this.file, json ? JSON.stringify(recording) : explorerPage([recording]));
    if (failed !== null) return failed;
    const what = json ? "Explorer recording" : "Explorer page";
    return `${what} written to ${this.file} (${plural(this.calls, "select() call")}, ${plural(this.sockets.length, "socket")})`;
  }

  private hook(): void {
    const sel = this.selector;
    const previous = sel.onSelect;
    sel.onSelect = (ready, timeout) => {
      previous?.(ready, timeout);
      this.turn(ready, timeout);
    };
    const select = sel.select.bind(sel);
    sel.select = (timeout?: number | null): Promise<ReadyList<F, D>> => {
      this.selectStarted = performance.now();
      return select(timeout);
    };
    const register = sel.register.bind(sel);
    sel.register = (fileobj: F, events: number, ...rest: DataArg<D>): SelectorKey<F, D> => {
      const key = this.attempt(this.id(fileobj, fdOf(fileobj)), "register()", () =>
        register(fileobj, events, ...rest),
      );
      const id = this.id(key.fileobj, key.fd);
      if (this.actions !== null) this.registered.push(key);
      this.watch(key);
      this.act(id, "register", `register(events=${maskName(events)}, data=${dataName(key.data)})`);
      return key;
    };
    const modify = sel.modify.bind(sel);
    sel.modify = (fileobj: F | number, events: number, ...rest: DataArg<D>): SelectorKey<F, D> => {
      const old = sel.getMap()?.get(fileobj);
      const id = this.id(old?.fileobj ?? fileobj, old?.fd ?? fdOf(fileobj));
      const key = this.attempt(id, "modify()", () => modify(fileobj, events, ...rest));
      const was = old === undefined ? "?" : maskName(old.events);
      this.act(id, "modify", `modify(${was} → ${maskName(events)})`);
      return key;
    };
    const unregister = sel.unregister.bind(sel);
    sel.unregister = (fileobj: F | number): SelectorKey<F, D> => {
      const old = sel.getMap()?.get(fileobj);
      const id = this.id(old?.fileobj ?? fileobj, old?.fd ?? fdOf(fileobj));
      const key = this.attempt(id, "unregister()", () => unregister(fileobj));
      this.act(id, "unregister", "unregister()");
      this.ended(id);
      return key;
    };
  }

  /** Interpose on a newly registered socket and `Message` (once each). */
  private watch(key: SelectorKey<F, D>): void {
    const sock = key.fileobj;
    const id = this.id(sock, key.fd);
    if (sock instanceof NonBlockingSocket && !this.watched.has(sock)) {
      this.watched.add(sock);
      this.watchSocket(sock, id);
    }
    const data = key.data;
    if (data instanceof Message && !this.watched.has(data)) {
      this.watched.add(data);
      const processEvents = data.processEvents.bind(data);
      data.processEvents = (mask: number): void => {
        this.attempt(id, `processEvents(${maskName(mask)})`, () => {
          processEvents(mask);
        });
      };
    }
  }

  private watchSocket(sock: NonBlockingSocket, id: number): void {
    const accept = sock.accept.bind(sock);
    sock.accept = () => {
      const accepted = this.attempt(id, "accept()", accept);
      const [conn, addr] = accepted;
      this.act(id, "accept", `accept() → new socket fd ${conn.fileno()} from ${repr(addr)}`);
      return accepted;
    };
    const recv = sock.recv.bind(sock);
    sock.recv = (bufsize: number): Buffer => {
      const data = this.attempt(id, `recv(${bufsize})`, () => recv(bufsize));
      this.act(
        id,
        "recv",
        data.length === 0
          ? `recv(${bufsize}) → b'' (0 bytes: the peer closed its side)`
          : `recv(${bufsize}) → ${plural(data.length, "byte")}: ${shown(data)}`,
      );
      return data;
    };
    const send = sock.send.bind(sock);
    sock.send = (data: Uint8Array): number => {
      const offered = plural(data.length, "byte");
      const sent = this.attempt(id, `send(${offered})`, () => send(data));
      const partial =
        sent < data.length ? ` (partial: ${plural(data.length - sent, "byte")} not taken)` : "";
      this.act(
        id,
        "send",
        `send(${offered}) → ${sent}${partial}: ${shown(data.subarray(0, sent))}`,
      );
      return sent;
    };
    const close = sock.close.bind(sock);
    sock.close = (): void => {
      this.attempt(id, "close()", close);
      this.act(id, "close", "close()");
      this.ended(id);
    };
  }

  /** `call()`, noting an error it raises (`recv(4096) raised BlockingIOError(...)`) before it goes on up. */
  private attempt<T>(id: number, what: string, call: () => T): T {
    try {
      return call();
    } catch (e) {
      this.act(id, "error", `${what} raised ${errorText(e)}`);
      throw e;
    }
  }

  /** A `select()` returned `ready`: end the last turn, start the next (or count it, past the limit). */
  private turn(ready: ReadyList<F, D>, timeout: number | null): void {
    this.endTurn();
    this.calls += 1;
    if (this.turns.length >= this.limit) {
      this.actions = null;
      return;
    }
    const now = performance.now();
    const turn: Turn = {
      n: this.calls,
      timeout,
      waited: round(now - this.selectStarted),
      at: round(now - this.started),
      ready: ready.map(([key, mask]) => {
        const id = this.id(key.fileobj, key.fd);
        this.label(id);
        return [id, mask] as const;
      }),
      actions: [],
      data: [],
    };
    this.turns.push(turn);
    this.actions = turn.actions;
    this.open = { turn, ready };
  }

  /** Describe the `key.data` of the last turn's ready and registered keys, as the program left them. */
  private endTurn(): void {
    const open = this.open;
    const registered = this.registered;
    this.open = null;
    this.registered = [];
    const entries = open?.turn.data ?? (this.calls === 0 ? this.beforeData : null);
    if (entries === null) return;
    const seen = new Set<number>();
    const describe = (key: SelectorKey<F, D>): void => {
      const id = this.id(key.fileobj, key.fd);
      if (seen.has(id)) return;
      seen.add(id);
      entries.push([id, describeData(key.data)]);
    };
    if (open !== null) for (const [key] of open.ready) describe(key);
    for (const key of registered) describe(key);
  }

  private act(id: number, kind: ActionKind, text: string): void {
    if (this.actions === null) this.omitted[kind] = (this.omitted[kind] ?? 0) + 1;
    else this.actions.push([id, kind, text]);
  }

  /** The socket has left the selector (or closed): its row ends at this turn. */
  private ended(id: number): void {
    const row = this.sockets[id];
    if (row?.closed === null) row.closed = this.turns.length;
  }

  /** The row of a file object (numbers: of an fd), made when first seen. */
  private id(fileobj: unknown, fd: number): number {
    let id = this.ids.get(fileobj);
    if (id === undefined) {
      id = this.sockets.length;
      this.ids.set(fileobj, id);
      this.fileobjs.push(fileobj);
      this.sockets.push({
        label: socketLabel(fileobj, fd),
        opened: this.turns.length,
        closed: null,
      });
    }
    return id;
  }

  /** Name a row once its socket is connected (a connecting socket has no peer yet when registered). */
  private label(id: number): void {
    if (this.labelled.has(id)) return;
    const row = this.sockets[id];
    const fileobj = this.fileobjs[id];
    const fd = fdOf(fileobj);
    if (row === undefined || fd < 0) return;
    row.label = socketLabel(fileobj, fd);
    this.labelled.add(id);
  }
}

/** The flags' values an {@link explorerFromFlags} reads (`DEMO_FLAGS` of `cli.ts`). */
export interface ExploreFlags {
  /** `--explore FILE` */
  readonly explore?: string | undefined;
  /** `--explore-limit N` */
  readonly "explore-limit"?: string | undefined;
}

/** What `--explore FILE [--explore-limit N]` asked for. */
export interface ExploreRequest {
  /** Where to write. */
  readonly file: string;
  /** Most turns recorded. */
  readonly limit: number;
}

/**
 * Read `--explore FILE [--explore-limit N]`: `null` without `--explore`, or the error line for a bad value.
 */
export function exploreRequest(values: ExploreFlags): ExploreRequest | string | null {
  const limitText = values["explore-limit"];
  if (values.explore === undefined) {
    return limitText === undefined ? null : "Error: --explore-limit needs --explore FILE";
  }
  if (values.explore === "") return "Error: --explore needs a file name";
  if (limitText === undefined) return { file: values.explore, limit: DEFAULT_TURN_LIMIT };
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || !Number.isSafeInteger(limit) || limit < 1) {
    return `Error: --explore-limit wants a whole number ≥ 1, not ${repr(limitText)}`;
  }
  return { file: values.explore, limit };
}

/**
 * The demos' `--explore FILE [--explore-limit N]`: an {@link Explorer} of `selector`, `null` without
 * `--explore`, or the error line for a bad value.
 */
export function explorerFromFlags<D, F extends FileObj>(
  selector: PollLikeSelector<D, F>,
  values: ExploreFlags,
): Explorer<D, F> | string | null {
  const request = exploreRequest(values);
  return request === null || typeof request === "string"
    ? request
    : new Explorer(selector, request);
}

/**
 * Write the page of several recorded runs (the guided tour's server and clients) to `file`.
 * @returns the line to print: where it was written, or why it could not be.
 */
export function writeExplorerPage(file: string, recordings: readonly Recording[]): string {
  return (
    write(file, explorerPage(recordings)) ??
    `Explorer page written to ${file} (${plural(recordings.length, "run")})`
  );
}

/** Write `text` to `file`; `null`, or the error line (and exit status 1 for the program). */
function write(file: string, text: string): string | null {
  try {
    writeFileSync(file, text);
    return null;
  } catch (e) {
    process.exitCode = 1;
    return `Error: could not write ${repr(file)}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** `key.data` as the page shows it: a `Message`'s phase and buffers, or the data's repr. */
function describeData(data: unknown): string {
  if (data instanceof Message) {
    return `Message phase: ${data.phase}; receive buffer ${plural(data.receivedBytes, "byte")}, send buffer ${plural(data.queuedBytes, "byte")}`;
  }
  const text = repr(data);
  return text.length > 2 * MAX_SHOWN_BYTES ? `${text.slice(0, 2 * MAX_SHOWN_BYTES)}…` : text;
}

function dataName(data: unknown): string {
  if (data instanceof Message) return `<${data.constructor.name} ${repr(data.addr)}>`;
  return describeData(data);
}

function shown(data: Uint8Array): string {
  if (data.length <= MAX_SHOWN_BYTES) return repr(data);
  const rest = data.length - MAX_SHOWN_BYTES;
  return `${repr(data.subarray(0, MAX_SHOWN_BYTES))}… (${plural(rest, "more byte")} not shown)`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? repr(e) : String(e);
}

function maskName(mask: number): string {
  return MASKS[mask] ?? String(mask);
}

function fdOf(fileobj: unknown): number {
  if (typeof fileobj === "number") return fileobj;
  if (typeof fileobj !== "object" || fileobj === null || !("fileno" in fileobj)) return -1;
  const fileno = fileobj.fileno;
  return typeof fileno === "function" ? Number(fileno.call(fileobj)) : -1;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The command line's arguments, without our explorer flags (and the file they name). */
function programArgs(): string[] {
  const args = process.argv.slice(2);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--explore" || arg === "--explore-limit") i += 1;
    else if (!arg.startsWith("--explore")) out.push(arg);
  }
  return out;
}
