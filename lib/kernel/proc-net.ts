/**
 * The kernel's TCP socket table, as Linux shows it in `/proc/net/tcp` and `/proc/net/tcp6`: which local
 * addresses and ports are listening, connected or in TIME_WAIT, for `bind()`'s rules (`bind-rules.ts`). Node
 * sets SO_REUSEADDR on every listener, so a port left in TIME_WAIT never stops it: the emulation looks here.
 *
 * The rules: a line is `sl local rem st ...`, the address in hex as the kernel stores it (IPv4: one 32-bit word,
 * IPv6: four, each in the machine's byte order, little-endian here), the port in hex, the state in hex (`0A`
 * LISTEN, `06` TIME_WAIT, `07` CLOSE: gone; the rest are stages of a connection). A machine without these files
 * (not Linux) has an empty table.
 * @module
 */
import { readFileSync } from "node:fs";
import { endianness } from "node:os";

import type { PortUse } from "./bind-rules.ts";

const LISTEN = "0A";
const TIME_WAIT = "06";
const CLOSE = "07";
const LITTLE = endianness() === "LE";

/** One 32-bit word of a /proc address, as the four bytes it holds in network order. */
function wordBytes(hex: string): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return LITTLE ? bytes.reverse() : bytes;
}

/** A /proc/net/tcp(6) address as text (`0100007F` → `127.0.0.1`). */
export function procAddress(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join(".");
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  const groups = [0, 2, 4, 6, 8, 10, 12, 14].map((i) =>
    (((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16),
  );
  const text = groups.join(":");
  if (text === "0:0:0:0:0:0:0:0") return "::";
  if (text.startsWith("0:0:0:0:0:ffff:")) return `::ffff:${bytes.slice(12).join(".")}`;
  return text.replace(/(^|:)0(:0)+(:|$)/, "::").replace(/^:::?/, "::");
}

/** Parse the lines of a /proc/net/tcp(6) file: the uses of `port` (all ports when undefined). */
export function parseProcNet(text: string, port?: number): PortUse[] {
  const uses: PortUse[] = [];
  // Only the lines whose local address has the port (`:PORT ` in hex, upper case), when one is asked for.
  const needle =
    port === undefined ? null : `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  for (const line of text.split("\n").slice(1)) {
    if (needle !== null && !line.includes(needle)) continue;
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    if (local === undefined || state === undefined || state === CLOSE) continue;
    const [hexHost = "", hexPort = ""] = local.split(":");
    const localPort = parseInt(hexPort, 16);
    if (port !== undefined && localPort !== port) continue;
    uses.push({
      host: procAddress(hexHost),
      port: localPort,
      state: state === LISTEN ? "listening" : state === TIME_WAIT ? "time-wait" : "connected",
      reuseaddr: null,
    });
  }
  return uses;
}

function read(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

/** The kernel's uses of a TCP port, from `/proc/net/tcp` and `/proc/net/tcp6`. */
export function procPortUses(port: number): PortUse[] {
  return [
    ...parseProcNet(read("/proc/net/tcp"), port),
    ...parseProcNet(read("/proc/net/tcp6"), port),
  ];
}
