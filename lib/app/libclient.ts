/**
 * The course's `libclient.py`: the client side of the application protocol.
 *
 * A client {@link Message} sends one request and reads one response:
 *
 * 1. `write()` — the first time, `queueRequest()` frames the request; `_write()` sends; once it is queued and all
 *    sent, the interest switches to `EVENT_READ` only.
 * 2. `read()` — `_read()`, then each phase still pending for which enough bytes are there: `processProtoheader`,
 *    `processJsonheader`, `processResponse`. A `text/json` response prints
 *    `Received response {'result': '...'} from ADDR` and `Got result: ...`; another type prints
 *    `Received <content-type> response from ADDR` and `Got response: b'...'`. Then `close()` — or, with the
 *    `keepAlive` and `repeat` options (beyond the course), send the request again on the same connection.
 * @module
 */
import {
  Message as BaseMessage,
  type MessageOptions,
  type MessagePhase,
  type MessageSelector,
  type MessageSocket,
} from "./message.ts";
import {
  JSON_CONTENT_TYPE,
  createMessage,
  decodeJsonContent,
  jsonEncode,
  type MessageParts,
} from "./protocol.ts";
import { jsonRepr, jsonStr } from "../python/repr.ts";
import type { Address } from "../python/socket.ts";

/**
 * What the client sends, as app-client's `create_request` builds it: `type` `text/json` with a JSON-able
 * `content` (encoded with `encoding`), or another type with `content` already bytes.
 */
export interface Request {
  /** The `content-type`: `text/json`, or a binary type. */
  readonly type: string;
  /** The `content-encoding`: `utf-8` for JSON, `binary` for bytes. */
  readonly encoding: string;
  /** A JSON-able value for `text/json`, else the bytes (a `Uint8Array`). */
  readonly content: unknown;
}

/**
 * The framing of a request (the course's `queue_request` minus the queueing).
 * @throws TypeError when a non-JSON request's content is not bytes.
 */
export function requestParts(request: Request): MessageParts {
  const { content, type: contentType, encoding: contentEncoding } = request;
  if (contentType === JSON_CONTENT_TYPE) {
    return { content: jsonEncode(content, contentEncoding), contentType, contentEncoding };
  }
  if (!(content instanceof Uint8Array)) {
    throw new TypeError(`content of a ${contentType} request must be bytes`);
  }
  return { content, contentType, contentEncoding };
}

/** Options of the client's {@link Message}. */
export interface ClientOptions extends MessageOptions {
  /** With `keepAlive`: how many times to send the request on the one connection (default 1). */
  readonly repeat?: number;
}

/** The course's client `Message`: one request out, one response in, then close (see the module rules). */
export class Message extends BaseMessage {
  /** The decoded response: a JSON value for `text/json`, else the raw bytes; `null` until it is in. */
  response: unknown = null;
  private requestQueued = false;

  /** Requests still to send on this connection, this one included (`repeat` option). */
  private remaining: number;

  constructor(
    selector: MessageSelector,
    sock: MessageSocket,
    addr: Address,
    /** The request to send (the course's `request`). */
    readonly request: Request,
    options: ClientOptions = {},
  ) {
    super(selector, sock, addr, options);
    this.remaining = Math.max(1, options.repeat ?? 1);
  }

  protected processContent(): void {
    this.processResponse();
  }

  /** The phase (see {@link MessagePhase}): `request not queued`, `request queued`, then reading the response. */
  override get phase(): MessagePhase {
    if (this.sock === null) return super.phase;
    if (!this.requestQueued) return "request not queued";
    if (this.sendBuffer.length > 0) return "request queued";
    return this.contentRead ? "response read" : super.phase;
  }

  /** The course's `write`: queue the request once, send, then listen for read events only. */
  write(): void {
    if (!this.requestQueued) this.queueRequest();
    this._write();
    if (this.requestQueued && this.sendBuffer.length === 0) {
      // Set selector to listen for read events, we're done writing.
      this.setSelectorEventsMask("r");
    }
  }

  /** The course's `queue_request`: frame the request and queue it. */
  queueRequest(): void {
    this.queue(createMessage(requestParts(this.request)));
    this.requestQueued = true;
  }

  /**
   * The course's `process_response`: once `content-length` bytes are there, decode and print the response, then
   * close.
   * @throws ProtocolError for content that is not valid in its encoding or not JSON.
   */
  processResponse(): void {
    const header = this.jsonheader;
    if (header === null) return;
    const content = this.takeContent();
    if (content === null) return;
    if (header["content-type"] === JSON_CONTENT_TYPE) {
      this.response = decodeJsonContent({ header, content });
      this.log`Received response ${jsonRepr(this.response)} from ${this.addr}`;
      this.processResponseJsonContent();
    } else {
      // Binary or unknown content-type
      this.response = content;
      this.log`Received ${header["content-type"]} response from ${this.addr}`;
      this.processResponseBinaryContent();
    }
    this.remaining -= 1;
    if (this.keepAlive && this.remaining > 0) {
      // Keep-alive (beyond the course): the same request again on this connection.
      this.response = null;
      this.requestQueued = false;
      this.nextFrame("w");
      return;
    }
    // Close when response has been processed
    this.close();
  }

  /** The course's `_process_response_json_content`: print `Got result: <result>`. */
  protected processResponseJsonContent(): void {
    const content = this.response;
    const result =
      typeof content === "object" && content !== null && Object.hasOwn(content, "result")
        ? (Reflect.get(content, "result") as unknown)
        : null;
    this.log`Got result: ${jsonStr(result)}`;
  }

  /** The course's `_process_response_binary_content`: print `Got response: b'...'`. */
  protected processResponseBinaryContent(): void {
    this.log`Got response: ${this.response}`;
  }
}
