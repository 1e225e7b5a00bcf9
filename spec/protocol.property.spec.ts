/**
 * Property-based tests of `lib/app/protocol.ts` with fast-check: what must hold for every input, where
 * `protocol.spec.ts` checks chosen examples and the Python vectors.
 *
 * Every property runs with a fixed seed ({@link SEED}), so CI sees the same inputs on every run. To explore
 * other inputs locally, set `PROPERTY_SEED` (and `PROPERTY_RUNS` to multiply the run counts):
 *
 * ```sh
 * PROPERTY_SEED=12345 PROPERTY_RUNS=10 npx vitest run spec/protocol.property.spec.ts
 * ```
 *
 * A failure prints the seed, the shrunk counterexample and a `path` that replays it.
 * @module
 */
import { createHash } from "node:crypto";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  BYTEORDER,
  FrameDecoder,
  MAX_JSONHEADER_LENGTH,
  ProtocolError,
  REQUIRED_HEADERS,
  createMessage,
  decodeJsonContent,
  jsonEncode,
  pyJsonDumps,
  type DecoderState,
  type Frame,
  type FrameDecoderOptions,
  type MessageParts,
  type ProtocolErrorCode,
} from "../lib/app/protocol.ts";

// ---------------------------------------------------------------------------------------------------------------
// run parameters
// ---------------------------------------------------------------------------------------------------------------

/** The fixed seed of every property; `PROPERTY_SEED` overrides it for local exploration. */
const SEED = Number(process.env["PROPERTY_SEED"] ?? 0x5e1ec7);
/** Multiplies every property's number of runs; `PROPERTY_RUNS` sets it, 1 by default. */
const RUNS_FACTOR = Number(process.env["PROPERTY_RUNS"] ?? 1);

/** fast-check parameters: the fixed seed and a run count sized so that the whole file takes a few seconds. */
function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: numRuns * RUNS_FACTOR };
}

// ---------------------------------------------------------------------------------------------------------------
// error codes
// ---------------------------------------------------------------------------------------------------------------

/** Every {@link ProtocolErrorCode}; the type below fails to compile if the union gains a code not listed. */
const ALL_CODES = [
  "PROTOCOL_EMPTY_HEADER",
  "PROTOCOL_HEADER_TOO_LONG",
  "PROTOCOL_INVALID_UTF8",
  "PROTOCOL_INVALID_JSON",
  "PROTOCOL_HEADER_NOT_OBJECT",
  "PROTOCOL_MISSING_HEADER",
  "PROTOCOL_INVALID_CONTENT_LENGTH",
  "PROTOCOL_INVALID_HEADER_VALUE",
  "PROTOCOL_CONTENT_TOO_LONG",
  "PROTOCOL_UNKNOWN_ENCODING",
  "PROTOCOL_UNENCODABLE",
  "PROTOCOL_NOT_JSON_CONTENT",
] as const satisfies readonly ProtocolErrorCode[];
type AssertNever<T extends never> = T;
type _EveryCodeListed = AssertNever<Exclude<ProtocolErrorCode, (typeof ALL_CODES)[number]>>;

/** The codes a {@link FrameDecoder} may throw (the others belong to encoding and to `decodeJsonContent`). */
const DECODER_CODES: readonly ProtocolErrorCode[] = [
  "PROTOCOL_EMPTY_HEADER",
  "PROTOCOL_INVALID_UTF8",
  "PROTOCOL_INVALID_JSON",
  "PROTOCOL_HEADER_NOT_OBJECT",
  "PROTOCOL_MISSING_HEADER",
  "PROTOCOL_INVALID_CONTENT_LENGTH",
  "PROTOCOL_INVALID_HEADER_VALUE",
  "PROTOCOL_CONTENT_TOO_LONG",
] satisfies readonly (typeof ALL_CODES)[number][];

/** Asserts that `error` is a ProtocolError carrying one of the decoder's codes, and returns it typed. */
function asDecoderError(error: unknown): ProtocolError {
  if (!(error instanceof ProtocolError)) {
    throw new Error(`FrameDecoder threw something other than a ProtocolError: ${String(error)}`, {
      cause: error,
    });
  }
  expect(error.name).toBe("ProtocolError");
  expect(ALL_CODES).toContain(error.code);
  expect(DECODER_CODES).toContain(error.code);
  return error;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------------

/** A `>H` length prefix. */
function u16(n: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(n);
  return prefix;
}

/** Cuts `bytes` at the given positions (taken modulo `length + 1`, sorted): empty chunks included. */
function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}

/** Cuts `bytes` into chunks of `size` bytes (the last one shorter). */
function splitEvery(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** How a stream is cut into chunks: at arbitrary positions, or in small fixed-size pieces. */
type Split = { readonly cuts: readonly number[] } | { readonly every: number };

const splitArb: fc.Arbitrary<Split> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ cuts: fc.array(fc.nat(), { maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ every: fc.integer({ min: 1, max: 7 }) }) },
);

function applySplit(bytes: Buffer, split: Split): Buffer[] {
  return "cuts" in split ? splitAt(bytes, split.cuts) : splitEvery(bytes, split.every);
}

/**
 * How frames are taken out of the decoder: `next()` after every push, the course's phase methods after every push
 * (as `message.ts` does), or `next()` only once everything is pushed.
 */
type Drain = "next" | "phases" | "at-end";
const drainArb = fc.constantFrom<Drain>("next", "phases", "at-end");

/** One frame by the course's phases, as `Message.read()` takes it; `null` when bytes are missing. */
function nextByPhases(decoder: FrameDecoder): Frame | null {
  if (!decoder.processProtoheader()) return null;
  if (!decoder.processJsonheader()) return null;
  const header = decoder.jsonheader;
  const content = decoder.processContent();
  return header === null || content === null ? null : { header, content };
}

function takeFrames(decoder: FrameDecoder, drain: Drain, into: Frame[]): void {
  const take = drain === "phases" ? () => nextByPhases(decoder) : () => decoder.next();
  for (let frame = take(); frame !== null; frame = take()) into.push(frame);
}

/** A frame as plain data, so that `toEqual` compares header values and content bytes. */
interface PlainFrame {
  readonly header: Record<string, unknown>;
  readonly keys: string[];
  readonly content: string;
}

function plain(frame: Frame): PlainFrame {
  return {
    header: { ...frame.header },
    keys: Object.keys(frame.header),
    content: frame.content.toString("hex"),
  };
}

/** What a decoder made of a whole stream. */
interface Outcome {
  readonly frames: PlainFrame[];
  /** The ProtocolError's code and message, or null when the decoder did not fail. */
  readonly error: { readonly code: ProtocolErrorCode; readonly message: string } | null;
  readonly bufferedBytes: number;
  readonly state: DecoderState;
}

/**
 * Pushes `chunks` one by one into a new decoder, drains it as `drain` says, and checks on the way what must hold
 * for any input: only ProtocolErrors with a decoder code come out, every frame holds exactly its content-length,
 * and once failed the decoder throws that same error object from every method, whatever is pushed after.
 */
function decodeStream(
  chunks: readonly Buffer[],
  drain: Drain,
  options: FrameDecoderOptions = {},
): Outcome {
  const decoder = new FrameDecoder(options);
  const frames: Frame[] = [];
  const failed: { error: ProtocolError | null } = { error: null };
  let pushed = 0;
  const drainNow = (): void => {
    if (failed.error !== null) {
      expectSameFailure(decoder, failed.error);
      return;
    }
    try {
      takeFrames(decoder, drain, frames);
    } catch (e) {
      failed.error = asDecoderError(e);
      expectSameFailure(decoder, failed.error);
    }
  };
  chunks.forEach((chunk, i) => {
    decoder.push(chunk);
    pushed += chunk.length;
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(pushed);
    if (drain !== "at-end" || i === chunks.length - 1) drainNow();
  });
  if (chunks.length === 0) drainNow();
  for (const frame of frames) {
    expect(frame.content).toHaveLength(frame.header["content-length"]);
    expect(typeof frame.header.byteorder).toBe("string");
    expect(typeof frame.header["content-type"]).toBe("string");
    expect(typeof frame.header["content-encoding"]).toBe("string");
  }
  const { error } = failed;
  return {
    frames: frames.map(plain),
    error: error === null ? null : { code: error.code, message: error.message },
    bufferedBytes: decoder.bufferedBytes,
    state: decoder.state,
  };
}

/** A failed decoder rethrows `failure` itself from every method. */
function expectSameFailure(decoder: FrameDecoder, failure: ProtocolError): void {
  expect(decoder.state).toBe("failed");
  for (const call of [
    () => decoder.next(),
    () => decoder.processProtoheader(),
    () => decoder.processJsonheader(),
    () => decoder.processContent(),
  ]) {
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(failure);
  }
  expect(decoder.jsonheader).toBeNull();
  expect(decoder.jsonheaderLen).toBeNull();
}

// ---------------------------------------------------------------------------------------------------------------
// arbitraries
// ---------------------------------------------------------------------------------------------------------------

/** Header strings: any code points but lone surrogates (which `createMessage` refuses, as Python's encode does). */
const headerText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: "binary-ascii", maxLength: 24 }),
  fc.constantFrom("binary/custom-client-binary-type", "binary", "text/json", "utf-8", ""),
);

/** JSON values with ASCII, any-code-point and control-character strings. */
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }),
  fc.jsonValue({ maxDepth: 2, stringUnit: "binary-ascii" }),
);

/** Python's spellings of UTF-8, all of which the course's `_json_encode`/`_json_decode` accept. */
const utf8Spelling = fc.constantFrom("utf-8", "UTF-8", "utf8", "utf_8", "U8", "cp65001", "UTF 8");

/** A frame to send, and what decoding it must give back. */
interface FrameCase {
  readonly parts: MessageParts;
  /** For a text/json frame, the JSON value its content holds. */
  readonly json: { readonly value: unknown } | null;
}

function withByteorder(
  parts: Omit<MessageParts, "byteorder">,
  byteorder: string | null,
): MessageParts {
  return byteorder === null ? parts : { ...parts, byteorder };
}

const byteorderArb = fc.option(fc.oneof(fc.constantFrom("little", "big"), headerText));

const binaryFrame: fc.Arbitrary<FrameCase> = fc
  .record({
    content: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: 200, maxLength: 3000 }),
    ),
    contentType: headerText,
    contentEncoding: headerText,
    byteorder: byteorderArb,
  })
  .map(({ byteorder, ...parts }) => ({ parts: withByteorder(parts, byteorder), json: null }));

const jsonFrame: fc.Arbitrary<FrameCase> = fc
  .record({ value: jsonValue, encoding: utf8Spelling, byteorder: byteorderArb })
  .map(({ value, encoding, byteorder }) => ({
    parts: withByteorder(
      { content: jsonEncode(value, encoding), contentType: "text/json", contentEncoding: encoding },
      byteorder,
    ),
    json: { value },
  }));

const frameCase = fc.oneof(binaryFrame, jsonFrame);

/** The header a decoded frame of `parts` must carry, keys in createMessage's order. */
function expectedHeader(parts: MessageParts): Record<string, unknown> {
  return {
    byteorder: parts.byteorder ?? BYTEORDER,
    "content-type": parts.contentType,
    "content-encoding": parts.contentEncoding,
    "content-length": parts.content.byteLength,
  };
}

/** `value` as a JSON header: pyJsonDumps's text in UTF-8 (no lone surrogates in `value`). */
function headerJson(value: unknown): Buffer {
  return Buffer.from(pyJsonDumps(value), "utf8");
}

/** A `>H`-prefixed frame head whose JSON header is `value` (at most 65535 bytes), without content. */
function rawHeader(value: unknown): Buffer {
  const text = headerJson(value);
  return Buffer.concat([u16(text.length), text]);
}

// ---------------------------------------------------------------------------------------------------------------
// valid streams
// ---------------------------------------------------------------------------------------------------------------

describe("FrameDecoder on valid streams", () => {
  it("decodes any frames, cut anywhere, to the same frames in order, with nothing left", () => {
    fc.assert(
      fc.property(
        fc.array(frameCase, { maxLength: 8 }),
        splitArb,
        drainArb,
        fc.option(fc.nat({ max: 50 })),
        (cases, split, drain, slack) => {
          const stream = Buffer.concat(cases.map((c) => createMessage(c.parts)));
          // A limit at or above the longest content must not get in the way; slack 0 puts it exactly there.
          const longest = Math.max(0, ...cases.map((c) => c.parts.content.byteLength));
          const options = slack === null ? {} : { maxContentLength: longest + slack };
          const decoder = new FrameDecoder(options);
          const frames: Frame[] = [];
          const chunks = applySplit(stream, split);
          chunks.forEach((chunk, i) => {
            decoder.push(chunk);
            if (drain !== "at-end" || i === chunks.length - 1) takeFrames(decoder, drain, frames);
          });

          expect(frames).toHaveLength(cases.length);
          cases.forEach((c, i) => {
            const frame = frames[i];
            if (frame === undefined) throw new Error(`frame ${i} missing`);
            const header = expectedHeader(c.parts);
            expect({ ...frame.header }).toEqual(header);
            expect(Object.keys(frame.header)).toEqual(Object.keys(header));
            expect(frame.content.toString("hex")).toBe(
              Buffer.from(c.parts.content).toString("hex"),
            );
            if (c.json !== null) expect(decodeJsonContent(frame)).toEqual(c.json.value);
          });
          expect(decoder.next()).toBeNull();
          expect(decoder.bufferedBytes).toBe(0);
          expect(decoder.state).toBe("protoheader");
          expect(decoder.jsonheaderLen).toBeNull();
          expect(decoder.jsonheader).toBeNull();
        },
      ),
      runs(300),
    );
  });

  it("gives each frame out as soon as its last byte is pushed, not before", () => {
    fc.assert(
      fc.property(fc.array(frameCase, { minLength: 1, maxLength: 4 }), splitArb, (cases, split) => {
        const messages = cases.map((c) => createMessage(c.parts));
        const ends: number[] = [];
        let total = 0;
        for (const m of messages) ends.push((total += m.length));
        const decoder = new FrameDecoder();
        let pushed = 0;
        let decoded = 0;
        for (const chunk of applySplit(Buffer.concat(messages), split)) {
          decoder.push(chunk);
          pushed += chunk.length;
          while (decoder.next() !== null) decoded++;
          expect(decoded).toBe(ends.filter((end) => end <= pushed).length);
        }
        expect(decoded).toBe(cases.length);
      }),
      runs(100),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// arbitrary and damaged input
// ---------------------------------------------------------------------------------------------------------------

/** Damage done to a valid stream. */
type Mutation =
  | { readonly kind: "set"; readonly at: number; readonly byte: number }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "truncate"; readonly at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set"), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant("insert"),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }),
);

function mutate(bytes: Buffer, mutation: Mutation): Buffer {
  const at = mutation.at % (bytes.length + 1);
  switch (mutation.kind) {
    case "set": {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[at % bytes.length] = mutation.byte;
      return copy;
    }
    case "delete":
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + mutation.length)]);
    case "insert":
      return Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]);
    case "truncate":
      return bytes.subarray(0, at);
  }
}

/** Valid frames with a few mutations applied. */
const damagedStream = fc
  .tuple(
    fc.array(frameCase, { minLength: 1, maxLength: 4 }),
    fc.array(mutationArb, { maxLength: 4 }),
  )
  .map(([cases, mutations]) =>
    mutations.reduce(mutate, Buffer.concat(cases.map((c) => createMessage(c.parts)))),
  );

/** Arbitrary bytes, also behind a small header length so that the JSON header is complete more often. */
const noise = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.nat({ max: 40 }), fc.uint8Array({ maxLength: 300 }))
    .map(([n, rest]) => Buffer.concat([u16(n), rest])),
);

/** Marks a header key left out. */
const ABSENT = Symbol("absent");

/** A header field: mostly a good value, sometimes any JSON value, sometimes absent. */
function headerField(good: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: good },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
  );
}

/** A JSON header with the four keys, each maybe absent or mistyped, among extra keys. */
const oddHeaderObject = fc
  .record({
    before: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 2,
    }),
    byteorder: headerField(fc.oneof(fc.constantFrom("little", "big"), fc.string())),
    "content-length": headerField(
      fc.oneof(
        { weight: 6, arbitrary: fc.nat({ max: 40 }) },
        { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) },
        { weight: 1, arbitrary: fc.double() },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 53, 2 ** 53 - 1, 0.5, 1e300, -0) },
      ),
    ),
    "content-type": headerField(fc.string()),
    "content-encoding": headerField(fc.string()),
    after: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 2,
    }),
  })
  .map(({ before, after, ...required }) => {
    const header: Record<string, unknown> = { ...before };
    for (const [key, value] of Object.entries(required)) if (value !== ABSENT) header[key] = value;
    return { ...header, ...after };
  });

/** Streams whose JSON header is any JSON value, or an object with the four keys, maybe absent or mistyped. */
const oddHeaderStream = fc
  .tuple(
    fc.oneof({ weight: 1, arbitrary: jsonValue }, { weight: 3, arbitrary: oddHeaderObject }),
    fc.uint8Array({ maxLength: 40 }),
  )
  .filter(([header]) => headerJson(header).length <= MAX_JSONHEADER_LENGTH)
  .map(([header, rest]) => Buffer.concat([rawHeader(header), rest]));

const anyStream = fc.oneof(noise, damagedStream, oddHeaderStream);

describe("FrameDecoder on arbitrary and damaged input", () => {
  it("throws only ProtocolErrors with a decoder code, stays failed, and does not depend on the split", () => {
    fc.assert(
      fc.property(
        anyStream,
        splitArb,
        drainArb,
        fc.option(fc.nat({ max: 5000 })),
        (stream, split, drain, max) => {
          const options = max === null ? {} : { maxContentLength: max };
          const whole = decodeStream([stream], "next", options);
          const cut = decodeStream(applySplit(stream, split), drain, options);
          expect(cut).toEqual(whole);
          // After a failure, more bytes (even a good frame) change nothing.
          if (whole.error !== null) {
            const more = createMessage({
              content: Buffer.from("ok"),
              contentType: "t",
              contentEncoding: "e",
            });
            const after = decodeStream([stream, more], "next", options);
            expect(after.error).toEqual(whole.error);
            expect(after.frames).toEqual(whole.frames);
          }
        },
      ),
      runs(800),
    );
  });

  it("refuses a proto-header of 0 after any valid frames, whatever follows", () => {
    fc.assert(
      fc.property(
        fc.array(frameCase, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        splitArb,
        drainArb,
        (cases, rest, split, drain) => {
          const stream = Buffer.concat([...cases.map((c) => createMessage(c.parts)), u16(0), rest]);
          const outcome = decodeStream(applySplit(stream, split), drain);
          expect(outcome.frames).toHaveLength(cases.length);
          expect(outcome.error).toEqual({
            code: "PROTOCOL_EMPTY_HEADER",
            message: "Proto-header announces an empty JSON header.",
          });
          expect(outcome.bufferedBytes).toBe(rest.length);
        },
      ),
      runs(100),
    );
  });

  it("refuses a header exactly when the reference rules say so, with the rule's code", () => {
    // The module's rules, restated: an object, the four keys in the course's order, then byteorder a string,
    // content-length a non-negative safe integer, content-type and content-encoding strings, then the limit.
    const verdict = (header: unknown, max: number): ProtocolErrorCode | null => {
      if (typeof header !== "object" || header === null || Array.isArray(header)) {
        return "PROTOCOL_HEADER_NOT_OBJECT";
      }
      if (!REQUIRED_HEADERS.every((key) => Object.hasOwn(header, key))) {
        return "PROTOCOL_MISSING_HEADER";
      }
      const get = (key: string): unknown => Reflect.get(header, key);
      if (typeof get("byteorder") !== "string") return "PROTOCOL_INVALID_HEADER_VALUE";
      const length = get("content-length");
      if (typeof length !== "number" || !Number.isInteger(length) || length < 0) {
        return "PROTOCOL_INVALID_CONTENT_LENGTH";
      }
      if (length > Number.MAX_SAFE_INTEGER) return "PROTOCOL_INVALID_CONTENT_LENGTH";
      if (typeof get("content-type") !== "string" || typeof get("content-encoding") !== "string") {
        return "PROTOCOL_INVALID_HEADER_VALUE";
      }
      return length > max ? "PROTOCOL_CONTENT_TOO_LONG" : null;
    };
    const parseOrNull = (text: string): { value: unknown } | null => {
      try {
        return { value: JSON.parse(text) as unknown };
      } catch (e) {
        if (e instanceof SyntaxError) return null;
        throw e;
      }
    };
    fc.assert(
      fc.property(oddHeaderStream, fc.nat({ max: 30 }), (stream, max) => {
        const headerEnd = 2 + stream.readUInt16BE(0);
        const text = stream.subarray(2, headerEnd).toString("utf8");
        // pyJsonDumps writes NaN and Infinity as Python does; JSON.parse (so the decoder) refuses them.
        const parsed = parseOrNull(text);
        const header = parsed?.value;
        const expected = parsed === null ? "PROTOCOL_INVALID_JSON" : verdict(header, max);
        const decoder = new FrameDecoder({ maxContentLength: max });
        decoder.push(stream.subarray(0, headerEnd));
        if (expected === null) {
          expect(decoder.processJsonheader()).toBe(false); // the proto-header comes first
          expect(decoder.processProtoheader()).toBe(true);
          expect(decoder.processJsonheader()).toBe(true);
          expect({ ...decoder.jsonheader }).toEqual(header);
        } else {
          let thrown: unknown = null;
          try {
            decoder.next();
          } catch (e) {
            thrown = e;
          }
          expect(asDecoderError(thrown).code).toBe(expected);
        }
      }),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// maxContentLength
// ---------------------------------------------------------------------------------------------------------------

describe("FrameDecoder maxContentLength", () => {
  it("refuses a longer content-length as soon as the header is complete, before any content is taken", () => {
    fc.assert(
      fc.property(
        fc.array(binaryFrame, { maxLength: 3 }),
        fc.oneof(fc.nat({ max: 3000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 })),
        fc.oneof(fc.integer({ min: 1, max: 10 }), fc.nat({ max: Number.MAX_SAFE_INTEGER })),
        headerText,
        fc.uint8Array({ maxLength: 64 }),
        splitArb,
        fc.constantFrom<Drain>("next", "phases"),
        (before, max, excess, contentType, trailing, split, drain) => {
          // Frames within the limit first: they must come out untouched.
          const allowed = before.map((c) => ({
            ...c.parts,
            content: c.parts.content.subarray(0, max),
          }));
          const prefix = Buffer.concat(allowed.map((p) => createMessage(p)));
          const length = Math.min(max + Math.max(excess, 1), Number.MAX_SAFE_INTEGER);
          const header = rawHeader({
            byteorder: BYTEORDER,
            "content-type": contentType,
            "content-encoding": "binary",
            "content-length": length,
          });
          if (length <= 4096) {
            // the same head createMessage writes for such a frame
            const real = createMessage({
              content: Buffer.alloc(length),
              contentType,
              contentEncoding: "binary",
            });
            expect(real.subarray(0, header.length).equals(header)).toBe(true);
          }
          const headerEnd = prefix.length + header.length;
          const decoder = new FrameDecoder({ maxContentLength: max });
          const frames: Frame[] = [];
          let pushed = 0;
          let failure: ProtocolError | null = null;
          for (const chunk of applySplit(Buffer.concat([prefix, header, trailing]), split)) {
            decoder.push(chunk);
            pushed += chunk.length;
            if (failure !== null) {
              expectSameFailure(decoder, failure);
              continue;
            }
            if (pushed < headerEnd) {
              takeFrames(decoder, drain, frames); // must not throw
              continue;
            }
            let thrown: unknown = null;
            try {
              takeFrames(decoder, drain, frames);
            } catch (e) {
              thrown = e;
            }
            failure = asDecoderError(thrown);
            expect(failure.code).toBe("PROTOCOL_CONTENT_TOO_LONG");
            expect(failure.message).toBe(
              `Header 'content-length' is ${length}, over the limit of ${max} bytes.`,
            );
            // The header is consumed; whatever content came with it is still buffered, untouched.
            expect(decoder.bufferedBytes).toBe(pushed - headerEnd);
          }
          expect(failure).not.toBeNull();
          expect(frames.map(plain)).toEqual(
            allowed.map((p) => ({
              header: expectedHeader(p),
              keys: Object.keys(expectedHeader(p)),
              content: Buffer.from(p.content).toString("hex"),
            })),
          );
        },
      ),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// pyJsonDumps
// ---------------------------------------------------------------------------------------------------------------

/** Single UTF-16 code units from the surrogate range: lone surrogates, which Python's json writes raw. */
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
/** Strings mixing any code point, C0 controls, quotes, backslashes and lone surrogates. */
const wildString = fc.string({
  unit: fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }),
    fc.constantFrom('"', "\\", "\u2028", "\u007f", "\ufeff"),
    surrogate,
  ),
  maxLength: 30,
});

describe("pyJsonDumps", () => {
  it("writes text JSON.parse reads back to an equal value", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonValue,
          fc.jsonValue({ maxDepth: 2, stringUnit: wildString.filter((s) => s.length === 1) }),
          wildString,
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        ),
        (value) => {
          const text = pyJsonDumps(value);
          expect(JSON.parse(text)).toEqual(value);
        },
      ),
      runs(500),
    );
  });

  it("writes Python's separators and escapes, so dumping the parsed text again gives the same text", () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue, wildString), (value) => {
        const text = pyJsonDumps(value);
        expect(pyJsonDumps(JSON.parse(text))).toBe(text);
        // Python escapes only `"`, `\` and C0 controls; everything else, U+007F and surrogates included, is raw.
        const body = text.replace(/\\(?:["\\/bfnrt]|u00[01][0-9a-f])/g, "");
        // eslint-disable-next-line no-control-regex -- the control characters must never appear raw
        expect(body).not.toMatch(/[\u0000-\u001f]/);
      }),
      runs(300),
    );
  });

  /**
   * Samples whose expected output python3.11's `json.dumps(value, ensure_ascii=False)` computed offline; only the
   * SHA-256 of each output (of its UTF-16LE text, so lone surrogates count too) is pasted here. The tests rebuild
   * the same values from the same generator and compare. The script, to re-run after a change:
   *
   * ```python
   * import hashlib, json, math, struct
   * MASK = (1 << 64) - 1
   * def splitmix64(seed):
   *     state = seed & MASK
   *     while True:
   *         state = (state + 0x9E3779B97F4A7C15) & MASK
   *         z = state
   *         z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
   *         z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
   *         yield z ^ (z >> 31)
   * def as_js(x):  # a JavaScript number that is a safe integer (not -0) is what Python calls an int
   *     if math.isfinite(x) and x.is_integer() and abs(x) <= 2**53 - 1 and not (x == 0 and math.copysign(1, x) < 0):
   *         return int(x)
   *     return x
   * def bits_sample(n):
   *     g = splitmix64(1)
   *     return [as_js(struct.unpack("<d", struct.pack("<Q", next(g)))[0]) for _ in range(n)]
   * def decimal_sample(n):
   *     g = splitmix64(2)
   *     out = []
   *     for _ in range(n):
   *         r = next(g)
   *         digits = 1 + (r % 17)
   *         m = (r >> 8) % (10 ** digits)
   *         e = ((r >> 40) % 48) - 24
   *         out.append(as_js(float(f"{'-' if (r >> 63) else ''}{m}e{e}")))
   *     return out
   * def digest(s):
   *     return hashlib.sha256(s.encode("utf-16-le", "surrogatepass")).hexdigest()
   * print("bits", digest(json.dumps(bits_sample(4000), ensure_ascii=False)))
   * print("decimals", digest(json.dumps(decimal_sample(4000), ensure_ascii=False)))
   * print("codepoints", digest(json.dumps("".join(map(chr, range(0x110000))), ensure_ascii=False)))
   * ```
   */
  const PYTHON_SHA256 = {
    bits: "aee4c62304f0d3b15e71279a3ef52a6d62e75649c832cee3f73c31fcc7e0b796",
    decimals: "2afb0e70bd20f578d414825dd10b36661280627290b65d50041c02fb6d407d61",
    codepoints: "0a0450c5b4bc28e5a5a0bd33457d4435055fb293205b154bc1ea97379b1f104e",
  } as const;

  const MASK64 = (1n << 64n) - 1n;
  function splitmix64(seed: bigint): () => bigint {
    let state = seed & MASK64;
    return () => {
      state = (state + 0x9e3779b97f4a7c15n) & MASK64;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
  }

  const sha256Utf16 = (text: string): string =>
    createHash("sha256").update(Buffer.from(text, "utf16le")).digest("hex");

  it("matches python3 on 4000 doubles from random bit patterns (NaN, subnormals, huge, tiny)", () => {
    const next = splitmix64(1n);
    const view = new DataView(new ArrayBuffer(8));
    const values = Array.from({ length: 4000 }, () => {
      view.setBigUint64(0, next(), true);
      return view.getFloat64(0, true);
    });
    const text = pyJsonDumps(values);
    expect(text.startsWith("[-1.3813788577576056e-226, -1.3138410553162166e-05, ")).toBe(true);
    expect(sha256Utf16(text)).toBe(PYTHON_SHA256.bits);
  });

  it("matches python3 on 4000 decimals of 1 to 17 digits, exponents -24 to 23", () => {
    const next = splitmix64(2n);
    const values = Array.from({ length: 4000 }, () => {
      const r = next();
      const digits = 1n + (r % 17n);
      const m = (r >> 8n) % 10n ** digits;
      const e = ((r >> 40n) % 48n) - 24n;
      return Number(`${r >> 63n ? "-" : ""}${m}e${e}`);
    });
    const text = pyJsonDumps(values);
    expect(
      text.startsWith("[-4.2599709866235734e+29, -2.11e+17, -70630518590000, -681.839606, "),
    ).toBe(true);
    expect(sha256Utf16(text)).toBe(PYTHON_SHA256.decimals);
  });

  it("matches python3 on a string of every code point, U+0000 to U+10FFFF, surrogates included", () => {
    const units: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) units.push(String.fromCodePoint(cp));
    const text = pyJsonDumps(units.join(""));
    expect(text.startsWith('"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006')).toBe(true);
    expect(sha256Utf16(text)).toBe(PYTHON_SHA256.codepoints);
  });

  it("createMessage refuses exactly the JSON headers over 65535 bytes", () => {
    fc.assert(
      // An empty content-type gives an 88-byte header: padding of about 65450 bytes straddles the limit.
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat({ max: 100 }), (s, n) => {
        const contentType = s + "x".repeat(65400 + n);
        const json = headerJson({
          byteorder: "little",
          "content-type": contentType,
          "content-encoding": "e",
          "content-length": 0,
        });
        const make = () =>
          createMessage({
            content: Buffer.alloc(0),
            contentType,
            contentEncoding: "e",
            byteorder: "little",
          });
        if (json.length <= MAX_JSONHEADER_LENGTH) {
          expect(make().equals(Buffer.concat([u16(json.length), json]))).toBe(true);
        } else {
          let thrown: unknown = null;
          try {
            make();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(ProtocolError);
          expect(thrown instanceof ProtocolError ? thrown.code : null).toBe(
            "PROTOCOL_HEADER_TOO_LONG",
          );
        }
      }),
      runs(60),
    );
  });
});
