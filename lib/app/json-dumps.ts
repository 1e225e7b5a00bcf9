/**
 * Python's `json.dumps(value, ensure_ascii=False)` with its default separators, to the character: what the
 * course's `libclient.py` and `libserver.py` put in every JSON header and JSON content. The rules are CPython's
 * (`Lib/json/encoder.py`): `"`, `\\` and C0 controls escaped, everything else raw; floats as Python's `repr`;
 * keys in insertion order; `TypeError: Object of type X is not JSON serializable` for what JSON cannot hold.
 * @module
 */

/** Python's `ESCAPE_DCT` for the two-character escapes; other code points below 0x20 become `\u00XX`. */
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

// eslint-disable-next-line no-control-regex -- the control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/g;

function escapeChar(ch: string): string {
  return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Python's `json.encoder.py_encode_basestring`: `"`, `\` and C0 controls escaped, everything else raw. */
export function pyJsonString(s: string): string {
  return `"${s.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

/**
 * Python's `repr(float)` ("short" float repr style): the shortest digits that round-trip (the same digits
 * JavaScript picks), in positional notation with at least one fractional digit when the decimal exponent is in
 * `[-4, 16)`, otherwise in scientific notation with a signed exponent of at least two digits.
 */
function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits: "d.ddde+N".
  const [mantissa = "", exponent = ""] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const head = digits.length > 1 ? `${digits.slice(0, 1)}.${digits.slice(1)}` : digits;
    const magnitude = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${head}e${exp < 0 ? "-" : "+"}${magnitude}`;
  }
  const point = exp + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A number as Python would print it in JSON: a safe integer as an `int` (`41`), anything else as a `float`
 * (`0.1`, `1e-05`, `1e+16`, `-0.0`, `NaN`, `Infinity`). JavaScript has one number type, so integral values beyond
 * 2^53 - 1 (which a JavaScript program can only hold approximately) are taken to be floats.
 */
function pyJsonNumber(x: number): string {
  return Number.isSafeInteger(x) && !Object.is(x, -0) ? String(x) : pyFloatRepr(x);
}

/** A value's type as JavaScript names it (`null`, `bigint`, a class's name), for the not-serializable error. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (typeof proto === "object" && proto !== null && Object.hasOwn(proto, "constructor")) {
    const ctor: unknown = Reflect.get(proto, "constructor");
    if (typeof ctor === "function" && ctor.name !== "") return ctor.name;
  }
  return "object";
}

function notSerializable(value: unknown): TypeError {
  return new TypeError(`Object of type ${typeName(value)} is not JSON serializable`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function dumpValue(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case "string":
      return pyJsonString(value);
    case "number":
      return pyJsonNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    case "bigint":
    case "symbol":
    case "function":
    case "undefined":
      throw notSerializable(value);
  }
  if (value === null) return "null";
  if (!Array.isArray(value) && !isPlainObject(value)) throw notSerializable(value);
  if (ancestors.has(value)) throw new TypeError("Circular reference detected");
  ancestors.add(value);
  let text: string;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value as readonly unknown[]) items.push(dumpValue(item, ancestors));
    text = `[${items.join(", ")}]`;
  } else {
    const items: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue; // an absent optional property, as JSON.stringify treats it
      items.push(`${pyJsonString(key)}: ${dumpValue(item, ancestors)}`);
    }
    text = `{${items.join(", ")}}`;
  }
  ancestors.delete(value);
  return text;
}

/**
 * Exactly Python's `json.dumps(value, ensure_ascii=False)`: `", "` between items, `": "` after keys; in strings
 * `"` `\` `\n` `\r` `\t` `\b` `\f` escaped, other code points below U+0020 as `\u00xx` (lower-case hex), every
 * other code point raw (non-ASCII, U+2028, U+007F, and lone surrogates too, as Python writes them); numbers as
 * Python prints them (see `pyJsonNumber` above: safe integers as ints, the rest in Python's float repr, `NaN`,
 * `Infinity`, `-Infinity`); `true`, `false`, `null`; arrays; plain objects in their key order.
 *
 * Where JavaScript and Python differ: object properties whose value is `undefined` are left out (they are
 * JavaScript's absent optional properties); an object's integer-like keys come first in JavaScript's own key
 * order, whatever order they were inserted in.
 *
 * @throws TypeError `Object of type X is not JSON serializable` for a bigint, symbol, function, `undefined` (at the
 *   top level or in an array) or any object that is neither an array nor a plain object (`Map`, `Date`,
 *   `Buffer`, class instances); `Circular reference detected` for a value that contains itself.
 */
export function pyJsonDumps(value: unknown): string {
  return dumpValue(value, new Set());
}

// ---------------------------------------------------------------------------------------------------------------
// _json_encode / _json_decode
// ---------------------------------------------------------------------------------------------------------------
