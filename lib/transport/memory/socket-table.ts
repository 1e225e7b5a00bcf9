/**
 * The memory network's socket table: one row per socket, with the columns of `ss -tuan` (Netid, State, Recv-Q,
 * Send-Q, Local Address:Port, Peer Address:Port) and the fd, and {@link formatSs} to print it as `ss` does (space
 * for space, as into a pipe: checked against Linux's `ss` in spec/network-tools.spec.ts).
 *
 * The rules (as Linux's `ss` shows a socket):
 * - A listener: LISTEN; Recv-Q is its accept queue (connections made, not yet `accept()`ed), Send-Q its backlog.
 *   Its peer is `0.0.0.0:*` (IPv4) or `[::]:*`; a listener on `::` shows as `*:port`, peer `*:*`.
 * - A connection end: its TCP state (see `tcp-state.ts`); Recv-Q the bytes received and not yet read, and for TCP
 *   one more for the peer's FIN until a read passes it, as Linux counts (`rcv_nxt - copied_seq`); Send-Q the
 *   bytes sent and not yet delivered. Ends in CLOSED are not shown, nor sockets that are only made or bound.
 * - The fd is the socket's (`fileno()`), or `null` for a connection not yet accepted and for an orphan (an end whose
 *   socket was closed and that TCP keeps, as in FIN-WAIT-2 or TIME-WAIT).
 * - Unix stream sockets (`u_str`) show a path or `*`, and an inode number standing for the socket (ours are made
 *   up, in creation order); the kernel's Unix sockets have no TCP states: ESTAB or LISTEN.
 * - A datagram socket (`udp`, `u_dgr`) once bound: UNCONN, or ESTAB when connected; Recv-Q the bytes of the
 *   datagrams waiting (Linux counts their buffers' memory, so shows more), Send-Q the bytes not yet delivered.
 * - Rows come listeners first (in the order they listened), then connection ends oldest first, then datagram
 *   sockets.
 * @module
 */
import * as net from "node:net";

import type { KernelListener, KernelSocket } from "./kernel-view.ts";
import type { EndAddress, TcpEndpoint, TcpState } from "./tcp-state.ts";

/** `ss`'s Netid: TCP, UDP, Unix stream, Unix datagram. */
export type Netid = "tcp" | "udp" | "u_str" | "u_dgr";

/** `ss`'s State: TCP's states, and UNCONN for a datagram socket. */
export type SocketState = Exclude<TcpState, "CLOSED"> | "UNCONN";

/** One socket, as `ss -tuan` shows it, with its fd. */
export interface SocketRow {
  /** `tcp`, `udp`, `u_str` or `u_dgr`. */
  readonly netid: Netid;
  /** The TCP state (`ss`'s names), or UNCONN. */
  readonly state: SocketState;
  /** Listener: its accept queue; else bytes received, not yet read. */
  readonly recvQ: number;
  /** Listener: its backlog; else bytes sent, not yet delivered. */
  readonly sendQ: number;
  /** `Local Address:Port` as `ss` prints it (`127.0.0.1:65432`, `[::1]:65432`, `*:65432`, `/path 10001`). */
  readonly local: string;
  /** `Peer Address:Port` as `ss` prints it (`127.0.0.1:40000`, `0.0.0.0:*`, `* 10002`). */
  readonly peer: string;
  /** The socket's fd; `null` when no fd holds it (not yet accepted, or closed and kept by TCP). */
  readonly fd: number | null;
}

/** A listener, as the network knows it. */
export interface ListenerInfo {
  readonly netid: "tcp" | "u_str";
  readonly host: string;
  readonly port: number;
  readonly backlog: number;
  /** The listening socket, when it is open. */
  readonly sock: KernelListener | undefined;
  /** A number standing for the socket (Unix: its inode). */
  readonly id: number;
}

/** A connection end, as the network knows it. */
export interface EndInfo {
  readonly end: TcpEndpoint;
  /** Bytes sent by this end, not yet delivered. */
  readonly inFlight: number;
  /** Its socket, while one holds it (not for an orphan). */
  readonly sock: KernelSocket | undefined;
}

/** A datagram socket, as the network knows it. */
export interface DatagramInfo {
  /** `udp`, or `u_dgr` for a Unix datagram socket. */
  readonly netid: "udp" | "u_dgr";
  /** Its bound address (an IP and port, or a path), or `null` while unbound. */
  readonly local: EndAddress | null;
  /** The peer it is connected to, or `null`. */
  readonly peer: EndAddress | null;
  /** Bytes of datagrams received, not yet read (Linux counts their buffers' memory: more). */
  readonly recvQ: number;
  /** Bytes sent, not yet delivered. */
  readonly sendQ: number;
  /** Its fd, or `null`. */
  readonly fd: number | null;
  /** A number standing for the socket (Unix: its inode). */
  readonly id: number;
}

/** Inode numbers of Unix sockets start here (made up, as ours have no inode). */
const INODE_BASE = 10_000;

/** The table's rows (see the module rules). */
export function socketRows(
  listeners: readonly ListenerInfo[],
  ends: readonly EndInfo[],
  datagrams: readonly DatagramInfo[] = [],
): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const listener of listeners) {
    const sock = listener.sock;
    const recvQ = sock?.pending.length ?? 0;
    const fd = sock !== undefined && sock.fd >= 0 ? sock.fd : null;
    if (listener.netid === "u_str") {
      const local = `${listener.host} ${INODE_BASE + listener.id}`;
      rows.push({
        netid: "u_str",
        state: "LISTEN",
        recvQ,
        sendQ: listener.backlog,
        local,
        peer: "* 0",
        fd,
      });
      continue;
    }
    const wildcard6 = listener.host === "::";
    rows.push({
      netid: "tcp",
      state: "LISTEN",
      recvQ,
      sendQ: listener.backlog,
      local: wildcard6 ? `*:${listener.port}` : hostPort(listener.host, listener.port),
      peer: wildcard6 ? "*:*" : net.isIPv6(listener.host) ? "[::]:*" : "0.0.0.0:*",
      fd,
    });
  }
  for (const { end, inFlight, sock } of ends) {
    if (end.state === "CLOSED") continue;
    const fd = sock !== undefined && sock.fd >= 0 ? sock.fd : null;
    const state: SocketState = end.state;
    if (end.netid === "u_str") {
      const recvQ = sock?.buffered ?? 0;
      const peerId = end.peer === null ? 0 : INODE_BASE + end.peer.id + 1000;
      const local = `${end.local.host === "" ? "*" : end.local.host} ${INODE_BASE + end.id + 1000}`;
      rows.push({ netid: "u_str", state, recvQ, sendQ: inFlight, local, peer: `* ${peerId}`, fd });
      continue;
    }
    rows.push({
      netid: "tcp",
      state,
      // As Linux: a FIN not yet read counts one (rcv_nxt - copied_seq).
      recvQ: sock?.receiveQueue ?? 0,
      sendQ: inFlight,
      local: hostPort(end.local.host, end.local.port),
      peer: hostPort(end.remote.host, end.remote.port),
      fd,
    });
  }
  for (const datagram of datagrams) {
    if (datagram.local === null) continue; // an unbound socket is in no table
    const state: SocketState = datagram.peer === null ? "UNCONN" : "ESTAB";
    const { recvQ, sendQ, fd } = datagram;
    if (datagram.netid === "u_dgr") {
      const inode = INODE_BASE + 5000 + datagram.id;
      const local = `${datagram.local.host === "" ? "*" : datagram.local.host} ${inode}`;
      rows.push({ netid: "u_dgr", state, recvQ, sendQ, local, peer: "* 0", fd });
      continue;
    }
    const host = datagram.local.host;
    const peer =
      datagram.peer !== null
        ? hostPort(datagram.peer.host, datagram.peer.port)
        : host === "::"
          ? "*:*"
          : net.isIPv6(host)
            ? "[::]:*"
            : "0.0.0.0:*";
    const local = host === "::" ? `*:${datagram.local.port}` : hostPort(host, datagram.local.port);
    rows.push({ netid: "udp", state, recvQ, sendQ, local, peer, fd });
  }
  return rows;
}

function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** How the table is printed (`MemoryNetwork.ss()`). */
export interface SsOptions {
  /** Which sockets: `["tcp"]` is `ss -tan` (the default), `["tcp", "u_str"]` `ss -txan`, ... */
  readonly netids?: readonly Netid[];
  /** `ss -p`: a Process column with `users:(("node",pid=…,fd=…))`. */
  readonly processes?: boolean;
}

/** One column of `ss`'s output: its header, alignment and left delimiter (iproute2's `misc/ss.c`). */
interface Column {
  readonly header: string;
  readonly right: boolean;
  readonly delimiter: string;
}

const NETID: Column = { header: "Netid", right: false, delimiter: "" };
/** The columns after Netid, in order; the last, empty one holds `ss -e`'s details (never ours). */
const COLUMNS: readonly Column[] = [
  { header: "State", right: false, delimiter: " " },
  { header: "Recv-Q", right: false, delimiter: " " },
  { header: "Send-Q", right: false, delimiter: " " },
  { header: "Local Address:", right: true, delimiter: " " },
  { header: "Port", right: false, delimiter: "" },
  { header: "Peer Address:", right: true, delimiter: " " },
  { header: "Port", right: false, delimiter: "" },
  { header: "Process", right: false, delimiter: "" },
  { header: "", right: false, delimiter: "" },
];

/**
 * The rows as `ss -tan` prints them into a pipe (with a Netid column when more than TCP is asked for), space for
 * space: each column as wide as its widest field (header included) plus its left delimiter, addresses (with their
 * `:`) right-aligned, ports left-aligned, queues printed `%-6d`, and rows padded to the end of the Process column.
 * (On a terminal `ss` also spreads the screen's spare width over the columns.)
 */
export function formatSs(rows: readonly SocketRow[], options: SsOptions = {}): string {
  const netids = options.netids ?? ["tcp"];
  const shown = rows.filter((row) => netids.includes(row.netid));
  const withNetid = netids.length > 1 || netids[0] !== "tcp";
  const columns = withNetid ? [NETID, ...COLUMNS] : COLUMNS;
  const lines: string[][] = [columns.map((column) => column.header)];
  for (const row of shown) {
    const unix = row.netid === "u_str" || row.netid === "u_dgr";
    const [localAddress, localPort] = split(row.local, unix);
    const [peerAddress, peerPort] = split(row.peer, unix);
    const process =
      options.processes === true && row.fd !== null
        ? ` users:(("node",pid=${globalThis.process.pid},fd=${row.fd}))`
        : "";
    lines.push([
      ...(withNetid ? [row.netid] : []),
      row.state,
      String(row.recvQ).padEnd(6),
      String(row.sendQ).padEnd(6),
      localAddress,
      localPort,
      peerAddress,
      peerPort,
      process,
      "",
    ]);
  }
  const widths = columns.map((column, i) => {
    const longest = Math.max(...lines.map((fields) => (fields[i] ?? "").length));
    return i > 0 && longest > 0 ? longest + column.delimiter.length : longest;
  });
  const out = lines.map((fields) => {
    let line = "";
    fields.forEach((field, i) => {
      const column = columns[i] ?? NETID;
      const width = widths[i] ?? 0;
      const delimiter = i > 0 ? column.delimiter : "";
      const used = delimiter.length + field.length;
      const pad = " ".repeat(Math.max(0, width - used));
      line += column.right ? delimiter + pad + field : delimiter + field + pad;
    });
    return line;
  });
  return `${out.join("\n")}\n`;
}

/** An address and its port as `ss` prints them: the address keeps its delimiter (`127.0.0.1:`, Unix `/path `). */
function split(address: string, unix: boolean): [string, string] {
  const at = address.lastIndexOf(unix ? " " : ":");
  return [address.slice(0, at + 1), address.slice(at + 1)];
}
