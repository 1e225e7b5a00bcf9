// Expected strings come from CPython 3.11 (`python3 -c "print(repr(...))"`), pasted as they printed.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Reprable, repr, reprSymbol, str } from "../lib/python/repr.ts";

interface Case {
  readonly value: unknown;
  readonly expected: string;
}

const fixture = (path: string): Buffer =>
  readFileSync(new URL(`fixtures/${path}`, import.meta.url));

/** The JSON content of a course message: 2-byte header length, JSON header, content. */
function jsonContent(message: Buffer): unknown {
  const headerEnd = 2 + message.readUInt16BE(0);
  const header: unknown = JSON.parse(message.subarray(2, headerEnd).toString("utf8"));
  expect(header).toMatchObject({ "content-type": "text/json" });
  return JSON.parse(message.subarray(headerEnd).toString("utf8"));
}

/** A course message as the protocol frames it (the header JSON is given as Python dumps it). */
function message(header: string, content: string): Buffer {
  const headerBytes = Buffer.from(header, "utf8");
  const frame = Buffer.alloc(2 + headerBytes.length);
  frame.writeUInt16BE(headerBytes.length, 0);
  headerBytes.copy(frame, 2);
  return Buffer.concat([frame, Buffer.from(content, "utf8")]);
}

const jsonHeader = (length: number): string =>
  `{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": ${length}}`;

describe("reprSymbol", () => {
  it("is the registered symbol selectors-ts.repr", () => {
    expect(reprSymbol).toBe(Symbol.for("selectors-ts.repr"));
    expect(typeof reprSymbol).toBe("symbol");
  });
});

describe("repr of bytes", () => {
  it.each<Case>([
    { value: Buffer.from("Hello, world"), expected: "b'Hello, world'" },
    { value: Buffer.from("it's"), expected: `b"it's"` },
    { value: Buffer.from('say "hi"'), expected: `b'say "hi"'` },
    { value: Buffer.from(`both ' and "`), expected: String.raw`b'both \' and "'` },
    { value: Buffer.from([0x27]), expected: `b"'"` },
    { value: Buffer.from([0x22]), expected: `b'"'` },
    { value: Buffer.from([0x27, 0x22]), expected: String.raw`b'\'"'` },
    { value: Buffer.from("\\"), expected: String.raw`b'\\'` },
    { value: Buffer.from("a\tb\nc\rd"), expected: String.raw`b'a\tb\nc\rd'` },
    { value: Buffer.from("café"), expected: String.raw`b'caf\xc3\xa9'` },
    { value: Buffer.from([0x0b, 0x7f]), expected: String.raw`b'\x0b\x7f'` },
    {
      value: Buffer.from([0x00, 0x1f, 0x20, 0x7e, 0x80, 0xff]),
      expected: String.raw`b'\x00\x1f ~\x80\xff'`,
    },
    { value: Buffer.alloc(0), expected: "b''" },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });

  it("prints all 256 byte values as Python does", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(repr(all)).toBe(
      String.raw`b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_` +
        "`" +
        String.raw`abcdefghijklmnopqrstuvwxyz{|}~\x7f\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee\xef\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff'`,
    );
  });

  it("chooses the quote for each single byte by the rule", () => {
    for (let byte = 0; byte < 256; byte++) {
      const text = repr(Buffer.from([byte]));
      expect(text.slice(0, 2)).toBe(byte === 0x27 ? 'b"' : "b'");
      expect(text.at(-1)).toBe(byte === 0x27 ? '"' : "'");
      const body = text.slice(2, -1);
      if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c)
        expect(body).toBe(String.fromCharCode(byte));
      else expect(body).toMatch(/^\\(x[0-9a-f]{2}|[tnr\\])$/);
    }
  });

  it("prints a Uint8Array view's own bytes only", () => {
    const backing = Uint8Array.from([0x41, 0x0a, 0x42, 0x27, 0x43]);
    expect(repr(backing.subarray(1, 4))).toBe(`b"\\nB'"`);
    expect(repr(Buffer.from(backing.buffer, 2, 1))).toBe("b'B'");
  });

  it.each([
    {
      vector: "search-morpheus.req",
      expected: String.raw`b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}{"action": "search", "value": "morpheus"}'`,
    },
    {
      vector: "search-morpheus.res",
      expected: String.raw`b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Follow the white rabbit. \xf0\x9f\x90\xb0"}'`,
    },
    {
      vector: "search-dog.res",
      expected: String.raw`b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37}{"result": "\xf0\x9f\x90\xbe Playing ball! \xf0\x9f\x8f\x90"}'`,
    },
    {
      vector: "bad-action.res",
      expected: String.raw`b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Error: invalid action \'find\'."}'`,
    },
    {
      vector: "search-miss.req",
      expected: String.raw`b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 48}{"action": "search", "value": "neo \\"the one\\""}'`,
    },
    {
      vector: "binary.req",
      expected: String.raw`b'\x00\x7f{"byteorder": "little", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": 18}double\xf0\x9f\x90\xb6 trouble'`,
    },
    {
      vector: "binary.res",
      expected: String.raw`b'\x00\x7f{"byteorder": "little", "content-type": "binary/custom-server-binary-type", "content-encoding": "binary", "content-length": 37}First 10 bytes of request: double\xf0\x9f\x90\xb6'`,
    },
  ])("prints the wire vector $vector as Python does", ({ vector, expected }) => {
    expect(repr(fixture(`vectors/${vector}`))).toBe(expected);
  });
});

describe("repr of str", () => {
  it.each<Case>([
    { value: "morpheus", expected: "'morpheus'" },
    { value: "", expected: "''" },
    { value: " ", expected: "' '" },
    { value: "tab\there", expected: String.raw`'tab\there'` },
    { value: "a\\b", expected: String.raw`'a\\b'` },
    { value: "line\r\n", expected: String.raw`'line\r\n'` },
    { value: "it's", expected: `"it's"` },
    { value: 'say "hi"', expected: `'say "hi"'` },
    { value: `both ' and "`, expected: String.raw`'both \' and "'` },
    { value: "'", expected: `"'"` },
    { value: '"', expected: `'"'` },
    { value: "\\", expected: String.raw`'\\'` },
    { value: "No match for 'neo'.", expected: `"No match for 'neo'."` },
    {
      value: `No match for 'neo "the one"'.`,
      expected: String.raw`'No match for \'neo "the one"\'.'`,
    },
    // printable non-ASCII stays raw, iterated by code point
    { value: "café 🐰", expected: "'café 🐰'" },
    { value: "🐶 Playing ball! 🏐", expected: "'🐶 Playing ball! 🏐'" },
    { value: "naïve Ωμέγα 日本語 👍🏽", expected: "'naïve Ωμέγα 日本語 👍🏽'" },
    { value: "ＡＢ", expected: "'ＡＢ'" },
    { value: "\u0301e\u0301", expected: "'\u0301e\u0301'" },
    // non-printable: Cc, Cf, Cs, Co, Cn, Zs, Zl, Zp
    { value: "\x01", expected: String.raw`'\x01'` },
    { value: "\x00\x7f\x85\xad", expected: String.raw`'\x00\x7f\x85\xad'` },
    { value: "\u200b", expected: String.raw`'\u200b'` },
    { value: "\u2028\xa0", expected: String.raw`'\u2028\xa0'` },
    { value: "\u2029", expected: String.raw`'\u2029'` },
    { value: "\u3000", expected: String.raw`'\u3000'` },
    { value: "\ufeff", expected: String.raw`'\ufeff'` },
    { value: "\u0378", expected: String.raw`'\u0378'` },
    { value: "\ue000", expected: String.raw`'\ue000'` },
    { value: "\u{f0000}", expected: String.raw`'\U000f0000'` },
    { value: "\u{1d173}", expected: String.raw`'\U0001d173'` },
    { value: "\u{e0001}", expected: String.raw`'\U000e0001'` },
    { value: "\u{10ffff}", expected: String.raw`'\U0010ffff'` },
    // lone surrogates, including a low one before a high one
    { value: "\udc00\ud800", expected: String.raw`'\udc00\ud800'` },
    { value: "x\udfffy", expected: String.raw`'x\udfffy'` },
    { value: "\ud83d", expected: String.raw`'\ud83d'` },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });

  it("prints U+0000..U+00FF as Python does", () => {
    const latin1 = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expect(repr(latin1)).toBe(
      String.raw`'\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_` +
        "`" +
        String.raw`abcdefghijklmnopqrstuvwxyz{|}~\x7f\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0¡¢£¤¥¦§¨©ª«¬\xad®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ'`,
    );
  });

  it("escapes exactly Python's non-printable code points in U+0100..U+07FF", () => {
    // From CPython 3.11: the ranges where not chr(cp).isprintable(), for cp < 0x800.
    const nonPrintable = [
      [0x378, 0x379], [0x380, 0x383], [0x38b, 0x38b], [0x38d, 0x38d], [0x3a2, 0x3a2],
      [0x530, 0x530], [0x557, 0x558], [0x58b, 0x58c], [0x590, 0x590], [0x5c8, 0x5cf],
      [0x5eb, 0x5ee], [0x5f5, 0x605], [0x61c, 0x61c], [0x6dd, 0x6dd], [0x70e, 0x70f],
      [0x74b, 0x74c], [0x7b2, 0x7bf], [0x7fb, 0x7fc],
    ] as const; // prettier-ignore
    let text = "";
    let expected = "";
    let escapes = 0;
    for (let cp = 0x100; cp < 0x800; cp++) {
      const char = String.fromCodePoint(cp);
      text += char;
      if (nonPrintable.some(([first, last]) => cp >= first && cp <= last)) {
        expected += `\\u0${cp.toString(16)}`;
        escapes++;
      } else {
        expected += char;
      }
    }
    expect(escapes).toBe(66);
    expect(repr(text)).toBe(`'${expected}'`);
  });
});

describe("repr of numbers", () => {
  it.each<Case>([
    { value: 0, expected: "0" },
    { value: 1, expected: "1" },
    { value: -5, expected: "-5" },
    { value: 65432, expected: "65432" },
    { value: 2 ** 53, expected: "9007199254740992" },
    { value: 2 ** 53 + 2, expected: "9007199254740994" },
    { value: 1e16, expected: "10000000000000000" },
    { value: 1e20, expected: "100000000000000000000" },
    { value: -1e21, expected: "-1000000000000000000000" },
    {
      value: 1e300,
      expected:
        "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160",
    },
    {
      value: Number.MAX_VALUE,
      expected:
        "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368",
    },
    { value: 0n, expected: "0" },
    { value: -5n, expected: "-5" },
    { value: 10n ** 30n, expected: "1000000000000000000000000000000" },
  ])("int $expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });

  it.each<Case>([
    { value: -0, expected: "-0.0" },
    { value: 0.1 + 0.2, expected: "0.30000000000000004" },
    { value: 0.1 + 0.7, expected: "0.7999999999999999" },
    { value: 0.1, expected: "0.1" },
    { value: -0.5, expected: "-0.5" },
    { value: 1 / 3, expected: "0.3333333333333333" },
    { value: 2 / 3, expected: "0.6666666666666666" },
    { value: 123.456, expected: "123.456" },
    { value: 123456789.123, expected: "123456789.123" },
    { value: 1234567890123456.5, expected: "1234567890123456.5" },
    { value: 4503599627370495.5, expected: "4503599627370495.5" },
    { value: 0.0001, expected: "0.0001" },
    { value: 0.00012345, expected: "0.00012345" },
    { value: 9.999999999999999e-5, expected: "9.999999999999999e-05" },
    { value: 9.5e-5, expected: "9.5e-05" },
    { value: 1e-5, expected: "1e-05" },
    { value: -1e-5, expected: "-1e-05" },
    { value: 2.5e-5, expected: "2.5e-05" },
    { value: 1e-7, expected: "1e-07" },
    { value: 1.5e-300, expected: "1.5e-300" },
    { value: 2.2250738585072014e-308, expected: "2.2250738585072014e-308" },
    { value: Number.MIN_VALUE, expected: "5e-324" },
    { value: Infinity, expected: "inf" },
    { value: -Infinity, expected: "-inf" },
    { value: NaN, expected: "nan" },
  ])("float $expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });
});

describe("repr of None, True, False", () => {
  it.each<Case>([
    { value: null, expected: "None" },
    { value: undefined, expected: "None" },
    { value: true, expected: "True" },
    { value: false, expected: "False" },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });
});

describe("repr of containers", () => {
  it.each<Case>([
    { value: [], expected: "()" },
    { value: [1], expected: "(1,)" },
    { value: ["a"], expected: "('a',)" },
    { value: [[]], expected: "((),)" },
    { value: [1, 2], expected: "(1, 2)" },
    { value: [1, "a"], expected: "(1, 'a')" },
    { value: ["127.0.0.1", 65432] as const, expected: "('127.0.0.1', 65432)" },
    { value: ["::1", 65432, 0, 0] as const, expected: "('::1', 65432, 0, 0)" },
    { value: new Set(), expected: "set()" },
    { value: new Set([1]), expected: "{1}" },
    { value: new Set([1, 2]), expected: "{1, 2}" },
    { value: new Set(["b"]), expected: "{'b'}" },
    { value: {}, expected: "{}" },
    { value: new Map(), expected: "{}" },
    { value: { a: 1, b: Buffer.from("x") }, expected: "{'a': 1, 'b': b'x'}" },
    {
      value: { action: "search", value: "morpheus" },
      expected: "{'action': 'search', 'value': 'morpheus'}",
    },
    { value: { result: "No match for 'neo'." }, expected: `{'result': "No match for 'neo'."}` },
    { value: { "it's": "x" }, expected: `{"it's": 'x'}` },
    { value: { missing: undefined }, expected: "{'missing': None}" },
    {
      value: Object.assign(Object.create(null) as object, { fd: 4 }),
      expected: "{'fd': 4}",
    },
    {
      value: new Map<unknown, unknown>([
        [["127.0.0.1", 5], "x"],
        [1, Buffer.from("it's")],
        [null, [[]]],
      ]),
      expected: `{('127.0.0.1', 5): 'x', 1: b"it's", None: ((),)}`,
    },
    { value: [{ a: 1 }, new Set(["b"]), new Set()], expected: "({'a': 1}, {'b'}, set())" },
    {
      value: {
        addr: ["127.0.0.1", 5],
        inb: Buffer.alloc(0),
        outb: Buffer.from("x"),
        n: null,
        ok: true,
        no: false,
        f: 0.5,
        t: [1, [2]],
        s: new Set([1]),
        d: {},
      },
      expected:
        "{'addr': ('127.0.0.1', 5), 'inb': b'', 'outb': b'x', 'n': None, 'ok': True, 'no': False, 'f': 0.5, 't': (1, (2,)), 's': {1}, 'd': {}}",
    },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });

  it("prints a shared, non-recursive element in full each time", () => {
    const inner = [1];
    const shared = { k: "v" };
    expect(repr([inner, inner, shared, shared])).toBe("((1,), (1,), {'k': 'v'}, {'k': 'v'})");
  });
});

describe("repr of recursive containers", () => {
  it("prints an array inside itself as (...)", () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(repr(list)).toBe("(1, (...))");
  });

  it("prints an object inside itself as {...}", () => {
    const dict: Record<string, unknown> = {};
    dict["x"] = dict;
    expect(repr(dict)).toBe("{'x': {...}}");
  });

  it("prints a Map inside itself as {...}", () => {
    const map = new Map<string, unknown>([["a", 1]]);
    map.set("self", map);
    expect(repr(map)).toBe("{'a': 1, 'self': {...}}");
  });

  it("prints a Set inside itself as set(...)", () => {
    const set = new Set<unknown>([1]);
    set.add(set);
    expect(repr(set)).toBe("{1, set(...)}");
  });

  it("prints a cycle through several containers at the container met again", () => {
    const list: unknown[] = [];
    const dict = { back: list, other: [2] };
    list.push(dict);
    expect(repr(list)).toBe("({'back': (...), 'other': (2,)},)");
    expect(repr(dict)).toBe("{'back': ({...},), 'other': (2,)}");
  });
});

class Namespace implements Reprable {
  constructor(
    readonly addr: readonly [string, number],
    readonly inb: Buffer,
  ) {}

  [reprSymbol](): string {
    return `namespace(addr=${repr(this.addr)}, inb=${repr(this.inb)})`;
  }
}

/** A Python-style exception: repr is the args tuple, message is Python's str(e). */
class ValueError extends Error implements Reprable {
  override readonly name = "ValueError";
  readonly args: readonly unknown[];

  constructor(...args: unknown[]) {
    super(args.length === 1 ? str(args[0]) : args.length === 0 ? "" : repr(args));
    this.args = args;
  }

  [reprSymbol](): string {
    return this.args.length === 1
      ? `ValueError(${repr(this.args[0])})`
      : `ValueError${repr(this.args)}`;
  }
}

describe("repr through reprSymbol", () => {
  it("uses the object's own repr, also inside containers", () => {
    const ns = new Namespace(["127.0.0.1", 5], Buffer.alloc(0));
    expect(repr(ns)).toBe("namespace(addr=('127.0.0.1', 5), inb=b'')");
    expect(repr([ns])).toBe("(namespace(addr=('127.0.0.1', 5), inb=b''),)");
    expect(repr(new Map([[1, ns]]))).toBe("{1: namespace(addr=('127.0.0.1', 5), inb=b'')}");
  });

  it("takes precedence over the Error, array, bytes and dict rules", () => {
    expect(repr(new ValueError("a", 2))).toBe("ValueError('a', 2)");
    expect(repr(new ValueError("m"))).toBe("ValueError('m')");
    expect(repr(new ValueError())).toBe("ValueError()");
    expect(repr(new ValueError("it's"))).toBe(`ValueError("it's")`);
    expect(repr(Object.assign([1, 2], { [reprSymbol]: () => "<array>" }))).toBe("<array>");
    expect(repr(Object.assign(Buffer.from("x"), { [reprSymbol]: () => "<buf>" }))).toBe("<buf>");
    expect(repr({ a: 1, [reprSymbol]: () => "<dict>" })).toBe("<dict>");
  });

  it("applies to functions too", () => {
    const handler = Object.assign(() => 0, { [reprSymbol]: () => "<bound method accept_wrapper>" });
    expect(repr(handler)).toBe("<bound method accept_wrapper>");
  });

  it("ignores a non-function reprSymbol property", () => {
    expect(repr({ [reprSymbol]: "not a method", a: 1 })).toBe("{'a': 1}");
  });

  it("rejects a non-string result as Python does", () => {
    const bad = { [reprSymbol]: () => 42 };
    expect(() => repr(bad)).toThrow(TypeError);
    expect(() => repr([bad])).toThrow("__repr__ returned non-string (type number)");
  });
});

describe("repr of JavaScript errors", () => {
  it.each<Case>([
    {
      value: new TypeError("unsupported operand type(s) for &: 'float' and 'int'"),
      expected: `TypeError("unsupported operand type(s) for &: 'float' and 'int'")`,
    },
    { value: new RangeError("bad"), expected: "RangeError('bad')" },
    { value: new Error("Peer closed."), expected: "Error('Peer closed.')" },
    { value: new Error("a\nb"), expected: String.raw`Error('a\nb')` },
    { value: new Error(""), expected: "Error()" },
    { value: new Error(), expected: "Error()" },
    {
      value: Object.assign(new Error("Selector is closed"), { name: "RuntimeError" }),
      expected: "RuntimeError('Selector is closed')",
    },
    { value: [new Error("x")], expected: "(Error('x'),)" },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });
});

describe("repr of other values", () => {
  class Socketish {
    readonly fd = 4;
  }

  it.each<Case>([
    { value: new Socketish(), expected: "<Socketish object>" },
    { value: new Date(0), expected: "<Date object>" },
    { value: new Uint16Array(2), expected: "<Uint16Array object>" },
    { value: Object.create(Object.create(null) as object) as object, expected: "<object object>" },
    {
      value: function accept_wrapper() {
        return 0;
      },
      expected: "<function accept_wrapper>",
    },
    { value: Symbol("x"), expected: "Symbol(x)" },
  ])("$expected", ({ value, expected }) => {
    expect(repr(value)).toBe(expected);
  });

  it("names an anonymous function <anonymous>", () => {
    const functions: unknown[] = [() => 0];
    expect(repr(functions[0])).toBe("<function <anonymous>>");
  });
});

describe("str", () => {
  it.each<Case>([
    { value: "it's", expected: "it's" },
    { value: "tab\there 🐰", expected: "tab\there 🐰" },
    { value: "", expected: "" },
    { value: new Error("Peer closed."), expected: "Peer closed." },
    { value: new Error(""), expected: "" },
    { value: new ValueError("a", 2), expected: "('a', 2)" },
    { value: Buffer.from("Hello"), expected: "b'Hello'" },
    { value: ["127.0.0.1", 7021], expected: "('127.0.0.1', 7021)" },
    { value: { result: "x" }, expected: "{'result': 'x'}" },
    { value: 1.5, expected: "1.5" },
    { value: 1e-5, expected: "1e-05" },
    { value: -0, expected: "-0.0" },
    { value: 10, expected: "10" },
    { value: null, expected: "None" },
    { value: true, expected: "True" },
    {
      value: new Namespace(["::1", 1], Buffer.from("'")),
      expected: `namespace(addr=('::1', 1), inb=b"'")`,
    },
  ])("$expected", ({ value, expected }) => {
    expect(str(value)).toBe(expected);
  });
});

describe("the transcripts' lines", () => {
  const server = ["127.0.0.1", 7021] as const;
  const lines: readonly { file: string; line: string }[] = [
    {
      file: "app-server.txt",
      line: `Received request ${repr(jsonContent(fixture("vectors/search-morpheus.req")))} from ${repr(["127.0.0.1", 36200])}`,
    },
    {
      file: "app-server.txt",
      line: `Sending ${repr(fixture("vectors/search-morpheus.res"))} to ${repr(["127.0.0.1", 36200])}`,
    },
    {
      file: "app-server.txt",
      line: `Received request ${repr(jsonContent(fixture("vectors/search-dog.req")))} from ${repr(["127.0.0.1", 36202])}`,
    },
    {
      file: "app-server.txt",
      line: `Sending ${repr(message(jsonHeader(33), `{"result": "No match for 'neo'."}`))} to ${repr(["127.0.0.1", 36204])}`,
    },
    {
      file: "app-server.txt",
      line: `Received request ${repr({ action: "search", value: "neo" })} from ${repr(["127.0.0.1", 36204])}`,
    },
    {
      file: "app-client-search-morpheus.txt",
      line: `Sending ${repr(fixture("vectors/search-morpheus.req"))} to ${repr(server)}`,
    },
    {
      file: "app-client-search-morpheus.txt",
      line: `Received response ${repr(jsonContent(fixture("vectors/search-morpheus.res")))} from ${repr(server)}`,
    },
    {
      file: "app-client-search-morpheus.txt",
      line: `Got result: ${str("Follow the white rabbit. 🐰")}`,
    },
    {
      file: "app-client-binary.txt",
      line: `Got response: ${repr(Buffer.from("First 10 bytes of request: findx"))}`,
    },
    { file: "echo-client.txt", line: `Received ${repr(Buffer.from("Hello, world"))}` },
    { file: "echo-server.txt", line: `Connected by ${repr(["127.0.0.1", 49170])}` },
    {
      file: "multiconn-client.txt",
      line: `Received ${repr(Buffer.from("Message 1 from client.Message 2 from client."))} from connection 1`,
    },
  ];

  it("rebuilds them exactly", () => {
    expect(lines.map(({ line }) => line)).toEqual([
      "Received request {'action': 'search', 'value': 'morpheus'} from ('127.0.0.1', 36200)",
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Follow the white rabbit. \xf0\x9f\x90\xb0"}' to ('127.0.0.1', 36200)`,
      "Received request {'action': 'search', 'value': '🐶'} from ('127.0.0.1', 36202)",
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 33}{"result": "No match for \'neo\'."}' to ('127.0.0.1', 36204)`,
      "Received request {'action': 'search', 'value': 'neo'} from ('127.0.0.1', 36204)",
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}{"action": "search", "value": "morpheus"}' to ('127.0.0.1', 7021)`,
      "Received response {'result': 'Follow the white rabbit. 🐰'} from ('127.0.0.1', 7021)",
      "Got result: Follow the white rabbit. 🐰",
      "Got response: b'First 10 bytes of request: findx'",
      "Received b'Hello, world'",
      "Connected by ('127.0.0.1', 49170)",
      "Received b'Message 1 from client.Message 2 from client.' from connection 1",
    ]);
  });

  it.each(lines)("finds $line in $file", ({ file, line }) => {
    expect(fixture(`transcripts/${file}`).toString("utf8").split("\n")).toContain(line);
  });

  it("prints the dict decoded from a miss response with both quotes", () => {
    expect(repr(jsonContent(fixture("vectors/search-miss.res")))).toBe(
      String.raw`{'result': 'No match for \'neo "the one"\'.'}`,
    );
  });
});
