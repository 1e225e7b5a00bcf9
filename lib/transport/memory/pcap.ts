/**
 * The pcap file format and the packets in it: what a capture of the memory network writes, built by hand since
 * no packet ever exists there.
 *
 * The rules:
 * - Classic pcap (the format `tcpdump -w` writes: microsecond timestamps, little-endian), link type RAW (101): each
 *   record is an IPv4 or IPv6 packet, told apart by its version nibble, with no Ethernet header.
 * - IPv4: 20-byte header, TTL 64, Don't Fragment, an ID counting packets, a valid header checksum. IPv6: 40-byte
 *   header, hop limit 64. An IPv4 address mapped into IPv6 (`::ffff:127.0.0.1`) is sent as IPv4.
 * - TCP: 20-byte header (28 in a SYN: MSS, NOP, window scale), valid checksum over the pseudo-header. UDP: 8-byte
 *   header, valid checksum.
 * @module
 */
import * as net from "node:net";

/** pcap's link type for packets that start with their IP header. */
export const LINKTYPE_RAW = 101;
/** IP protocol numbers. */
export const IPPROTO_TCP = 6;
/** IP protocol numbers. */
export const IPPROTO_UDP = 17;

/** MSS announced in SYNs: loopback's on Linux (65535 less 40 bytes of headers). */
const SYN_MSS = 65495;
/** Biggest record we write. */
const SNAPLEN = 262_144;

/** The 24-byte file header. */
export function pcapFileHeader(linktype = LINKTYPE_RAW): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(linktype, 20);
  return header;
}

/** A record's 16-byte header, for `length` bytes captured at `seconds`. */
export function pcapRecordHeader(seconds: number, length: number): Buffer {
  const micros = Math.round(seconds * 1e6);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(Math.floor(micros / 1e6), 0);
  header.writeUInt32LE(micros % 1e6, 4);
  header.writeUInt32LE(length, 8);
  header.writeUInt32LE(length, 12);
  return header;
}

/** An IP address's bytes: 4 for IPv4 (also when mapped into IPv6), else 16. @throws TypeError when not an IP. */
export function addressBytes(host: string): Buffer {
  const v4 = host.startsWith("::ffff:") && net.isIPv4(host.slice(7)) ? host.slice(7) : host;
  if (net.isIPv4(v4)) return Buffer.from(v4.split(".").map(Number));
  if (!net.isIPv6(host)) throw new TypeError(`not an IP address: ${host}`);
  const [head = "", tail] = host.split("::");
  const groups = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const group of part.split(":")) {
      if (group.includes(".")) {
        const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(group, 16));
    }
    return out;
  };
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, 2 * i));
  return bytes;
}

/** The Internet checksum's running sum over `bytes` (RFC 1071), added to `sum`. */
function sum16(bytes: Uint8Array, sum = 0): number {
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (i < bytes.length) sum += (bytes[i] ?? 0) << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The fields of a TCP header we set. */
export interface TcpFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** The window scale to announce (SYNs only), or `null`. */
  readonly windowShift: number | null;
}

/**
 * An IP packet from `src` to `dst` carrying `transport` (a TCP or UDP header and payload, checksum to fill at
 * `checksumAt`), numbered `id` (IPv4).
 */
function ipPacket(
  src: Buffer,
  dst: Buffer,
  protocol: number,
  transport: Buffer,
  checksumAt: number,
  id: number,
): Buffer {
  const v6 = src.length === 16 || dst.length === 16;
  const from = v6 && src.length === 4 ? mapped(src) : src;
  const to = v6 && dst.length === 4 ? mapped(dst) : dst;
  // Pseudo-header: addresses, protocol, length (IPv6's has a 32-bit length: the same sum below 64 KiB).
  const sum = sum16(from) + sum16(to) + protocol + transport.length;
  let check = fold(sum16(transport, sum));
  if (protocol === IPPROTO_UDP && check === 0) check = 0xffff;
  transport.writeUInt16BE(check, checksumAt);
  if (v6) {
    const header = Buffer.alloc(40);
    header.writeUInt32BE(0x60000000, 0);
    header.writeUInt16BE(transport.length, 4);
    header[6] = protocol;
    header[7] = 64;
    from.copy(header, 8);
    to.copy(header, 24);
    return Buffer.concat([header, transport]);
  }
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + transport.length, 2);
  header.writeUInt16BE(id & 0xffff, 4);
  header.writeUInt16BE(0x4000, 6); // Don't Fragment
  header[8] = 64;
  header[9] = protocol;
  from.copy(header, 12);
  to.copy(header, 16);
  header.writeUInt16BE(fold(sum16(header)), 10);
  return Buffer.concat([header, transport]);
}

function mapped(v4: Buffer): Buffer {
  const bytes = Buffer.alloc(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  v4.copy(bytes, 12);
  return bytes;
}

/** A TCP segment in its IP packet. */
export function tcpPacket(
  src: Buffer,
  dst: Buffer,
  tcp: TcpFields,
  payload: Uint8Array,
  id: number,
): Buffer {
  const optionsLength = tcp.windowShift === null ? 0 : 8;
  const headerLength = 20 + optionsLength;
  const segment = Buffer.alloc(headerLength + payload.length);
  segment.writeUInt16BE(tcp.srcPort, 0);
  segment.writeUInt16BE(tcp.dstPort, 2);
  segment.writeUInt32BE(tcp.seq >>> 0, 4);
  segment.writeUInt32BE(tcp.ack >>> 0, 8);
  segment[12] = (headerLength / 4) << 4;
  segment[13] = tcp.flags;
  segment.writeUInt16BE(tcp.window, 14);
  if (tcp.windowShift !== null) {
    segment[20] = 2; // MSS
    segment[21] = 4;
    segment.writeUInt16BE(SYN_MSS, 22);
    segment[24] = 1; // NOP
    segment[25] = 3; // window scale
    segment[26] = 3;
    segment[27] = tcp.windowShift;
  }
  segment.set(payload, headerLength);
  return ipPacket(src, dst, IPPROTO_TCP, segment, 16, id);
}

/** A UDP datagram in its IP packet. */
export function udpPacket(
  src: Buffer,
  dst: Buffer,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
  id: number,
): Buffer {
  const datagram = Buffer.alloc(8 + payload.length);
  datagram.writeUInt16BE(srcPort, 0);
  datagram.writeUInt16BE(dstPort, 2);
  datagram.writeUInt16BE(datagram.length, 4);
  datagram.set(payload, 8);
  return ipPacket(src, dst, IPPROTO_UDP, datagram, 6, id);
}
