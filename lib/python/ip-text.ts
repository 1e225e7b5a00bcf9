/**
 * IP addresses as text, parsed and written as glibc does (for `inet_aton`/`inet_pton`/`inet_ntop` and the
 * numeric hosts of `getaddrinfo()`):
 * - {@link parseInetAton} takes one to four parts, each decimal, octal (`0` first) or hexadecimal (`0x`), the last
 *   filling the bytes left (`'127.1'` is `127.0.0.1`), and ignores anything after a space;
 * - {@link parseDottedQuad} and {@link parseIPv6} take the strict forms of `inet_pton` (no leading zeros, no zone);
 * - {@link formatIPv6} writes the longest run of two or more zero groups as `::` (the first of equal runs), in
 *   lower case, and the last 32 bits as a dotted quad for `::a.b.c.d` and `::ffff:a.b.c.d`.
 * @module
 */
import { isIPv6 } from "node:net";

/** glibc's `inet_aton()`: the four bytes, or `null` when the text is no address. */
export function parseInetAton(text: string): Buffer | null {
  const head = text.split(/[ \t\n\v\f\r]/, 1)[0] ?? "";
  const parts = head.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(part)) value = parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = parseInt(part, 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = Number(part);
    else return null;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255)) return null;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  const out = Buffer.alloc(4);
  values.forEach((v, i) => (out[i] = v));
  out.writeUIntBE(last, values.length, lastBytes);
  return out;
}

/** A dotted quad, strict (inet_pton's form): the four bytes or `null`. */
export function parseDottedQuad(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  const bytes = m.slice(1).map((p) => (p.length > 1 && p.startsWith("0") ? 256 : Number(p)));
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** inet_pton(AF_INET6): the sixteen bytes or `null`. */
export function parseIPv6(text: string): Buffer | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const quad = parseDottedQuad(piece);
        if (quad === null) return null;
        out.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const words = [...head, ...Array<number>(8 - count).fill(0), ...tail];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  return out;
}

/** glibc's `inet_ntop(AF_INET6)`. */
export function formatIPv6(bytes: Uint8Array): string {
  const words = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0),
  );
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) text += ":";
      continue;
    }
    if (i !== 0) text += ":";
    if (
      i === 6 &&
      best.base === 0 &&
      (best.len === 6 ||
        (best.len === 7 && words[7] !== 1) ||
        (best.len === 5 && words[5] === 0xffff))
    ) {
      text += Array.from(bytes.subarray(12, 16)).join(".");
      break;
    }
    text += (words[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) text += ":";
  return text;
}

/** A host that is an address already: the family and the address as Python gives it, or `null`. */
export function numericHost(host: string): { family: 4 | 6; address: string } | null {
  const v4 = parseInetAton(host);
  if (v4 !== null && !/\s/.test(host)) return { family: 4, address: Array.from(v4).join(".") };
  const v6 = host.includes("%") ? null : parseIPv6(host);
  if (v6 !== null) return { family: 6, address: formatIPv6(v6) };
  if (isIPv6(host)) return { family: 6, address: host };
  return null;
}
