/**
 * The course's `libserver.py`: the server side of the application protocol.
 *
 * A server {@link Message} reads one request frame, prints it, answers it and closes the connection once the
 * answer has gone out:
 *
 * 1. `read()` — `_read()`, then each phase still pending for which enough bytes are there: `processProtoheader`,
 *    `processJsonheader`, `processRequest`. A `text/json` request is decoded and printed as
 *    `Received request {'action': 'search', 'value': 'morpheus'} from ADDR`; anything else is kept as bytes and
 *    printed as `Received <content-type> request from ADDR`. Then the interest switches to `EVENT_WRITE` only.
 * 2. `write()` — the first time, `createResponse()` queues the framed answer; `_write()` sends; once something was
 *    sent and nothing is left, `close()`. With the `keepAlive` option (beyond the course) it waits for the next
 *    request instead, and a peer closing between requests just ends the connection.
 *
 * The answers themselves ({@link createResponseJsonContent}, {@link createResponseBinaryContent}) are plain
 * functions of the request: the search table, `No match for '<value>'.`, `Error: invalid action '<action>'.`,
 * `First 10 bytes of request: <bytes>`.
 * @module
 */
import { AttributeError } from "../python/errors.ts";
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
import { asJson, jsonStr } from "../python/repr.ts";
import type { Address } from "../python/socket.ts";

/** The course's `request_search`: what a `search` request finds. */
export const requestSearch: ReadonlyMap<string, string> = new Map([
  ["morpheus", "Follow the white rabbit. \u{1f430}"],
  ["ring", "In the caves beneath the Misty Mountains. \u{1f48d}"],
  ["\u{1f436}", "\u{1f43e} Playing ball! \u{1f3d0}"],
]);

/** Python's type name of a decoded JSON value, for the course's error texts. */
function pyTypeName(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "object":
      return "dict";
    default:
      return typeof value;
  }
}

/** Python's `request.get(name)` on a decoded JSON request: `AttributeError` unless it is an object. */
function getField(request: unknown, name: string): unknown {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    throw new AttributeError(`'${pyTypeName(request)}' object has no attribute 'get'`);
  }
  if (!Object.hasOwn(request, name)) return null;
  const value: unknown = Reflect.get(request, name);
  return value;
}

/**
 * The course's `_create_response_json_content`: the answer to a `text/json` request, JSON-encoded as UTF-8.
 * `search` looks the value up in {@link requestSearch}; another action is an error message.
 * @throws AttributeError when the request is not a JSON object; TypeError when the searched value is a list or an
 *   object (Python: `unhashable type`).
 */
export function createResponseJsonContent(request: unknown): MessageParts {
  const action = getField(request, "action");
  let content: { result: string };
  if (action === "search") {
    const query = getField(request, "value");
    if (typeof query === "object" && query !== null) {
      throw new TypeError(`unhashable type: '${pyTypeName(query)}'`);
    }
    const answer = (typeof query === "string" ? requestSearch.get(query) : undefined) ?? "";
    content = { result: answer || `No match for '${jsonStr(query)}'.` };
  } else {
    content = { result: `Error: invalid action '${jsonStr(action)}'.` };
  }
  const contentEncoding = "utf-8";
  return {
    content: jsonEncode(content, contentEncoding),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding,
  };
}

/** The course's `_create_response_binary_content`: `First 10 bytes of request: ` and those bytes. */
export function createResponseBinaryContent(request: Buffer): MessageParts {
  return {
    content: Buffer.concat([Buffer.from("First 10 bytes of request: "), request.subarray(0, 10)]),
    contentType: "binary/custom-server-binary-type",
    contentEncoding: "binary",
  };
}

/** The course's server `Message`: one request in, one response out, then close (see the module rules). */
export class Message extends BaseMessage {
  /** The decoded request: a JSON value for `text/json`, else the raw bytes; `null` until it is in. */
  request: unknown = null;
  /** Has the response been queued? */
  responseCreated = false;
  constructor(
    selector: MessageSelector,
    sock: MessageSocket,
    addr: Address,
    options: MessageOptions = {},
  ) {
    super(selector, sock, addr, options);
  }

  protected processContent(): void {
    this.processRequest();
  }

  /** The phase (see {@link MessagePhase}): reading the request, then `request read`, `response queued`, `response sent`. */
  override get phase(): MessagePhase {
    if (this.sock === null || !this.contentRead) return super.phase;
    if (!this.responseCreated) return "request read";
    return this.sendBuffer.length > 0 ? "response queued" : "response sent";
  }

  /** The course's `write`: create the response once the request is in, send, close when all is sent. */
  write(): void {
    if (this.contentRead && !this.responseCreated) this.createResponse();
    const sent = this._write();
    // Close when the buffer is drained. The response has been sent.
    if (sent > 0 && this.sendBuffer.length === 0) {
      if (this.keepAlive) this.nextRequest();
      else this.close();
    }
  }

  /**
   * The course's `process_request`: once `content-length` bytes are there, decode a `text/json` request (and
   * print it) or keep the bytes of another type; then listen for write events only.
   * @throws ProtocolError for content that is not valid in its encoding or not JSON.
   */
  processRequest(): void {
    const header = this.jsonheader;
    if (header === null) return;
    const content = this.takeContent();
    if (content === null) return;
    if (header["content-type"] === JSON_CONTENT_TYPE) {
      this.request = decodeJsonContent({ header, content });
      this.log`Received request ${asJson(this.request)} from ${this.addr}`;
    } else {
      // Binary or unknown content-type
      this.request = content;
      this.log`Received ${header["content-type"]} request from ${this.addr}`;
    }
    // Set selector to listen for write events, we're done reading.
    this.setSelectorEventsMask("w");
  }

  /** Keep-alive (beyond the course): the response went out; wait for the next request on this connection. */
  private nextRequest(): void {
    this.request = null;
    this.responseCreated = false;
    this.nextFrame("r");
  }

  /** The course's `create_response`: frame the answer and queue it. */
  createResponse(): void {
    const request = this.request;
    const response =
      this.jsonheader?.["content-type"] === JSON_CONTENT_TYPE
        ? createResponseJsonContent(request)
        : createResponseBinaryContent(Buffer.isBuffer(request) ? request : Buffer.alloc(0));
    this.responseCreated = true;
    this.queue(createMessage(response));
  }
}
