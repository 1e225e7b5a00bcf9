/**
 * The part of the course's `Message` class that `libclient.py` and `libserver.py` repeat almost word for word:
 * the socket and selector plumbing. {@link Message} holds it once; `libclient.ts` and `libserver.ts` extend it with
 * what differs (queueing a request and reading a response, reading a request and sending a response). The bytes
 * themselves — framing, JSON — are `protocol.ts`'s business.
 *
 * What each method does, as in the course:
 * - `processEvents(mask)`: `read()` on `EVENT_READ`, then `write()` on `EVENT_WRITE`.
 * - `_read()`: `recv(4096)` into the frame decoder; `BlockingIOError` is ignored; an empty read (the peer closed)
 *   throws {@link PeerClosedError} (`Peer closed.`, the course's `RuntimeError`).
 * - `_write()`: prints `Sending b'...' to ADDR`, sends what the socket takes, keeps the rest; `BlockingIOError` is
 *   ignored.
 * - `processProtoheader()` / `processJsonheader()`: the first two phases of a frame, each when its bytes are there.
 * - `close()`: prints `Closing connection to ADDR`, unregisters (a `KeyError`/`ValueError` from the selector is
 *   printed as `Error: selector.unregister() exception for ADDR: <repr>`), closes the socket (an `OSError` is
 *   printed as `Error: socket.close() exception for ADDR: <repr>`) and forgets it.
 * - `setSelectorEventsMask(mode)`: `"r"`, `"w"` or `"rw"` → `selector.modify(sock, events, this)`.
 * @module
 */
import {
  AttributeError,
  BlockingIOError,
  KeyError,
  OSError,
  RuntimeError,
  ValueError,
} from "../python/errors.ts";
import type { HandlerObject } from "./event-loop.ts";
import { print, type Print } from "../python/print.ts";
import { FrameDecoder, type JsonHeader } from "./protocol.ts";
import { repr } from "../python/repr.ts";
import { EVENT_READ, EVENT_WRITE, type FileLike } from "../python/selectors.ts";
import type { Address } from "../python/socket.ts";

/**
 * The course's `RuntimeError("Peer closed.")`: the peer closed its side before a whole message came. A typed
 * error for programs, named `RuntimeError` so that its printed traceback (`RuntimeError: Peer closed.`) and repr
 * (`RuntimeError('Peer closed.')`) read as the course's do.
 */
export class PeerClosedError extends RuntimeError {
  constructor() {
    super("Peer closed.");
    this.name = "RuntimeError";
  }
}

/**
 * What a `Message` uses of its socket: a `NonBlockingSocket` has it all, and so can a test double,
 * without a cast. `recv` and `send` behave as a non-blocking socket's: `BlockingIOError` when they would block,
 * an empty Buffer from `recv` at end of stream.
 */
export interface MessageSocket extends FileLike {
  /** Up to `bufsize` received bytes; empty at end of stream. @throws BlockingIOError when none are there. */
  recv(bufsize: number): Buffer;
  /** Take what fits of `data`; returns the count. @throws BlockingIOError when nothing fits. */
  send(data: Uint8Array): number;
  /** Close the socket. */
  close(): void;
}

/**
 * What a `Message` uses of its selector: a `BaseSelector` whose keys hold `Message`s (and `null` for the
 * listening socket, on the server), such as `new DefaultSelector<Message | null>()`, or a test double.
 */
export interface MessageSelector {
  /** Change the events (and data) of a registered socket (or fd). @throws KeyError when it is not registered. */
  modify(fileobj: MessageSocket | number, events: number, data?: Message | null): unknown;
  /** Forget a socket (or fd). @throws KeyError when it is not registered; ValueError for a closed one. */
  unregister(fileobj: MessageSocket | number): unknown;
}

/** Options shared by both sides' `Message`. */
export interface MessageOptions {
  /** How the course's lines are printed (default {@link print}); quiet mode passes `printer(true)`. */
  readonly log?: Print | undefined;
  /** Largest `content-length` accepted (default: no limit, as the course). */
  readonly maxContentLength?: number;
  /**
   * Beyond the course: seconds a connection may take to deliver a complete frame, counted from when it is ready
   * for one (accepted, or the previous answer sent). Past it, {@link Message.deadline} has passed; whoever runs the
   * loop closes the connection (see `limits.ts`). Default: none.
   */
  readonly idleTimeout?: number | null;
  /** Beyond the course: serve several frames on one connection, in order (both sides must agree). */
  readonly keepAlive?: boolean;
  /** Told once the message has closed its connection (for connection counts). */
  readonly onClose?: (message: Message) => void;
}

/** How many bytes one `_read()` asks for, as the course's `recv(4096)`. */
const RECV_SIZE = 4096;
const EMPTY = Buffer.alloc(0);

/**
 * Where a connection's {@link Message} stands (beyond the course: `explorer.ts` shows it turn by turn). Reading a
 * frame goes `proto-header` → `JSON header` → `content`, each phase waiting for its bytes; the server then has
 * `request read` → `response queued` → `response sent`, the client `request not queued` → `request queued` before
 * it reads, and `response read` after; `failed` once a frame was refused; `closed` after `close()`.
 */
export type MessagePhase =
  | "request not queued"
  | "request queued"
  | "proto-header"
  | "JSON header"
  | "content"
  | "request read"
  | "response queued"
  | "response sent"
  | "response read"
  | "failed"
  | "closed";

const READING_PHASES = {
  protoheader: "proto-header",
  jsonheader: "JSON header",
  content: "content",
  failed: "failed",
} as const satisfies Record<string, MessagePhase>;

/** The interest modes of the course's `_set_selector_events_mask`. */
export type EventsMode = "r" | "w" | "rw";

const EVENTS_BY_MODE: Readonly<Record<string, number>> = {
  r: EVENT_READ,
  w: EVENT_WRITE,
  rw: EVENT_READ | EVENT_WRITE,
};

/** The shared half of the course's `Message` (see the module rules). */
export abstract class Message implements HandlerObject {
  /** The socket, until `close()` forgets it (the course sets `self.sock = None`). */
  sock: MessageSocket | null;
  /** The current frame's JSON header once read (the course's `jsonheader`). */
  jsonheader: JsonHeader | null = null;
  /**
   * Has the message's content been read? (The course tests `if self.request:` / `self.response is None`; an empty
   * request `{}` or `b''` would then never be answered, and the server would spin.)
   */
  protected contentRead = false;
  /** Bytes queued to send (the course's `_send_buffer`). */
  protected sendBuffer: Buffer = EMPTY;
  /** Received bytes, split into frames (the course's `_recv_buffer` and its parsing). */
  protected readonly decoder: FrameDecoder;
  /** Print a line of the course's output: `` this.log`Closing connection to ${this.addr}` ``. */
  protected readonly log: Print;
  /** Serve several frames on one connection (beyond the course). */
  protected readonly keepAlive: boolean;
  /** `performance.now()` by which the current frame must be complete, or `null` (see `idleTimeout`). */
  deadline: number | null = null;
  private readonly idleTimeoutMs: number | null;
  private readonly onClose: ((message: Message) => void) | undefined;

  constructor(
    /** The selector the connection is registered with (the course's `selector`). */
    readonly selector: MessageSelector,
    sock: MessageSocket,
    /** The peer's address, for the printed lines (the course's `addr`). */
    readonly addr: Address,
    options: MessageOptions = {},
  ) {
    this.sock = sock;
    this.log = options.log ?? print;
    this.keepAlive = options.keepAlive ?? false;
    this.onClose = options.onClose;
    this.idleTimeoutMs = options.idleTimeout == null ? null : options.idleTimeout * 1000;
    this.armDeadline();
    this.decoder = new FrameDecoder(
      options.maxContentLength === undefined ? {} : { maxContentLength: options.maxContentLength },
    );
  }

  /** The JSON header's length once the proto-header is read (the course's `_jsonheader_len`). */
  get jsonheaderLen(): number | null {
    return this.decoder.jsonheaderLen;
  }

  /**
   * Beyond the course: the phase of the current frame (see {@link MessagePhase}); here, `closed` or the phase of
   * the frame being read. Each side refines it with what it sends.
   */
  get phase(): MessagePhase {
    return this.sock === null ? "closed" : READING_PHASES[this.decoder.state];
  }

  /** Beyond the course: bytes received and not yet taken by a phase (the course's `len(self._recv_buffer)`). */
  get receivedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Beyond the course: bytes queued and not yet sent (the course's `len(self._send_buffer)`). */
  get queuedBytes(): number {
    return this.sendBuffer.length;
  }

  /** The course's `process_events`: read on `EVENT_READ`, then write on `EVENT_WRITE`. */
  processEvents(mask: number): void {
    if (mask & EVENT_READ) this.read();
    if (mask & EVENT_WRITE) this.write();
  }

  /**
   * The course's `read`: `_read()`, then each phase still pending whose bytes are there — the proto-header, the
   * JSON header, then the content, which each side handles its own way ({@link processContent}).
   */
  read(): void {
    this._read();
    this.processFrame();
  }

  /** The phases of `read()` after `_read()`: also run on bytes already buffered when a new frame starts. */
  protected processFrame(): void {
    if (this.sock === null) return;
    if (this.jsonheaderLen === null) this.processProtoheader();
    if (this.jsonheaderLen !== null && this.jsonheader === null) this.processJsonheader();
    if (this.jsonheader !== null && !this.contentRead) this.processContent();
  }

  /** The last phase: the server's `processRequest()`, the client's `processResponse()`. */
  protected abstract processContent(): void;

  /** Send what is queued, queueing first what is due (the course's `write`). */
  abstract write(): void;

  /**
   * The course's `_set_selector_events_mask`: `"r"`, `"w"` or `"rw"`.
   * @throws ValueError `Invalid events mask mode 'x'.` for another mode.
   */
  setSelectorEventsMask(mode: EventsMode): void {
    const events = Object.hasOwn(EVENTS_BY_MODE, mode) ? EVENTS_BY_MODE[mode] : undefined;
    if (events === undefined) throw new ValueError(`Invalid events mask mode ${repr(mode)}.`);
    this.selector.modify(this.socket("modify"), events, this);
  }

  /**
   * The course's `_read`: one `recv(4096)` into the decoder.
   * @throws PeerClosedError when the peer closed; the socket's errors (e.g. ConnectionResetError).
   */
  protected _read(): void {
    let data: Buffer;
    try {
      // Should be ready to read
      data = this.socket().recv(RECV_SIZE);
    } catch (e) {
      // Resource temporarily unavailable (errno EWOULDBLOCK)
      if (e instanceof BlockingIOError) return;
      throw e;
    }
    if (data.length === 0) {
      // With keep-alive, a peer that closes between frames is done, not broken.
      if (this.keepAlive && this.atFrameBoundary()) {
        this.close();
        return;
      }
      throw new PeerClosedError();
    }
    this.decoder.push(data);
  }

  /**
   * The course's `_write`: print and send the queued bytes, keep what was not taken.
   * @returns how many bytes were sent (0 when nothing was queued or the socket was full).
   */
  protected _write(): number {
    if (this.sendBuffer.length === 0) return 0;
    this.log`Sending ${this.sendBuffer} to ${this.addr}`;
    let sent: number;
    try {
      // Should be ready to write
      sent = this.socket("send").send(this.sendBuffer);
    } catch (e) {
      // Resource temporarily unavailable (errno EWOULDBLOCK)
      if (e instanceof BlockingIOError) return 0;
      throw e;
    }
    this.sendBuffer = this.sendBuffer.subarray(sent);
    return sent;
  }

  /** Queue bytes to send (the course's `self._send_buffer += message`). */
  protected queue(message: Buffer): void {
    this.sendBuffer =
      this.sendBuffer.length === 0 ? message : Buffer.concat([this.sendBuffer, message]);
  }

  /** The course's `process_protoheader`: read the 2-byte JSON header length once it is there. */
  processProtoheader(): void {
    this.decoder.processProtoheader();
  }

  /**
   * The course's `process_jsonheader`: read and check the JSON header once it is all there.
   * @throws ProtocolError, e.g. `Missing required header 'content-length'.`
   */
  processJsonheader(): void {
    if (this.decoder.processJsonheader()) this.jsonheader = this.decoder.jsonheader;
  }

  /** The current frame's content once all of it is there (and the decoder ready for the next frame). */
  protected takeContent(): Buffer | null {
    const content = this.decoder.processContent();
    if (content !== null) {
      this.contentRead = true;
      this.deadline = null;
    }
    return content;
  }

  /** Is nothing of a next frame received yet? */
  protected atFrameBoundary(): boolean {
    return this.decoder.state === "protoheader" && this.decoder.bufferedBytes === 0;
  }

  /**
   * Keep-alive: get ready for the next frame on this connection — forget the last one, listen with `mode`, and
   * go on with bytes of the next frame that were already received.
   */
  protected nextFrame(mode: EventsMode): void {
    this.jsonheader = null;
    this.contentRead = false;
    this.armDeadline();
    this.setSelectorEventsMask(mode);
    this.processFrame();
  }

  private armDeadline(): void {
    this.deadline = this.idleTimeoutMs === null ? null : performance.now() + this.idleTimeoutMs;
  }

  /**
   * The course's `close`: print, unregister, close, forget the socket. Errors from the selector or the socket are
   * printed, not thrown, as in the course (only the kinds the course expects; anything else is a bug and thrown).
   */
  close(): void {
    this.log`Closing connection to ${this.addr}`;
    const sock = this.sock;
    if (sock === null) return;
    try {
      this.selector.unregister(sock);
    } catch (e) {
      if (!(e instanceof KeyError || e instanceof ValueError)) throw e;
      this.log`Error: selector.unregister() exception for ${this.addr}: ${repr(e)}`;
    }
    try {
      sock.close();
    } catch (e) {
      if (!(e instanceof OSError)) throw e;
      this.log`Error: socket.close() exception for ${this.addr}: ${repr(e)}`;
    } finally {
      // Delete reference to socket object for garbage collection
      this.sock = null;
      this.deadline = null;
      this.onClose?.(this);
    }
  }

  /** The socket; after `close()`, Python's `AttributeError` for using `None`, as the course would raise. */
  protected socket(attribute = "recv"): MessageSocket {
    if (this.sock === null) {
      throw new AttributeError(`'NoneType' object has no attribute '${attribute}'`);
    }
    return this.sock;
  }
}
