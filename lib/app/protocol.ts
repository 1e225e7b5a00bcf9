/**
 * The course's application-layer framing (`libclient.py` / `libserver.py`), shared by `libclient.ts` and
 * `libserver.ts`. Transport-free: this module knows bytes, not sockets.
 *
 * A frame, in both directions:
 *
 * ```text
 *  0        2                             2 + hdrlen                  2 + hdrlen + content-length
 *  +--------+-----------------------------+---------------------------+
 *  | hdrlen | JSON header, UTF-8          | content                   |
 *  |  >H    | {"byteorder": "little",     | content-length bytes      |
 *  |        |  "content-type": ...,       | (text/json: JSON text in  |
 *  |        |  "content-encoding": ...,   |  its content-encoding)    |
 *  |        |  "content-length": N}       |                           |
 *  +--------+-----------------------------+---------------------------+
 * ```
 *
 * Rules this module keeps:
 * - `hdrlen` is a 2-byte big-endian unsigned integer (Python's `struct.pack(">H", ...)`), so a JSON header is at
 *   most 65535 bytes; {@link createMessage} refuses a longer one, {@link FrameDecoder} refuses `hdrlen` 0.
 * - The JSON header is written by {@link pyJsonDumps}, byte for byte what Python's
 *   `json.dumps(obj, ensure_ascii=False)` writes, with the keys `byteorder`, `content-type`, `content-encoding`,
 *   `content-length` in that order. `byteorder` is the host's (`sys.byteorder`: {@link BYTEORDER}); nothing reads
 *   it back.
 * - On reading, the header must be strict UTF-8 holding a JSON object with all four keys, checked in the course's
 *   order (`byteorder`, `content-length`, `content-type`, `content-encoding`); a missing one fails with the course's
 *   text `Missing required header '<name>'.`. Beyond the course, `content-length` must be a non-negative safe
 *   integer and the three others strings; extra keys are kept.
 * - Every malformed input is a {@link ProtocolError} with a stable {@link ProtocolErrorCode}. A decoder that threw
 *   one is broken for good (the stream has lost its framing): every later call rethrows the same error.
 * - A content-length over `maxContentLength` is refused as soon as the JSON header is read, before any content is
 *   buffered.
 * - The decoder keeps the received chunks as they came and takes bytes from them with one `consume(n)`; it copies
 *   only the bytes of a field that straddles two chunks.
 *
 * @example
 * ```ts
 * const wire = createMessage({
 *   content: jsonEncode({ action: "search", value: "morpheus" }, "utf-8"),
 *   contentType: "text/json",
 *   contentEncoding: "utf-8",
 * });
 * const decoder = new FrameDecoder();
 * decoder.push(wire.subarray(0, 5));
 * decoder.next(); // null: more bytes needed
 * decoder.push(wire.subarray(5));
 * const frame = decoder.next(); // { header: { byteorder: "little", ... }, content: <Buffer 7b 22 ...> }
 * if (frame !== null) decodeJsonContent(frame); // { action: "search", value: "morpheus" }
 * ```
 * @module
 */
import { endianness } from "node:os";

import { pyJsonDumps, pyJsonString, typeName } from "./json-dumps.ts";

export { pyJsonDumps };

/** Stable codes of {@link ProtocolError}, one per way a frame or a value can be refused. */
export type ProtocolErrorCode =
  /** The 2-byte proto-header announces a JSON header of 0 bytes. */
  | "PROTOCOL_EMPTY_HEADER"
  /** {@link createMessage}: the JSON header does not fit the 2-byte length (over 65535 bytes). */
  | "PROTOCOL_HEADER_TOO_LONG"
  /** Bytes that should be text are not valid in their encoding (strict UTF-8). */
  | "PROTOCOL_INVALID_UTF8"
  /** Text that should be JSON does not parse. */
  | "PROTOCOL_INVALID_JSON"
  /** The JSON header is valid JSON but not an object. */
  | "PROTOCOL_HEADER_NOT_OBJECT"
  /** One of the four required header keys is absent. */
  | "PROTOCOL_MISSING_HEADER"
  /** `content-length` is not a non-negative safe integer. */
  | "PROTOCOL_INVALID_CONTENT_LENGTH"
  /** `byteorder`, `content-type` or `content-encoding` is not a string. */
  | "PROTOCOL_INVALID_HEADER_VALUE"
  /** `content-length` exceeds the decoder's `maxContentLength`. */
  | "PROTOCOL_CONTENT_TOO_LONG"
  /** An encoding name Python would not look up to UTF-8 (`LookupError: unknown encoding: X`). */
  | "PROTOCOL_UNKNOWN_ENCODING"
  /** Text holding a lone surrogate, which UTF-8 cannot encode (Python's `UnicodeEncodeError`). */
  | "PROTOCOL_UNENCODABLE"
  /** {@link decodeJsonContent} was given a frame whose content-type is not `text/json`. */
  | "PROTOCOL_NOT_JSON_CONTENT";

/**
 * A frame or a value the protocol refuses. `code` is stable and meant for programs; `message` is meant for people
 * (and, for a missing header, is the course's `ValueError` text).
 */
export class ProtocolError extends Error {
  /** `"ProtocolError"`, as printed in tracebacks. */
  override readonly name = "ProtocolError";
  /** Which rule was broken. */
  readonly code: ProtocolErrorCode;

  /** `options.cause` is the error that led to this one, as `Error`'s own option (ES2022). */
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Python's `sys.byteorder` on this host, from `os.endianness()`: `"little"` or `"big"`. */
export const BYTEORDER: "little" | "big" = endianness() === "LE" ? "little" : "big";

/** Length of the proto-header: the `>H` length of the JSON header. */
export const PROTOHEADER_LENGTH = 2;

/** Largest JSON header the 2-byte proto-header can announce. */
export const MAX_JSONHEADER_LENGTH = 0xffff;

/** The content-type whose content is JSON text in its content-encoding. */
export const JSON_CONTENT_TYPE = "text/json";

/** The four keys every JSON header holds, in the order the course checks them. */
export const REQUIRED_HEADERS = [
  "byteorder",
  "content-length",
  "content-type",
  "content-encoding",
] as const;

/** A decoded JSON header: the four required keys, typed, plus any extra keys the peer sent. */
export interface JsonHeader {
  /** The sender's byte order (`sys.byteorder`): recorded, never used. */
  readonly byteorder: string;
  /** What the content is: `text/json`, or another type whose content stays bytes. */
  readonly "content-type": string;
  /** The content's text encoding (`utf-8`), or `binary`. */
  readonly "content-encoding": string;
  /** The content's length in bytes. */
  readonly "content-length": number;
  readonly [key: string]: unknown;
}

/** One decoded frame: its JSON header and exactly `content-length` bytes of content. */
export interface Frame {
  /** The validated JSON header. */
  readonly header: JsonHeader;
  /** Exactly `content-length` bytes. */
  readonly content: Buffer;
}

// ---------------------------------------------------------------------------------------------------------------
// json.dumps(obj, ensure_ascii=False)
// ---------------------------------------------------------------------------------------------------------------

/** The aliases of Python's `utf_8` codec module (`encodings.aliases`), as `encodings.normalize_encoding` leaves them. */
const UTF8_ALIASES: ReadonlySet<string> = new Set([
  "u8",
  "utf",
  "utf8",
  "utf8_ucs2",
  "utf8_ucs4",
  "cp65001",
]);

/**
 * Python's encoding-name normalisation (`codecs.lookup` lower-cases, then `encodings.normalize_encoding` turns
 * each run of characters other than ASCII letters, digits and `.` into one `_`, dropping leading and trailing
 * ones).
 */
function normalizeEncoding(encoding: string): string {
  return encoding
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/**
 * The codec Python's `codecs.lookup(encoding)` would find, if this module supports it: `"utf-8"` for the spellings
 * Python accepts (`utf-8`, `UTF-8`, `utf8`, `utf_8`, `U8`, `cp65001`, ...).
 *
 * @throws ProtocolError `PROTOCOL_UNKNOWN_ENCODING` (`unknown encoding: X`, Python's `LookupError` text) for any
 *   other name, including the course's `binary`.
 */
export function lookupEncoding(encoding: string): "utf-8" {
  // encodings.search_function: an alias (also with dots read as underscores), else the module name itself.
  const name = normalizeEncoding(encoding);
  if (name === "utf_8" || UTF8_ALIASES.has(name) || UTF8_ALIASES.has(name.replaceAll(".", "_"))) {
    return "utf-8";
  }
  throw new ProtocolError("PROTOCOL_UNKNOWN_ENCODING", `unknown encoding: ${encoding}`);
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (UTF-16 code units). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Python's `str.encode(encoding)`, strict: UTF-8 bytes of `text`.
 *
 * @throws ProtocolError `PROTOCOL_UNKNOWN_ENCODING` for an encoding other than UTF-8; `PROTOCOL_UNENCODABLE`
 *   (Python's `UnicodeEncodeError` text) for a lone surrogate, which `Buffer.from` would silently replace.
 */
export function encodeText(text: string, encoding: string): Buffer {
  const codec = lookupEncoding(encoding);
  const match = LONE_SURROGATE.exec(text);
  if (match !== null) {
    const code = match[0].charCodeAt(0).toString(16);
    // Python counts code points: a surrogate pair before the lone one is one character.
    const position = text
      .slice(0, match.index)
      .replace(/[\ud800-\udbff][\udc00-\udfff]/g, "_").length;
    throw new ProtocolError(
      "PROTOCOL_UNENCODABLE",
      `'${codec}' codec can't encode character '\\u${code}' in position ${position}: surrogates not allowed`,
    );
  }
  return Buffer.from(text, "utf8");
}

const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeText(bytes: Uint8Array, encoding: string, subject: string): string {
  const codec = lookupEncoding(encoding);
  try {
    return UTF8_DECODER.decode(bytes);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    throw new ProtocolError("PROTOCOL_INVALID_UTF8", `${subject} is not valid ${codec}.`, {
      cause: e,
    });
  }
}

function parseJson(bytes: Uint8Array, encoding: string, subject: string): unknown {
  const text = decodeText(bytes, encoding, subject);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new ProtocolError("PROTOCOL_INVALID_JSON", `${subject} is not valid JSON: ${e.message}`, {
      cause: e,
    });
  }
}

/**
 * The course's `_json_encode(obj, encoding)`: `json.dumps(obj, ensure_ascii=False).encode(encoding)`.
 *
 * @throws TypeError from {@link pyJsonDumps} for a value JSON cannot hold.
 * @throws ProtocolError `PROTOCOL_UNKNOWN_ENCODING`, `PROTOCOL_UNENCODABLE` from {@link encodeText}.
 */
export function jsonEncode(value: unknown, encoding: string): Buffer {
  return encodeText(pyJsonDumps(value), encoding);
}

/**
 * The course's `_json_decode(json_bytes, encoding)`: decode strictly (a byte-order mark is kept, and then refused
 * by the JSON parser, as Python refuses it), parse, return the value for the caller to narrow. The parser is
 * `JSON.parse`, so unlike Python's it refuses `NaN` / `Infinity` and reads integers beyond 2^53 approximately.
 *
 * @throws ProtocolError `PROTOCOL_UNKNOWN_ENCODING`, `PROTOCOL_INVALID_UTF8` or `PROTOCOL_INVALID_JSON`.
 */
export function jsonDecode(jsonBytes: Uint8Array, encoding: string): unknown {
  return parseJson(jsonBytes, encoding, "JSON text");
}

/**
 * The value of a `text/json` frame: its content decoded with the header's `content-encoding`, as the course's
 * `process_request` / `process_response` do.
 *
 * @throws ProtocolError `PROTOCOL_NOT_JSON_CONTENT` if the content-type is not exactly `text/json`;
 *   `PROTOCOL_UNKNOWN_ENCODING`, `PROTOCOL_INVALID_UTF8` or `PROTOCOL_INVALID_JSON` as {@link jsonDecode}.
 */
export function decodeJsonContent(frame: Frame): unknown {
  const contentType = frame.header["content-type"];
  if (contentType !== JSON_CONTENT_TYPE) {
    throw new ProtocolError(
      "PROTOCOL_NOT_JSON_CONTENT",
      `Content-type ${pyJsonString(contentType)} is not ${pyJsonString(JSON_CONTENT_TYPE)}.`,
    );
  }
  return parseJson(frame.content, frame.header["content-encoding"], "text/json content");
}

// ---------------------------------------------------------------------------------------------------------------
// _create_message
// ---------------------------------------------------------------------------------------------------------------

/** What {@link createMessage} frames. */
export interface MessageParts {
  /** The content bytes, already encoded. */
  readonly content: Uint8Array;
  /** The header's `content-type`, e.g. `text/json` or `binary/custom-client-binary-type`. */
  readonly contentType: string;
  /** The header's `content-encoding`, e.g. `utf-8` or `binary`. Only recorded, never applied here. */
  readonly contentEncoding: string;
  /** The header's `byteorder`; defaults to this host's, {@link BYTEORDER}, as the course's `sys.byteorder`. */
  readonly byteorder?: string;
}

/**
 * The course's `_create_message`: the JSON header `{"byteorder": ..., "content-type": ..., "content-encoding": ...,
 * "content-length": <content bytes>}` written by {@link pyJsonDumps} and encoded as UTF-8, prefixed by its length
 * as `>H`, followed by the content. Returns one new buffer.
 *
 * @throws ProtocolError `PROTOCOL_HEADER_TOO_LONG` if the JSON header exceeds 65535 bytes (Python's `struct.error`);
 *   `PROTOCOL_UNENCODABLE` if a header string holds a lone surrogate.
 */
export function createMessage(parts: MessageParts): Buffer {
  const jsonheader = {
    byteorder: parts.byteorder ?? BYTEORDER,
    "content-type": parts.contentType,
    "content-encoding": parts.contentEncoding,
    "content-length": parts.content.byteLength,
  };
  const jsonheaderBytes = jsonEncode(jsonheader, "utf-8");
  if (jsonheaderBytes.length > MAX_JSONHEADER_LENGTH) {
    throw new ProtocolError(
      "PROTOCOL_HEADER_TOO_LONG",
      `JSON header is ${jsonheaderBytes.length} bytes; the >H proto-header holds at most ${MAX_JSONHEADER_LENGTH}.`,
    );
  }
  const message = Buffer.allocUnsafe(
    PROTOHEADER_LENGTH + jsonheaderBytes.length + parts.content.byteLength,
  );
  message.writeUInt16BE(jsonheaderBytes.length, 0);
  jsonheaderBytes.copy(message, PROTOHEADER_LENGTH);
  message.set(parts.content, PROTOHEADER_LENGTH + jsonheaderBytes.length);
  return message;
}

// ---------------------------------------------------------------------------------------------------------------
// FrameDecoder
// ---------------------------------------------------------------------------------------------------------------

/**
 * Where a {@link FrameDecoder} is: waiting for the 2-byte proto-header, for the JSON header, for the content, or
 * broken by a {@link ProtocolError}.
 */
export type DecoderState = "protoheader" | "jsonheader" | "content" | "failed";

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest `content-length` accepted, in bytes; a larger one is refused as soon as the JSON header is read.
   * Default: no limit (the course has none).
   */
  readonly maxContentLength?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value);
  } catch {
    return typeName(value);
  }
}

function stringHeader(header: Record<string, unknown>, key: string): string {
  const value = header[key];
  if (typeof value !== "string") {
    throw new ProtocolError(
      "PROTOCOL_INVALID_HEADER_VALUE",
      `Header '${key}' must be a string, got ${describe(value)}.`,
    );
  }
  return value;
}

/**
 * Checks a parsed JSON header the way the course does (all four keys present, in its order, with its message),
 * then the value types, and returns it typed with its extra keys kept in their order.
 */
function validateJsonheader(parsed: unknown): JsonHeader {
  if (!isRecord(parsed)) {
    throw new ProtocolError(
      "PROTOCOL_HEADER_NOT_OBJECT",
      `JSON header must be an object, got ${describe(parsed)}.`,
    );
  }
  for (const reqhdr of REQUIRED_HEADERS) {
    if (!Object.hasOwn(parsed, reqhdr)) {
      throw new ProtocolError("PROTOCOL_MISSING_HEADER", `Missing required header '${reqhdr}'.`);
    }
  }
  const byteorder = stringHeader(parsed, "byteorder");
  const contentLength = parsed["content-length"];
  if (
    typeof contentLength !== "number" ||
    !Number.isSafeInteger(contentLength) ||
    contentLength < 0
  ) {
    throw new ProtocolError(
      "PROTOCOL_INVALID_CONTENT_LENGTH",
      `Header 'content-length' must be a non-negative integer, got ${describe(contentLength)}.`,
    );
  }
  const contentType = stringHeader(parsed, "content-type");
  const contentEncoding = stringHeader(parsed, "content-encoding");
  return {
    ...parsed,
    byteorder,
    "content-type": contentType,
    "content-encoding": contentEncoding,
    "content-length": contentLength,
  };
}

/**
 * Incremental decoder of the course's frames, a state machine in the manner of ws's `Receiver`: `push()` received
 * chunks, then `next()` until it returns `null`. The phases are also public under the course's names, so a
 * `Message.read()` can mirror the Python step by step:
 *
 * ```ts
 * decoder.push(data);
 * if (decoder.processProtoheader() && decoder.processJsonheader()) {
 *   const header = decoder.jsonheader; // read it before processContent() resets it
 *   const content = decoder.processContent();
 *   if (header !== null && content !== null) processRequest(header, content);
 * }
 * ```
 *
 * Once a method has thrown a {@link ProtocolError}, the decoder is in state `failed` and every phase method and
 * `next()` rethrow that error; `push()` still buffers, so `bufferedBytes` stays truthful.
 */
export class FrameDecoder {
  /** Received chunks not yet fully consumed; the first one is consumed up to `#offset`. */
  readonly #chunks: Buffer[] = [];
  #offset = 0;
  #buffered = 0;
  #state: DecoderState = "protoheader";
  #jsonheaderLen: number | null = null;
  #jsonheader: JsonHeader | null = null;
  #error: ProtocolError | null = null;
  readonly #maxContentLength: number;

  /** @throws RangeError if `maxContentLength` is given and is not a non-negative integer (or `Infinity`). */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxContentLength ?? Infinity;
    if (!(Number.isSafeInteger(max) && max >= 0) && max !== Infinity) {
      throw new RangeError(`maxContentLength must be a non-negative integer, got ${max}`);
    }
    this.#maxContentLength = max;
  }

  /** The current state. */
  get state(): DecoderState {
    return this.#state;
  }

  /** Bytes received and not yet consumed by a phase. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** The course's `_jsonheader_len`: the current frame's JSON header length once the proto-header is read. */
  get jsonheaderLen(): number | null {
    return this.#jsonheaderLen;
  }

  /** The course's `jsonheader`: the current frame's validated JSON header once it is read. */
  get jsonheader(): JsonHeader | null {
    return this.#jsonheader;
  }

  /** Appends a received chunk, kept as it is (not copied). Empty chunks are ignored. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next complete frame, or `null` when more bytes are needed. Call it again to take further frames that are
   * already buffered.
   *
   * @throws ProtocolError for a malformed frame, see {@link ProtocolErrorCode}.
   */
  next(): Frame | null {
    while (true) {
      switch (this.#state) {
        case "protoheader":
          if (!this.processProtoheader()) return null;
          break;
        case "jsonheader":
          if (!this.processJsonheader()) return null;
          break;
        case "content": {
          const header = this.#jsonheader;
          if (header === null)
            throw new Error("FrameDecoder: state 'content' without a JSON header");
          const content = this.processContent();
          return content === null ? null : { header, content };
        }
        case "failed":
          throw this.#failure();
        default:
          return assertNever(this.#state);
      }
    }
  }

  /**
   * The course's `process_protoheader`: once 2 bytes are there, reads the `>H` JSON header length into
   * `jsonheaderLen`. Returns whether the proto-header of the current frame has been read (now or before).
   *
   * @throws ProtocolError `PROTOCOL_EMPTY_HEADER` for a length of 0; the stored error once failed.
   */
  processProtoheader(): boolean {
    if (this.#state === "failed") throw this.#failure();
    if (this.#state !== "protoheader") return true;
    if (this.#buffered < PROTOHEADER_LENGTH) return false;
    const length = this.#consume(PROTOHEADER_LENGTH).readUInt16BE(0);
    if (length === 0) {
      return this.#fail(
        new ProtocolError("PROTOCOL_EMPTY_HEADER", "Proto-header announces an empty JSON header."),
      );
    }
    this.#jsonheaderLen = length;
    this.#state = "jsonheader";
    return true;
  }

  /**
   * The course's `process_jsonheader`: once `jsonheaderLen` bytes are there, decodes and validates the JSON header
   * into `jsonheader`, and checks `content-length` against `maxContentLength`. Returns whether the JSON header of
   * the current frame has been read (now or before); `false` while the proto-header is still pending.
   *
   * @throws ProtocolError `PROTOCOL_INVALID_UTF8`, `PROTOCOL_INVALID_JSON`, `PROTOCOL_HEADER_NOT_OBJECT`,
   *   `PROTOCOL_MISSING_HEADER`, `PROTOCOL_INVALID_CONTENT_LENGTH`, `PROTOCOL_INVALID_HEADER_VALUE`,
   *   `PROTOCOL_CONTENT_TOO_LONG`; the stored error once failed.
   */
  processJsonheader(): boolean {
    if (this.#state === "failed") throw this.#failure();
    if (this.#state === "content") return true;
    if (this.#state !== "jsonheader" || this.#jsonheaderLen === null) return false;
    if (this.#buffered < this.#jsonheaderLen) return false;
    const bytes = this.#consume(this.#jsonheaderLen);
    let header: JsonHeader;
    try {
      header = validateJsonheader(parseJson(bytes, "utf-8", "JSON header"));
    } catch (e) {
      if (e instanceof ProtocolError) return this.#fail(e);
      throw e;
    }
    const contentLength = header["content-length"];
    if (contentLength > this.#maxContentLength) {
      return this.#fail(
        new ProtocolError(
          "PROTOCOL_CONTENT_TOO_LONG",
          `Header 'content-length' is ${contentLength}, over the limit of ${this.#maxContentLength} bytes.`,
        ),
      );
    }
    this.#jsonheader = header;
    this.#state = "content";
    return true;
  }

  /**
   * The course's wait for `content-length` bytes in `process_request` / `process_response`: once they are there,
   * returns them and resets the decoder for the next frame (`jsonheaderLen` and `jsonheader` back to `null`);
   * otherwise, or before the JSON header is read, returns `null`. The returned buffer is a view on a received
   * chunk when the content lies within one, else a copy.
   *
   * @throws ProtocolError the stored error once failed.
   */
  processContent(): Buffer | null {
    if (this.#state === "failed") throw this.#failure();
    if (this.#state !== "content" || this.#jsonheader === null) return null;
    const length = this.#jsonheader["content-length"];
    if (this.#buffered < length) return null;
    const content = this.#consume(length);
    this.#jsonheaderLen = null;
    this.#jsonheader = null;
    this.#state = "protoheader";
    return content;
  }

  /**
   * Takes `n` buffered bytes (the caller has checked they are there): a view on the first chunk when it holds
   * them all, else one new buffer of exactly `n` bytes gathered from the chunks.
   */
  #consume(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    const available = first.length - this.#offset;
    if (n < available) {
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      return view;
    }
    if (n === available) {
      const view = first.subarray(this.#offset);
      this.#chunks.shift();
      this.#offset = 0;
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) throw new Error("FrameDecoder: consume() past the buffered bytes");
      const take = Math.min(chunk.length - this.#offset, n - filled);
      chunk.copy(out, filled, this.#offset, this.#offset + take);
      filled += take;
      if (this.#offset + take === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      } else {
        this.#offset += take;
      }
    }
    return out;
  }

  #fail(error: ProtocolError): never {
    this.#error = error;
    this.#state = "failed";
    this.#jsonheaderLen = null;
    this.#jsonheader = null;
    throw error;
  }

  #failure(): Error {
    return this.#error ?? new Error("FrameDecoder: state 'failed' without an error");
  }
}

function assertNever(state: never): never {
  throw new Error(`FrameDecoder: unknown state ${String(state)}`);
}
