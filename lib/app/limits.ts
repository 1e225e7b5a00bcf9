/**
 * Limits of the app-server, beyond the course: what keeps one hostile or broken client from holding the server.
 *
 * - **max-content-length** (bytes): a frame whose `content-length` is larger is refused as soon as its JSON header
 *   is read, before any content is buffered (`ProtocolError [PROTOCOL_CONTENT_TOO_LONG]`, through the course's
 *   `Main: Error: Exception for ADDR:` path). Default 16 MiB.
 * - **max-connections**: with that many connections open, the listening socket leaves the selector, so new
 *   connections wait in the kernel's backlog, unserved, until one closes; one line says so each time it happens.
 *   Default 1024.
 * - **idle-timeout** (seconds): a connection must deliver a complete request within that time of being ready for
 *   one (accepted, or its previous answer sent with keep-alive). One that sends nothing, or dribbles a frame too
 *   slowly, is closed with one line naming its address and the reason. Checked at least once a second (or
 *   four times per timeout, if shorter). Default 60 s; 0 turns it off.
 *
 * None of the defaults changes what the course's programs do with valid traffic.
 * @module
 */
import { EVENT_READ, type BaseSelector } from "../python/selectors.ts";
import type { Message, MessageOptions } from "./message.ts";
import { print, type Print } from "../python/print.ts";
import { repr } from "../python/repr.ts";
import type { NonBlockingSocket } from "../python/socket.ts";

/** The limits, as numbers. */
export interface Limits {
  /** Largest accepted `content-length`, in bytes. */
  readonly maxContentLength: number;
  /** Most connections served at once. */
  readonly maxConnections: number;
  /** Seconds to deliver a complete request; `null` for no limit. */
  readonly idleTimeout: number | null;
}

/** The defaults (see the module rules). */
export const DEFAULT_LIMITS: Limits = {
  maxContentLength: 16 * 1024 * 1024,
  maxConnections: 1024,
  idleTimeout: 60,
};

/** The app-server's limit flags, for `util.parseArgs` (values are checked by {@link limitsFromFlags}). */
export const LIMIT_FLAGS = {
  /** `--max-content-length BYTES` */
  "max-content-length": { type: "string" },
  /** `--max-connections N` */
  "max-connections": { type: "string" },
  /** `--idle-timeout SECONDS` (0: none) */
  "idle-timeout": { type: "string" },
} as const;

/** The flags' values as `util.parseArgs` gives them. */
export interface LimitFlagValues {
  /** `--max-content-length BYTES`. */
  readonly "max-content-length"?: string | undefined;
  /** `--max-connections N`. */
  readonly "max-connections"?: string | undefined;
  /** `--idle-timeout SECONDS`. */
  readonly "idle-timeout"?: string | undefined;
}

/**
 * The limits the flags ask for, over the defaults; or the line that says which value is wrong.
 */
export function limitsFromFlags(values: LimitFlagValues): Limits | string {
  const maxContentLength = count(values["max-content-length"], DEFAULT_LIMITS.maxContentLength);
  if (maxContentLength === null)
    return badValue("--max-content-length", values["max-content-length"]);
  const maxConnections = count(values["max-connections"], DEFAULT_LIMITS.maxConnections);
  if (maxConnections === null || maxConnections < 1) {
    return badValue("--max-connections", values["max-connections"]);
  }
  const text = values["idle-timeout"];
  let idleTimeout = DEFAULT_LIMITS.idleTimeout;
  if (text !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(seconds)) return badValue("--idle-timeout", text);
    idleTimeout = seconds === 0 ? null : seconds;
  }
  return { maxContentLength, maxConnections, idleTimeout };
}

function count(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

function badValue(flag: string, text: string | undefined): string {
  return `Error: invalid value for ${flag}: ${repr(text ?? "")}`;
}

/**
 * Applies {@link Limits} to a server's loop: counts connections (pausing and resuming the listening socket), and
 * closes those past their deadline.
 */
export class ConnectionLimits {
  private readonly open = new Set<Message>();
  private paused = false;
  private nextSweep = 0;
  private readonly sweepMs: number | null;
  /** Every message's close hook (see {@link messageOptions}). */
  private onClose: ((message: Message) => void) | null = null;
  /** The last {@link messageOptions} made. */
  private lastOptions: MessageOptions | null = null;

  constructor(
    private readonly selector: BaseSelector<NonBlockingSocket, Message | null>,
    private readonly lsock: NonBlockingSocket,
    /** The limits in force. */
    readonly limits: Limits,
    private readonly log: Print = print,
  ) {
    const idle = limits.idleTimeout;
    this.sweepMs = idle === null ? null : Math.min(1000, (idle * 1000) / 4);
  }

  /**
   * The options a new connection's `Message` gets: the content limit, the deadline, the close hook. A `Message`
   * only reads them, so one frozen object serves every connection while `log` and `keepAlive` stay the same.
   */
  messageOptions(options: MessageOptions = {}): MessageOptions {
    const log = options.log;
    const keepAlive = options.keepAlive ?? false;
    const last = this.lastOptions;
    if (last !== null && last.log === log && last.keepAlive === keepAlive) return last;
    const { maxContentLength, idleTimeout } = this.limits;
    const made: MessageOptions = Object.freeze({
      log,
      keepAlive,
      maxContentLength,
      idleTimeout,
      onClose: (this.onClose ??= this.closed.bind(this)),
    });
    this.lastOptions = made;
    return made;
  }

  /** A connection was accepted and its message made. */
  accepted(message: Message): void {
    this.open.add(message);
    if (!this.paused && this.open.size >= this.limits.maxConnections) {
      this.paused = true;
      this.selector.unregister(this.lsock);
      this
        .log`Limit: max-connections (${this.limits.maxConnections}) reached; new connections wait until one closes`;
    }
  }

  /** How many connections are open. */
  get size(): number {
    return this.open.size;
  }

  /** How long `select()` may wait, in seconds, so that deadlines are checked in time; `null`: no limit. */
  timeout(): number | null {
    if (this.sweepMs === null || this.open.size === 0) return null;
    return Math.max(0, this.nextSweep - performance.now()) / 1000;
  }

  /** Close the connections whose deadline has passed (at most once per sweep interval). */
  sweep(): void {
    if (this.sweepMs === null) return;
    const now = performance.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.sweepMs;
    for (const message of this.open) {
      if (message.deadline !== null && message.deadline <= now) {
        this
          .log`Limit: idle-timeout (${this.limits.idleTimeout} s) for ${message.addr}: no complete request in time`;
        message.close();
      }
    }
  }

  private closed(message: Message): void {
    this.open.delete(message);
    if (this.paused && this.open.size < this.limits.maxConnections) {
      this.paused = false;
      this.selector.register(this.lsock, EVENT_READ, null);
    }
  }
}
