/**
 * Python's `repr()` and `str()` for the values the course's programs print.
 *
 * The transcripts are Python's output, so every value a demo prints goes through {@link repr} or
 * {@link str}. The rules, in the order they are tried:
 *
 * - an object with a `[reprSymbol]()` method supplies its own repr (sockets, `SelectorKey`, the
 *   Python-style exceptions);
 * - `Buffer` / `Uint8Array` print as `bytes`: `b'...'`, printable ASCII raw, `\\ \t \n \r` escaped,
 *   every other byte `\xNN` in lower case;
 * - strings print as `str`: non-printable characters (Unicode categories C* and Z* except the ASCII
 *   space) become `\xNN`, `\uNNNN` or `\UNNNNNNNN`; printable non-ASCII characters stay raw;
 * - both quote with `'`, unless the text holds `'` and no `"`: then with `"`. Inside `'...'` a `'`
 *   is written `\'`;
 * - an integral `number` prints as a Python `int` with exact digits (`1e20` →
 *   `100000000000000000000`), except `-0` → `-0.0`; any other number prints as a Python `float`
 *   (`0.30000000000000004`, `1e-05`, `inf`, `-inf`, `nan`); a `bigint` prints its digits;
 * - `true` / `false` → `True` / `False`; `null` / `undefined` → `None`;
 * - arrays print as tuples (`()`, `(1,)`, `('127.0.0.1', 65432)`), a `Set` as `{1, 2}` or `set()`,
 *   a `Map` or a plain object as a dict (`{'action': 'search'}`);
 * - a JavaScript `Error` prints as `Name('message')`, or `Name()` for an empty message;
 * - anything else prints as `<ClassName object>` (functions as `<function name>`).
 *
 * A container met again while it is still being printed prints as `(...)` (array), `{...}` (map
 * or object) or `set(...)` (set), as Python does for recursive containers.
 *
 * @example
 * ```ts
 * import { repr, str } from "./repr.ts";
 *
 * repr(Buffer.from("Hello, world")); // "b'Hello, world'"
 * repr(["127.0.0.1", 65432]); // "('127.0.0.1', 65432)"
 * repr({ result: "No match for 'neo'." }); // `{'result': "No match for 'neo'."}`
 * str(new Error("Peer closed.")); // "Peer closed."
 * ```
 *
 * @module
 */

/**
 * The key of the method through which an object supplies its own repr (Python's `__repr__`).
 * Registered with `Symbol.for`, so copies of this module loaded twice agree on it.
 */
export const reprSymbol: unique symbol = Symbol.for("selectors-ts.repr");

/**
 * An object that prints itself: {@link repr} returns what `[reprSymbol]()` returns.
 *
 * @example
 * ```ts
 * class SelectorKey implements Reprable {
 *   [reprSymbol](): string {
 *     return `SelectorKey(fileobj=${repr(this.fileobj)}, fd=${this.fd}, ...)`;
 *   }
 * }
 * ```
 */
export interface Reprable {
  /** Returns this object's Python repr, e.g. `<socket.socket fd=4, ...>`. */
  [reprSymbol](): string;
}

/**
 * Returns Python's `repr()` of `value`, following the rules in this module's comment.
 *
 * @throws {TypeError} when a `[reprSymbol]` method returns something other than a string (Python's
 *   `__repr__ returned non-string`).
 */
export function repr(value: unknown): string {
  return reprValue(value, new Set());
}

/**
 * The key of the method through which an object supplies its own `str()` (Python's `__str__`), where it differs
 * from its repr: an `IntEnum` member's `str()` is its number (Python 3.11). Registered with `Symbol.for`.
 */
export const strSymbol: unique symbol = Symbol.for("selectors-ts.str");

/**
 * Returns Python's `str()` of `value`: a string as it is, an `Error`'s `message` (our Python-style
 * exceptions keep Python's `str(e)` there), what a `[strSymbol]()` method returns, and {@link repr} of anything
 * else.
 *
 * @throws {TypeError} as {@link repr} does.
 */
export function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  if (typeof value === "object" && value !== null) {
    const method: unknown = Reflect.get(value, strSymbol);
    if (typeof method === "function") return String(Reflect.apply(method, value, []));
  }
  return repr(value);
}

/** The escapes with a name, shared by bytes and str; other non-printable characters are `\xNN`. */
const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
  "'": "\\'",
};

/**
 * What a str repr must escape when it is quoted with `'` / with `"`: a backslash, the quote, and
 * every non-printable character: categories Other (Cc, Cf, Cs, Co, Cn) and Separator (Zs, Zl, Zp)
 * except the space. In `u` mode a lone surrogate matches as one code point of category Cs.
 * Printability follows the Unicode version of the running engine (see `process.versions.unicode`).
 */
const STR_ESCAPE_IN_SINGLE = /[\\']|(?! )[\p{C}\p{Z}]/gu;
const STR_ESCAPE_IN_DOUBLE = /\\|(?! )[\p{C}\p{Z}]/gu;

/** How each of the 256 byte values prints inside `b'...'`: `'` is escaped. */
const BYTES_IN_SINGLE: readonly string[] = Array.from({ length: 0x100 }, (_, byte) => {
  const char = String.fromCharCode(byte);
  return NAMED_ESCAPES[char] ?? (byte >= 0x20 && byte < 0x7f ? char : hexEscape(byte));
});
/** How each of the 256 byte values prints inside `b"..."`: `'` is raw (`"` never occurs there). */
const BYTES_IN_DOUBLE: readonly string[] = BYTES_IN_SINGLE.map((escaped) =>
  escaped === "\\'" ? "'" : escaped,
);
const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;

function reprValue(value: unknown, active: Set<object>): string {
  switch (typeof value) {
    case "string":
      return reprString(value);
    case "number":
      return reprNumber(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "True" : "False";
    case "undefined":
      return "None";
    case "symbol":
      return value.toString();
    case "function":
      return ownRepr(value) ?? `<function ${value.name || "<anonymous>"}>`;
    case "object":
      return value === null ? "None" : reprObject(value, active);
  }
}

function reprObject(value: object, active: Set<object>): string {
  const own = ownRepr(value);
  if (own !== undefined) return own;
  if (value instanceof Uint8Array) return reprBytes(value);
  if (value instanceof Error) return reprError(value);
  if (Array.isArray(value)) {
    return nested(value, active, "(...)", () => {
      const items = value.map((item: unknown) => reprValue(item, active));
      return items.length === 1 ? `(${items[0] ?? ""},)` : `(${items.join(", ")})`;
    });
  }
  if (value instanceof Set) {
    return nested(value, active, "set(...)", () => {
      if (value.size === 0) return "set()";
      const items = Array.from(value, (item: unknown) => reprValue(item, active));
      return `{${items.join(", ")}}`;
    });
  }
  if (value instanceof Map) {
    return nested(value, active, "{...}", () =>
      reprDict(value.entries(), active, (key) => reprValue(key, active)),
    );
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return nested(value, active, "{...}", () =>
      reprDict(Object.entries(value), active, reprString),
    );
  }
  return `<${className(value)} object>`;
}

/** Returns what `value[reprSymbol]()` returns, or `undefined` when `value` has no such method. */
function ownRepr(value: object): string | undefined {
  const method: unknown = Reflect.get(value, reprSymbol);
  if (typeof method !== "function") return undefined;
  const result: unknown = Reflect.apply(method, value, []);
  if (typeof result !== "string") {
    throw new TypeError(`__repr__ returned non-string (type ${typeof result})`);
  }
  return result;
}

/** Prints `container` with `print`, or `recursive` when it is already being printed. */
function nested(
  container: object,
  active: Set<object>,
  recursive: string,
  print: () => string,
): string {
  if (active.has(container)) return recursive;
  active.add(container);
  try {
    return print();
  } finally {
    active.delete(container);
  }
}

function reprDict<K>(
  entries: Iterable<readonly [K, unknown]>,
  active: Set<object>,
  reprKey: (key: K) => string,
): string {
  const items: string[] = [];
  for (const [key, item] of entries) items.push(`${reprKey(key)}: ${reprValue(item, active)}`);
  return `{${items.join(", ")}}`;
}

function reprError(error: Error): string {
  return error.message === "" ? `${error.name}()` : `${error.name}(${reprString(error.message)})`;
}

function className(value: object): string {
  const ctor: unknown = Reflect.get(value, "constructor");
  return typeof ctor === "function" && ctor.name !== "" ? ctor.name : "object";
}

function reprNumber(value: number): string {
  if (Number.isInteger(value)) return Object.is(value, -0) ? "-0.0" : BigInt(value).toString();
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  // JavaScript and Python both print the shortest digits that round-trip; only the layout differs.
  // Python uses the exponent form when the decimal exponent is < -4 or >= 16, with a sign and at
  // least two exponent digits; otherwise the fixed form, which is what String() gives there
  // (JavaScript switches to exponents only below 1e-6 and from 1e21). A non-integral double is
  // below 2**52, so in practice only the small end (e.g. 1e-05) takes the exponent form here.
  const [mantissa = "", exponentText = ""] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) return String(value);
  const sign = exponent < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

function reprString(text: string): string {
  if (text.includes("'") && !text.includes('"')) {
    return `"${text.replace(STR_ESCAPE_IN_DOUBLE, escapeChar)}"`;
  }
  return `'${text.replace(STR_ESCAPE_IN_SINGLE, escapeChar)}'`;
}

/** Escapes one character (a code point, or a lone surrogate) matched by `STR_ESCAPE_IN_*`. */
function escapeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return NAMED_ESCAPES[char] ?? hexEscape(code);
}

function hexEscape(code: number): string {
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, "0")}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, "0")}`;
  return `\\U${hex.padStart(8, "0")}`;
}

function reprBytes(bytes: Uint8Array): string {
  const double = bytes.includes(QUOTE) && !bytes.includes(DOUBLE_QUOTE);
  const table = double ? BYTES_IN_DOUBLE : BYTES_IN_SINGLE;
  let out = double ? 'b"' : "b'";
  for (const byte of bytes) out += table[byte] ?? "";
  return out + (double ? '"' : "'");
}

/**
 * Python's `repr()` of a value decoded from JSON (the course prints requests and responses with `{obj!r}`):
 * there an array is a `list`, `[1, 'a']`, not the tuple {@link repr} makes of arrays (`(1, 'a')`, as for
 * addresses); objects print as dicts of such values; anything else as {@link repr}.
 */
export function jsonRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item: unknown) => jsonRepr(item)).join(", ")}]`;
  if (
    typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const items = Object.entries(value).map(([key, item]) => `${repr(key)}: ${jsonRepr(item)}`);
    return `{${items.join(", ")}}`;
  }
  return repr(value);
}

/** Python's `str()` (an f-string's `{value}`) of a value decoded from JSON: a string as it is, else {@link jsonRepr}. */
export function jsonStr(value: unknown): string {
  return typeof value === "string" ? value : jsonRepr(value);
}

/**
 * A value decoded from JSON that prints, with {@link repr} or {@link str}, as {@link jsonRepr} does — formatted only
 * if it is printed, so a quiet printer pays nothing for it: `` log`Received request ${asJson(request)}` ``.
 */
export function asJson(value: unknown): Reprable {
  return new JsonValue(value);
}

class JsonValue implements Reprable {
  constructor(private readonly value: unknown) {}

  [reprSymbol](): string {
    return jsonRepr(this.value);
  }
}
