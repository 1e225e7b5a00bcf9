import { endianness } from "node:os";

import { describe, expect, it } from "vitest";

import {
  BYTEORDER,
  FrameDecoder,
  ProtocolError,
  createMessage,
  decodeJsonContent,
  encodeText,
  jsonDecode,
  jsonEncode,
  lookupEncoding,
  pyJsonDumps,
  type Frame,
  type ProtocolErrorCode,
} from "../lib/app/protocol.ts";
import { loadVectors, type VectorPair } from "./helpers/vectors.ts";

// ---------------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------------

/** Runs `fn`, asserts it throws a ProtocolError with this code and message, returns the error. */
function expectProtocolError(
  fn: () => unknown,
  code: ProtocolErrorCode,
  message: string | RegExp,
): ProtocolError {
  let caught: unknown = undefined;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  if (!(caught instanceof ProtocolError)) throw new Error("expected a ProtocolError");
  expect(caught).toBeInstanceOf(Error);
  expect(caught.name).toBe("ProtocolError");
  expect(caught.code).toBe(code);
  if (typeof message === "string") expect(caught.message).toBe(message);
  else expect(caught.message).toMatch(message);
  return caught;
}

/** A frame with a hand-written JSON header: `>H` length, the header bytes, the content. */
function rawFrame(header: string | Buffer, content: Buffer = Buffer.alloc(0)): Buffer {
  const headerBytes = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(headerBytes.length);
  return Buffer.concat([prefix, headerBytes, content]);
}

/** Decodes every frame of `chunks`, pushed one at a time with `next()` drained after each push. */
function decodeChunks(chunks: readonly Buffer[], decoder = new FrameDecoder()): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push(frame);
  }
  return frames;
}

/** Plain copies of frames, so that `toEqual` compares bytes rather than buffer views. */
function plain(frames: readonly Frame[]): { header: Record<string, unknown>; content: string }[] {
  return frames.map((f) => ({ header: { ...f.header }, content: f.content.toString("hex") }));
}

/** mulberry32: a small seeded PRNG, so random splits are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplit(bytes: Buffer, seed: number, maxChunk: number): Buffer[] {
  const random = mulberry32(seed);
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------------------------
// the Python vectors
// ---------------------------------------------------------------------------------------------------------------

interface Expected {
  readonly contentType: string;
  readonly contentEncoding: string;
  /** The decoded JSON value for text/json, the raw bytes otherwise. */
  readonly value: unknown;
  readonly contentLength: number;
}

const json = (value: unknown, contentLength: number): Expected => ({
  contentType: "text/json",
  contentEncoding: "utf-8",
  value,
  contentLength,
});

/** What each vector holds, written out by hand from `xxd` of the files recorded from Python. */
const EXPECTED: Readonly<Record<string, { req: Expected; res: Expected }>> = {
  "bad-action": {
    req: json({ action: "find", value: "x" }, 32),
    res: json({ result: "Error: invalid action 'find'." }, 43),
  },
  binary: {
    req: {
      contentType: "binary/custom-client-binary-type",
      contentEncoding: "binary",
      value: Buffer.from("double\u{1f436} trouble", "utf8"),
      contentLength: 18,
    },
    res: {
      contentType: "binary/custom-server-binary-type",
      contentEncoding: "binary",
      value: Buffer.from("First 10 bytes of request: double\u{1f436}", "utf8"),
      contentLength: 37,
    },
  },
  "search-dog": {
    req: json({ action: "search", value: "\u{1f436}" }, 37),
    res: json({ result: "\u{1f43e} Playing ball! \u{1f3d0}" }, 37),
  },
  "search-miss": {
    req: json({ action: "search", value: 'neo "the one"' }, 48),
    res: json({ result: "No match for 'neo \"the one\"'." }, 45),
  },
  "search-morpheus": {
    req: json({ action: "search", value: "morpheus" }, 41),
    res: json({ result: "Follow the white rabbit. \u{1f430}" }, 43),
  },
  "search-ring": {
    req: json({ action: "search", value: "ring" }, 37),
    res: json({ result: "In the caves beneath the Misty Mountains. \u{1f48d}" }, 60),
  },
};

const VECTORS = loadVectors();
const DIRECTIONS = VECTORS.flatMap((v: VectorPair) => [
  { label: `${v.name}.req`, name: v.name, bytes: v.req, direction: "req" as const },
  { label: `${v.name}.res`, name: v.name, bytes: v.res, direction: "res" as const },
]);
/** Every vector, requests and responses, back to back: 12 frames in one stream. */
const STREAM = Buffer.concat(DIRECTIONS.map((d) => d.bytes));

describe("wire vectors recorded from Python", () => {
  it("finds exactly the expected vector pairs", () => {
    expect(VECTORS.map((v) => v.name)).toEqual(Object.keys(EXPECTED).sort());
    expect(DIRECTIONS).toHaveLength(12);
  });

  describe.each(DIRECTIONS)("$label", ({ name, bytes, direction }) => {
    const expected = EXPECTED[name]?.[direction];
    if (expected === undefined) throw new Error(`no expectation for ${name}`);

    const decodeOne = (): Frame => {
      const decoder = new FrameDecoder();
      decoder.push(bytes);
      const frame = decoder.next();
      expect(decoder.next()).toBeNull();
      expect(decoder.bufferedBytes).toBe(0);
      expect(decoder.state).toBe("protoheader");
      if (frame === null) throw new Error("no frame decoded");
      return frame;
    };

    it("decodes into the expected header and content", () => {
      const frame = decodeOne();
      expect({ ...frame.header }).toEqual({
        byteorder: "little",
        "content-type": expected.contentType,
        "content-encoding": expected.contentEncoding,
        "content-length": expected.contentLength,
      });
      expect(Object.keys(frame.header)).toEqual([
        "byteorder",
        "content-type",
        "content-encoding",
        "content-length",
      ]);
      expect(frame.content).toHaveLength(expected.contentLength);
      if (expected.contentType === "text/json") {
        expect(decodeJsonContent(frame)).toEqual(expected.value);
      } else {
        expect(frame.content.equals(expected.value as Buffer)).toBe(true);
      }
    });

    it("re-encodes to the same bytes with createMessage", () => {
      const frame = decodeOne();
      const again = createMessage({
        content: frame.content,
        contentType: frame.header["content-type"],
        contentEncoding: frame.header["content-encoding"],
        byteorder: frame.header.byteorder,
      });
      expect(again.toString("hex")).toBe(bytes.toString("hex"));
    });

    it("re-encodes from the expected value alone, content included", () => {
      const content =
        expected.contentType === "text/json"
          ? jsonEncode(expected.value, expected.contentEncoding)
          : (expected.value as Buffer);
      const rebuilt = createMessage({
        content,
        contentType: expected.contentType,
        contentEncoding: expected.contentEncoding,
        byteorder: "little",
      });
      expect(rebuilt.toString("hex")).toBe(bytes.toString("hex"));
    });

    if (expected.contentType === "text/json") {
      it("pyJsonDumps of the parsed content gives back the content text", () => {
        const frame = decodeOne();
        expect(pyJsonDumps(decodeJsonContent(frame))).toBe(frame.content.toString("utf8"));
      });
    }
  });

  it("writes this host's byteorder when none is given, as sys.byteorder", () => {
    const probe = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little" : "big";
    expect(BYTEORDER).toBe(probe);
    expect(BYTEORDER).toBe(endianness() === "LE" ? "little" : "big");
    const decoder = new FrameDecoder();
    decoder.push(
      createMessage({ content: Buffer.from("x"), contentType: "a", contentEncoding: "b" }),
    );
    expect(decoder.next()?.header.byteorder).toBe(probe);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// FrameDecoder: splits and phases
// ---------------------------------------------------------------------------------------------------------------

describe("FrameDecoder across splits", () => {
  const reference = decodeChunks([STREAM]);

  it("decodes several frames from one chunk, in order", () => {
    expect(reference).toHaveLength(12);
    expect(plain(reference)).toEqual(
      plain(DIRECTIONS.flatMap(({ bytes }) => decodeChunks([bytes]))),
    );
    expect(reference.map((f) => f.header["content-length"])).toEqual(
      DIRECTIONS.map((d) => {
        const e = EXPECTED[d.name]?.[d.direction];
        return e?.contentLength;
      }),
    );
  });

  it("gives the same frames fed byte by byte", () => {
    const bytes = [...STREAM].map((_, i) => STREAM.subarray(i, i + 1));
    expect(plain(decodeChunks(bytes))).toEqual(plain(reference));
  });

  it.each(DIRECTIONS)("gives the same frame for every 2-way split of $label", ({ bytes }) => {
    const whole = plain(decodeChunks([bytes]));
    expect(whole).toHaveLength(1);
    for (let at = 0; at <= bytes.length; at++) {
      const split = decodeChunks([bytes.subarray(0, at), bytes.subarray(at)]);
      expect(plain(split), `split at ${at}`).toEqual(whole);
    }
  });

  it("gives the same frames for every 2-way split of the whole stream", () => {
    const whole = plain(reference);
    for (let at = 0; at <= STREAM.length; at++) {
      const split = decodeChunks([STREAM.subarray(0, at), STREAM.subarray(at)]);
      expect(plain(split), `split at ${at}`).toEqual(whole);
    }
  });

  it("gives the same frames for 300 seeded random splits", () => {
    const whole = plain(reference);
    for (let seed = 1; seed <= 300; seed++) {
      const chunks = randomSplit(STREAM, seed, seed % 3 === 0 ? 4 : 64);
      expect(chunks.length).toBeGreaterThan(1);
      expect(plain(decodeChunks(chunks)), `seed ${seed}`).toEqual(whole);
    }
  });

  it("returns a view on the chunk when the content lies within it, a copy when it straddles", () => {
    const [first] = DIRECTIONS;
    if (first === undefined) throw new Error("no vectors");
    const last = first.bytes.length - 1;

    // the frame twice in one chunk: the first content ends inside the chunk, the second at its end
    const chunk = Buffer.alloc(2 * first.bytes.length);
    first.bytes.copy(chunk);
    first.bytes.copy(chunk, first.bytes.length);
    const whole = new FrameDecoder();
    whole.push(chunk);
    const inMiddle = whole.next();
    const atEnd = whole.next();
    chunk[last] = 0x21; // a view sees the change
    chunk[chunk.length - 1] = 0x3f;
    expect(inMiddle?.content.at(-1)).toBe(0x21);
    expect(atEnd?.content.at(-1)).toBe(0x3f);

    const head = Buffer.alloc(last);
    const tail = Buffer.alloc(1);
    first.bytes.copy(head, 0, 0, last);
    first.bytes.copy(tail, 0, last);
    const split = new FrameDecoder();
    split.push(head);
    split.push(tail);
    const straddling = split.next();
    head.fill(0);
    tail.fill(0); // a copy does not
    expect(straddling?.content.toString("utf8")).toBe('{"action": "find", "value": "x"}');
  });

  it("ignores empty chunks and decodes an empty content", () => {
    const decoder = new FrameDecoder();
    const message = createMessage({
      content: Buffer.alloc(0),
      contentType: "text/json",
      contentEncoding: "utf-8",
      byteorder: "little",
    });
    expect(message.toString("latin1")).toBe(
      '\x00f{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 0}',
    );
    decoder.push(Buffer.alloc(0));
    expect(decoder.bufferedBytes).toBe(0);
    decoder.push(message);
    const frame = decoder.next();
    expect(frame?.header["content-length"]).toBe(0);
    expect(frame?.content).toHaveLength(0);
    expect(decoder.next()).toBeNull();
  });

  it("walks the course's phases one step at a time", () => {
    const vector = VECTORS.find((v) => v.name === "search-morpheus");
    if (vector === undefined) throw new Error("search-morpheus missing");
    const bytes = vector.req; // 2 + 103 header bytes + 41 content bytes
    const decoder = new FrameDecoder();

    expect(decoder.processJsonheader()).toBe(false);
    expect(decoder.processContent()).toBeNull();
    decoder.push(bytes.subarray(0, 1));
    expect(decoder.processProtoheader()).toBe(false);
    expect(decoder.jsonheaderLen).toBeNull();
    expect(decoder.bufferedBytes).toBe(1);

    decoder.push(bytes.subarray(1, 50));
    expect(decoder.processProtoheader()).toBe(true);
    expect(decoder.jsonheaderLen).toBe(103);
    expect(decoder.state).toBe("jsonheader");
    expect(decoder.bufferedBytes).toBe(48);
    expect(decoder.processProtoheader()).toBe(true); // already done: no more bytes taken
    expect(decoder.bufferedBytes).toBe(48);
    expect(decoder.processJsonheader()).toBe(false);
    expect(decoder.jsonheader).toBeNull();

    decoder.push(bytes.subarray(50, 110));
    expect(decoder.processJsonheader()).toBe(true);
    expect(decoder.state).toBe("content");
    expect(decoder.jsonheader).toEqual({
      byteorder: "little",
      "content-type": "text/json",
      "content-encoding": "utf-8",
      "content-length": 41,
    });
    expect(decoder.bufferedBytes).toBe(5);
    expect(decoder.processProtoheader()).toBe(true);
    expect(decoder.processJsonheader()).toBe(true);
    expect(decoder.processContent()).toBeNull();

    decoder.push(bytes.subarray(110));
    const content = decoder.processContent();
    expect(content?.toString("utf8")).toBe('{"action": "search", "value": "morpheus"}');
    expect(decoder.state).toBe("protoheader");
    expect(decoder.jsonheaderLen).toBeNull();
    expect(decoder.jsonheader).toBeNull();
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.processContent()).toBeNull();
  });

  it("keeps extra header keys, in their order", () => {
    const decoder = new FrameDecoder();
    decoder.push(
      rawFrame(
        '{"x-first": 1, "byteorder": "big", "content-length": 2, "content-type": "t", "content-encoding": "e", "x-last": [true]}',
        Buffer.from("ok"),
      ),
    );
    const frame = decoder.next();
    expect(Object.keys(frame?.header ?? {})).toEqual([
      "x-first",
      "byteorder",
      "content-length",
      "content-type",
      "content-encoding",
      "x-last",
    ]);
    expect(frame?.header["x-last"]).toEqual([true]);
    expect(frame?.content.toString()).toBe("ok");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// FrameDecoder: malformed input
// ---------------------------------------------------------------------------------------------------------------

const GOOD = {
  byteorder: "little",
  "content-length": 0,
  "content-type": "text/json",
  "content-encoding": "utf-8",
};
/** GOOD with some keys replaced (a value of undefined drops the key). */
const headerWith = (changes: Record<string, unknown>): string =>
  JSON.stringify({ ...GOOD, ...changes });

interface BadCase {
  readonly label: string;
  readonly bytes: Buffer;
  readonly code: ProtocolErrorCode;
  readonly message: string | RegExp;
}

const BAD: readonly BadCase[] = [
  {
    label: "header length 0",
    bytes: Buffer.from([0, 0, 0x7b, 0x7d]),
    code: "PROTOCOL_EMPTY_HEADER",
    message: "Proto-header announces an empty JSON header.",
  },
  {
    label: "header not UTF-8 (0xff)",
    bytes: rawFrame(Buffer.from([0x7b, 0xff, 0x7d])),
    code: "PROTOCOL_INVALID_UTF8",
    message: "JSON header is not valid utf-8.",
  },
  {
    label: "header with an encoded surrogate (ED A0 80)",
    bytes: rawFrame(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])),
    code: "PROTOCOL_INVALID_UTF8",
    message: "JSON header is not valid utf-8.",
  },
  {
    label: "header cut inside a multi-byte character",
    bytes: rawFrame(Buffer.from('"\u{1f436}"', "utf8").subarray(0, 3)),
    code: "PROTOCOL_INVALID_UTF8",
    message: "JSON header is not valid utf-8.",
  },
  {
    label: "header not JSON",
    bytes: rawFrame('{"byteorder": "little",'),
    code: "PROTOCOL_INVALID_JSON",
    message: /^JSON header is not valid JSON: ./,
  },
  {
    label: "header with a UTF-8 byte-order mark (Python refuses it too)",
    bytes: rawFrame(`\ufeff${headerWith({})}`),
    code: "PROTOCOL_INVALID_JSON",
    message: /^JSON header is not valid JSON: ./,
  },
  {
    label: "header a JSON array",
    bytes: rawFrame("[1, 2]"),
    code: "PROTOCOL_HEADER_NOT_OBJECT",
    message: "JSON header must be an object, got [1,2].",
  },
  {
    label: "header a JSON string",
    bytes: rawFrame('"byteorder"'),
    code: "PROTOCOL_HEADER_NOT_OBJECT",
    message: 'JSON header must be an object, got "byteorder".',
  },
  {
    label: "header JSON null",
    bytes: rawFrame("null"),
    code: "PROTOCOL_HEADER_NOT_OBJECT",
    message: "JSON header must be an object, got null.",
  },
  {
    label: "empty header object",
    bytes: rawFrame("{}"),
    code: "PROTOCOL_MISSING_HEADER",
    message: "Missing required header 'byteorder'.",
  },
  ...(["byteorder", "content-length", "content-type", "content-encoding"] as const).map(
    (key): BadCase => ({
      label: `missing ${key}`,
      bytes: rawFrame(headerWith({ [key]: undefined })),
      code: "PROTOCOL_MISSING_HEADER",
      message: `Missing required header '${key}'.`,
    }),
  ),
  {
    label: "missing content-type and content-length: the course checks content-length first",
    bytes: rawFrame('{"byteorder": "little", "content-encoding": "utf-8"}'),
    code: "PROTOCOL_MISSING_HEADER",
    message: "Missing required header 'content-length'.",
  },
  {
    label: "missing content-encoding while content-length is bad: presence is checked first",
    bytes: rawFrame(headerWith({ "content-encoding": undefined, "content-length": -1 })),
    code: "PROTOCOL_MISSING_HEADER",
    message: "Missing required header 'content-encoding'.",
  },
  ...(
    [
      ["-1", "-1"],
      ["1.5", "1.5"],
      ['"41"', '"41"'],
      ["null", "null"],
      ["true", "true"],
      ["1e20", "100000000000000000000"],
      ["9007199254740992", "9007199254740992"],
      ["[41]", "[41]"],
    ] as const
  ).map(([raw, shown]): BadCase => ({
    label: `content-length ${raw}`,
    bytes: rawFrame(
      `{"byteorder": "little", "content-length": ${raw}, "content-type": "a", "content-encoding": "b"}`,
    ),
    code: "PROTOCOL_INVALID_CONTENT_LENGTH",
    message: `Header 'content-length' must be a non-negative integer, got ${shown}.`,
  })),
  {
    label: "content-type a number",
    bytes: rawFrame(headerWith({ "content-type": 5 })),
    code: "PROTOCOL_INVALID_HEADER_VALUE",
    message: "Header 'content-type' must be a string, got 5.",
  },
  {
    label: "content-type null",
    bytes: rawFrame(headerWith({ "content-type": null })),
    code: "PROTOCOL_INVALID_HEADER_VALUE",
    message: "Header 'content-type' must be a string, got null.",
  },
  {
    label: "content-encoding a list",
    bytes: rawFrame(headerWith({ "content-encoding": ["utf-8"] })),
    code: "PROTOCOL_INVALID_HEADER_VALUE",
    message: "Header 'content-encoding' must be a string, got [\"utf-8\"].",
  },
  {
    label: "byteorder a number",
    bytes: rawFrame(headerWith({ byteorder: 1 })),
    code: "PROTOCOL_INVALID_HEADER_VALUE",
    message: "Header 'byteorder' must be a string, got 1.",
  },
  {
    label: "bad content-length and bad content-type: content-length is checked first",
    bytes: rawFrame(headerWith({ "content-type": 5, "content-length": "x" })),
    code: "PROTOCOL_INVALID_CONTENT_LENGTH",
    message: `Header 'content-length' must be a non-negative integer, got "x".`,
  },
];

describe("FrameDecoder refuses malformed frames", () => {
  it.each(BAD)("$label → $code", ({ bytes, code, message }) => {
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    const error = expectProtocolError(() => decoder.next(), code, message);
    expect(decoder.state).toBe("failed");
    // broken for good: the same error again, from next() and from every phase
    expect(() => decoder.next()).toThrow(error);
    expect(() => decoder.processProtoheader()).toThrow(error);
    expect(() => decoder.processJsonheader()).toThrow(error);
    expect(() => decoder.processContent()).toThrow(error);
    decoder.push(rawFrame(headerWith({})));
    expect(() => decoder.next()).toThrow(error);
  });

  it("reports the bad header from processJsonheader, the phase that reads it", () => {
    const decoder = new FrameDecoder();
    decoder.push(rawFrame(headerWith({ "content-length": undefined })));
    expect(decoder.processProtoheader()).toBe(true);
    expectProtocolError(
      () => decoder.processJsonheader(),
      "PROTOCOL_MISSING_HEADER",
      "Missing required header 'content-length'.",
    );
  });

  it("keeps an invalid UTF-8 error's cause", () => {
    const decoder = new FrameDecoder();
    decoder.push(rawFrame(Buffer.from([0xc3])));
    const error = expectProtocolError(
      () => decoder.next(),
      "PROTOCOL_INVALID_UTF8",
      "JSON header is not valid utf-8.",
    );
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

describe("FrameDecoder maxContentLength", () => {
  const header = (length: number): Buffer =>
    rawFrame(headerWith({ "content-length": length, "content-type": "binary/x" }));

  it("refuses a longer content-length once the header is read, before any content is buffered", () => {
    const decoder = new FrameDecoder({ maxContentLength: 1000 });
    const bytes = header(1001);
    decoder.push(bytes.subarray(0, 10));
    expect(decoder.next()).toBeNull();
    decoder.push(bytes.subarray(10));
    expect(decoder.bufferedBytes).toBe(bytes.length - 2);
    expectProtocolError(
      () => decoder.next(),
      "PROTOCOL_CONTENT_TOO_LONG",
      "Header 'content-length' is 1001, over the limit of 1000 bytes.",
    );
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.state).toBe("failed");
    expect(decoder.jsonheader).toBeNull();
  });

  it("accepts a content-length equal to the limit", () => {
    const decoder = new FrameDecoder({ maxContentLength: 3 });
    decoder.push(rawFrame(headerWith({ "content-length": 3 }), Buffer.from("abc")));
    expect(decoder.next()?.content.toString()).toBe("abc");
  });

  it("accepts anything by default, as the course does, and waits for the bytes", () => {
    const decoder = new FrameDecoder();
    decoder.push(header(2 ** 40));
    expect(decoder.next()).toBeNull();
    expect(decoder.state).toBe("content");
    expect(decoder.jsonheader?.["content-length"]).toBe(2 ** 40);
  });

  it("refuses a limit of 0 bytes only for non-empty content", () => {
    const decoder = new FrameDecoder({ maxContentLength: 0 });
    decoder.push(header(0));
    expect(decoder.next()?.content).toHaveLength(0);
    decoder.push(header(1));
    expectProtocolError(
      () => decoder.next(),
      "PROTOCOL_CONTENT_TOO_LONG",
      /content-length.*over the limit of 0 bytes/,
    );
  });

  it.each([-1, 1.5, Number.NaN])("refuses maxContentLength %s", (max) => {
    expect(() => new FrameDecoder({ maxContentLength: max })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// createMessage
// ---------------------------------------------------------------------------------------------------------------

describe("createMessage", () => {
  it("writes the course's header, key order and separators, with a >H length", () => {
    const message = createMessage({
      content: Buffer.from("hi"),
      contentType: "text/plain",
      contentEncoding: "utf-8",
      byteorder: "big",
    });
    // python3: struct.pack('>H', len(h)) + h + b'hi', h = json.dumps({...}, ensure_ascii=False).encode()
    expect(message.toString("hex")).toBe(
      "00647b22627974656f72646572223a2022626967222c2022636f6e74656e742d74797065223a2022746578742f706c61696e222c2022636f6e74656e742d656e636f64696e67223a20227574662d38222c2022636f6e74656e742d6c656e677468223a20327d6869",
    );
  });

  it("counts header bytes, not characters, and writes non-ASCII raw", () => {
    const message = createMessage({
      content: new Uint8Array([0x00, 0xff]),
      contentType: "t\u00ebxt/\u{1f436}",
      contentEncoding: 'bin"ary',
      byteorder: "little",
    });
    expect(message.toString("hex")).toBe(
      "006a7b22627974656f72646572223a20226c6974746c65222c2022636f6e74656e742d74797065223a202274c3ab78742ff09f90b6222c2022636f6e74656e742d656e636f64696e67223a202262696e5c22617279222c2022636f6e74656e742d6c656e677468223a20327d00ff",
    );
  });

  it("accepts a header of exactly 65535 bytes and refuses 65536", () => {
    // `{"byteorder": "little", "content-type": "", "content-encoding": "", "content-length": 0}` is 88 bytes
    const parts = (typeLength: number) => ({
      content: Buffer.alloc(0),
      contentType: "x".repeat(typeLength),
      contentEncoding: "",
      byteorder: "little",
    });
    const largest = createMessage(parts(65535 - 88));
    expect(largest.readUInt16BE(0)).toBe(65535);
    expect(largest).toHaveLength(2 + 65535);
    const decoder = new FrameDecoder();
    decoder.push(largest);
    expect(decoder.next()?.header["content-type"]).toHaveLength(65535 - 88);

    expectProtocolError(
      () => createMessage(parts(65536 - 88)),
      "PROTOCOL_HEADER_TOO_LONG",
      "JSON header is 65536 bytes; the >H proto-header holds at most 65535.",
    );
  });

  it("refuses a header string holding a lone surrogate, as Python's encode does", () => {
    expectProtocolError(
      () =>
        createMessage({ content: Buffer.alloc(0), contentType: "\udc80", contentEncoding: "b" }),
      "PROTOCOL_UNENCODABLE",
      /^'utf-8' codec can't encode character '\\udc80' in position \d+: surrogates not allowed$/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// _json_encode / _json_decode
// ---------------------------------------------------------------------------------------------------------------

describe("jsonEncode / jsonDecode and encodings", () => {
  const dogContent = '{"action": "search", "value": "\u{1f436}"}';

  it.each(["utf-8", "UTF-8", "utf8", "Utf8", "utf_8", "U8", "utf", "cp65001", " utf-8 ", "UTF 8"])(
    "accepts Python's spelling %j of utf-8",
    (encoding) => {
      expect(lookupEncoding(encoding)).toBe("utf-8");
      const bytes = jsonEncode({ action: "search", value: "\u{1f436}" }, encoding);
      expect(bytes.toString("hex")).toBe(Buffer.from(dogContent, "utf8").toString("hex"));
      expect(bytes).toHaveLength(37);
      expect(jsonDecode(bytes, encoding)).toEqual({ action: "search", value: "\u{1f436}" });
    },
  );

  it.each(["binary", "latin-1", "utf-16", "utf.8", "Utf-8.", "utf-8-sig", ""])(
    "refuses encoding %j",
    (encoding) => {
      const message = `unknown encoding: ${encoding}`;
      expectProtocolError(() => lookupEncoding(encoding), "PROTOCOL_UNKNOWN_ENCODING", message);
      expectProtocolError(() => jsonEncode({}, encoding), "PROTOCOL_UNKNOWN_ENCODING", message);
      expectProtocolError(
        () => jsonDecode(Buffer.from("{}"), encoding),
        "PROTOCOL_UNKNOWN_ENCODING",
        message,
      );
    },
  );

  it("refuses to encode a lone surrogate with Python's UnicodeEncodeError text", () => {
    // python3: json.dumps('\ud800', ensure_ascii=False).encode('utf-8')
    //   UnicodeEncodeError: 'utf-8' codec can't encode character '\ud800' in position 1: surrogates not allowed
    expectProtocolError(
      () => jsonEncode("\ud800", "utf-8"),
      "PROTOCOL_UNENCODABLE",
      "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed",
    );
    expectProtocolError(
      () => encodeText("ok \u{1f436} \udc00", "utf8"),
      "PROTOCOL_UNENCODABLE", // python3: position in code points, not UTF-16 units
      "'utf-8' codec can't encode character '\\udc00' in position 5: surrogates not allowed",
    );
    expect(encodeText("\ud83d\udc36", "utf-8").toString("hex")).toBe("f09f90b6");
  });

  it("decodes strictly", () => {
    expectProtocolError(
      () => jsonDecode(Buffer.from([0x22, 0x80, 0x22]), "utf-8"),
      "PROTOCOL_INVALID_UTF8",
      "JSON text is not valid utf-8.",
    );
    expectProtocolError(
      () => jsonDecode(Buffer.from("{'a': 1}"), "utf-8"),
      "PROTOCOL_INVALID_JSON",
      /^JSON text is not valid JSON: ./,
    );
    expectProtocolError(
      () => jsonDecode(Buffer.from("\ufeff{}"), "utf-8"),
      "PROTOCOL_INVALID_JSON",
      /^JSON text is not valid JSON: ./,
    );
    expect(jsonDecode(Buffer.from(' [1, "\u00e9", null] '), "utf-8")).toEqual([1, "\u00e9", null]);
  });

  describe("decodeJsonContent", () => {
    const frameOf = (contentType: string, contentEncoding: string, content: Buffer): Frame => {
      const decoder = new FrameDecoder();
      decoder.push(createMessage({ content, contentType, contentEncoding }));
      const frame = decoder.next();
      if (frame === null) throw new Error("no frame");
      return frame;
    };

    it("decodes a text/json frame with its encoding", () => {
      const frame = frameOf("text/json", "UTF-8", Buffer.from('{"result": "\u{1f430}"}'));
      expect(decodeJsonContent(frame)).toEqual({ result: "\u{1f430}" });
    });

    it("refuses a frame that is not text/json", () => {
      const frame = frameOf("binary/custom-server-binary-type", "binary", Buffer.from("{}"));
      expectProtocolError(
        () => decodeJsonContent(frame),
        "PROTOCOL_NOT_JSON_CONTENT",
        'Content-type "binary/custom-server-binary-type" is not "text/json".',
      );
    });

    it("refuses an unknown encoding and invalid bytes", () => {
      expectProtocolError(
        () => decodeJsonContent(frameOf("text/json", "binary", Buffer.from("{}"))),
        "PROTOCOL_UNKNOWN_ENCODING",
        "unknown encoding: binary",
      );
      expectProtocolError(
        () => decodeJsonContent(frameOf("text/json", "utf-8", Buffer.from([0xf0, 0x9f]))),
        "PROTOCOL_INVALID_UTF8",
        "text/json content is not valid utf-8.",
      );
      expectProtocolError(
        () => decodeJsonContent(frameOf("text/json", "utf-8", Buffer.from("{"))),
        "PROTOCOL_INVALID_JSON",
        /^text\/json content is not valid JSON: ./,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// pyJsonDumps
// ---------------------------------------------------------------------------------------------------------------

describe("pyJsonDumps matches python3 json.dumps(obj, ensure_ascii=False)", () => {
  // Every expected string below was printed by python3.11 (ascii() of the result, transcribed with \u escapes).
  const CASES: readonly (readonly [string, unknown, string])[] = [
    [
      "nested objects and arrays",
      { a: [1, 2, { b: null, c: [true, false] }], d: { e: {} } },
      '{"a": [1, 2, {"b": null, "c": [true, false]}], "d": {"e": {}}}',
    ],
    ["empty containers", [[], {}, [[]], [{}], { x: [] }], '[[], {}, [[]], [{}], {"x": []}]'],
    [
      "emoji, raw",
      {
        result: "Follow the white rabbit. \u{1f430}",
        "\u{1f436}": "\u{1f43e} Playing ball! \u{1f3d0}",
      },
      '{"result": "Follow the white rabbit. \u{1f430}", "\u{1f436}": "\u{1f43e} Playing ball! \u{1f3d0}"}',
    ],
    [
      "control characters",
      "\x00\x01\x07\b\t\n\x0b\f\r\x0e\x1b\x1f\x7f",
      '"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001b\\u001f\x7f"',
    ],
    [
      "quotes and backslashes",
      "neo \"the one\" C:\\path\\ 'single' /slash/",
      '"neo \\"the one\\" C:\\\\path\\\\ \'single\' /slash/"',
    ],
    ["U+2028, U+2029, U+0085 raw", "a\u2028b\u2029c\u0085d", '"a\u2028b\u2029c\u0085d"'],
    [
      "non-ASCII raw, BOM included",
      "caf\u00e9 \u00f1 \u65e5\u672c\u8a9e \ufeff",
      '"caf\u00e9 \u00f1 \u65e5\u672c\u8a9e \ufeff"',
    ],
    ["lone surrogates raw", ["\ud800x", "\udc00\ud83d\ude00"], '["\ud800x", "\udc00\ud83d\ude00"]'],
    [
      "floats in Python's repr",
      [
        0.1,
        1e-5,
        1e16,
        0.0001,
        1.5,
        -2.5e-7,
        1.7976931348623157e308,
        5e-324,
        1.2345678901234568e20,
        Math.PI,
        -0,
      ],
      "[0.1, 1e-05, 1e+16, 0.0001, 1.5, -2.5e-07, 1.7976931348623157e+308, 5e-324, 1.2345678901234568e+20, 3.141592653589793, -0.0]",
    ],
    [
      "more floats",
      [
        0.3,
        1 / 3,
        123456789.123,
        1e22,
        2 ** 53,
        2 ** 53 + 2,
        4.35,
        1e-7,
        1.2345678901234568e17,
        0.00012,
      ],
      "[0.3, 0.3333333333333333, 123456789.123, 1e+22, 9007199254740992.0, 9007199254740994.0, 4.35, 1e-07, 1.2345678901234568e+17, 0.00012]",
    ],
    [
      "safe integers as ints",
      [0, 41, -7, 1e15, 9007199254740991, -9007199254740991],
      "[0, 41, -7, 1000000000000000, 9007199254740991, -9007199254740991]",
    ],
    ["NaN and infinities", [NaN, Infinity, -Infinity], "[NaN, Infinity, -Infinity]"],
    ["literals", [true, false, null], "[true, false, null]"],
    ["a top-level string", "morpheus", '"morpheus"'],
    ["a top-level number", 41, "41"],
    ["a top-level null", null, "null"],
    [
      "keys escaped like strings",
      { 'a"b': 1, "\n": 2, "\u043a\u043b\u044e\u0447": 3 },
      '{"a\\"b": 1, "\\n": 2, "\u043a\u043b\u044e\u0447": 3}',
    ],
    [
      "the course's request",
      { action: "search", value: 'neo "the one"' },
      '{"action": "search", "value": "neo \\"the one\\""}',
    ],
  ];

  it.each(CASES)("%s", (_label, value, expected) => {
    expect(pyJsonDumps(value)).toBe(expected);
  });

  it("writes an object with a null prototype like any other", () => {
    const bare: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    bare["k"] = [1.25];
    expect(pyJsonDumps(bare)).toBe('{"k": [1.25]}');
  });

  it("leaves out properties whose value is undefined", () => {
    expect(pyJsonDumps({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a": 1, "c": {}}');
  });

  it("lists integer-like keys first, as JavaScript orders them (Python keeps insertion order)", () => {
    // python3: json.dumps({"b": 1, "1": 2}) == '{"b": 1, "1": 2}'; a JavaScript object cannot hold that order
    expect(pyJsonDumps({ b: 1, "1": 2 })).toBe('{"1": 2, "b": 1}');
  });

  class Point {
    x = 1;
  }
  const circular: Record<string, unknown> = { a: 1 };
  circular["self"] = { again: circular };

  it.each([
    ["a function", () => 1, "Object of type function is not JSON serializable"],
    ["a bigint", 10n, "Object of type bigint is not JSON serializable"],
    ["a symbol", Symbol("s"), "Object of type symbol is not JSON serializable"],
    ["undefined", undefined, "Object of type undefined is not JSON serializable"],
    ["undefined in an array", [1, undefined], "Object of type undefined is not JSON serializable"],
    ["a Map", { m: new Map([["a", 1]]) }, "Object of type Map is not JSON serializable"],
    ["a Date", [new Date(0)], "Object of type Date is not JSON serializable"],
    ["a Buffer", Buffer.from("x"), "Object of type Buffer is not JSON serializable"],
    ["a class instance", new Point(), "Object of type Point is not JSON serializable"],
    ["a circular structure", circular, "Circular reference detected"],
  ] as const)("throws TypeError for %s", (_label, value, message) => {
    expect(() => pyJsonDumps(value)).toThrow(new TypeError(message));
    expect(() => pyJsonDumps(value)).toThrow(TypeError);
  });

  it("accepts the same object twice when it is not its own ancestor", () => {
    const shared = { v: 1 };
    expect(pyJsonDumps([shared, { w: shared }])).toBe('[{"v": 1}, {"w": {"v": 1}}]');
  });
});
