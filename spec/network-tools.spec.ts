/**
 * The networking tools on the memory network (issue #22): its socket table (`network.sockets()`, `network.ss()`)
 * and TCP states against what Linux's `ss -tan` shows for the same calls, TIME-WAIT on the network's clock, and
 * the table's columns. Captures and the dissector are in spec/capture.spec.ts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { flushQueued } from "../lib/kernel/fd.ts";
import * as socket from "../lib/python/socket.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { formatSs, socketRows } from "../lib/transport/memory/socket-table.ts";
import { describeNeeding } from "./helpers/needs-tool.ts";
import { FIXTURES_DIR, pythonExecutable } from "./helpers/process.ts";
import { memoryNetwork as network } from "./helpers/sockets.ts";

/**
 * The calls, and the rows `ss -tan` showed after each on Linux 6.1 (Debian 12) for real loopback sockets:
 * spec/fixtures/tools/ss-states.py makes them (the live test below checks this table against the machine's `ss`).
 * Ports are named: L the listener's, A, B, C the clients'; a, b, c are the accepted sockets. Rows are sorted.
 */
const LINUX: readonly (readonly [call: string, rows: readonly string[]])[] = [
  ["L: listen(5)", ["LISTEN 0 5 127.0.0.1:L 0.0.0.0:*"]],
  [
    "A: connect()",
    [
      "ESTAB 0 0 127.0.0.1:A 127.0.0.1:L",
      "ESTAB 0 0 127.0.0.1:L 127.0.0.1:A",
      "LISTEN 1 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "A: send(b'hello')",
    [
      "ESTAB 0 0 127.0.0.1:A 127.0.0.1:L",
      "ESTAB 5 0 127.0.0.1:L 127.0.0.1:A",
      "LISTEN 1 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "L: accept() -> a",
    [
      "ESTAB 0 0 127.0.0.1:A 127.0.0.1:L",
      "ESTAB 5 0 127.0.0.1:L 127.0.0.1:A",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "a: recv(1024)",
    [
      "ESTAB 0 0 127.0.0.1:A 127.0.0.1:L",
      "ESTAB 0 0 127.0.0.1:L 127.0.0.1:A",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "a: send(b'abc')",
    [
      "ESTAB 0 0 127.0.0.1:L 127.0.0.1:A",
      "ESTAB 3 0 127.0.0.1:A 127.0.0.1:L",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "A: recv(1024); A: shutdown(SHUT_WR)",
    [
      "CLOSE-WAIT 1 0 127.0.0.1:L 127.0.0.1:A",
      "FIN-WAIT-2 0 0 127.0.0.1:A 127.0.0.1:L",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  [
    "a: recv(1024) -> b''",
    [
      "CLOSE-WAIT 0 0 127.0.0.1:L 127.0.0.1:A",
      "FIN-WAIT-2 0 0 127.0.0.1:A 127.0.0.1:L",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
    ],
  ],
  ["a: close()", ["LISTEN 0 5 127.0.0.1:L 0.0.0.0:*", "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L"]],
  ["A: close()", ["LISTEN 0 5 127.0.0.1:L 0.0.0.0:*", "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L"]],
  [
    "B: connect(); L: accept() -> b; B: close()",
    [
      "CLOSE-WAIT 1 0 127.0.0.1:L 127.0.0.1:B",
      "FIN-WAIT-2 0 0 127.0.0.1:B 127.0.0.1:L",
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
      "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L",
    ],
  ],
  [
    "b: close()",
    [
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
      "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L",
      "TIME-WAIT 0 0 127.0.0.1:B 127.0.0.1:L",
    ],
  ],
  [
    "C: connect(); L: accept() -> c; C: send(b'abc'); c: close() with unread bytes",
    [
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
      "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L",
      "TIME-WAIT 0 0 127.0.0.1:B 127.0.0.1:L",
    ],
  ],
  [
    "C: close()",
    [
      "LISTEN 0 5 127.0.0.1:L 0.0.0.0:*",
      "TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L",
      "TIME-WAIT 0 0 127.0.0.1:B 127.0.0.1:L",
    ],
  ],
  [
    "L: close()",
    ["TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L", "TIME-WAIT 0 0 127.0.0.1:B 127.0.0.1:L"],
  ],
  [
    "D: connect() -> ConnectionRefusedError",
    ["TIME-WAIT 0 0 127.0.0.1:A 127.0.0.1:L", "TIME-WAIT 0 0 127.0.0.1:B 127.0.0.1:L"],
  ],
];

/**
 * A listener on 127.0.0.1:`port` (0: a free one) and a non-blocking client connected to it, the network settled
 * after each (the connection waits in the accept queue).
 */
async function listenAndConnect(
  net: MemoryNetwork,
  port: number,
): Promise<{ L: socket.BlockingSocket; client: socket.NonBlockingSocket }> {
  const L = net.socket();
  L.bind(["127.0.0.1", port]);
  const listening = L.listen();
  settle(net);
  await listening;
  const client = net.socket().setblocking(false);
  client.connectEx(L.getsockname());
  settle(net);
  return { L, client };
}

/** Send what the sockets queued and run the network until nothing moves. */
function settle(net: MemoryNetwork): void {
  flushQueued(true);
  net.settle();
}

/**
 * The calls of {@link LINUX} on a memory network, with its rows after each call (named as {@link LINUX} names them).
 */
async function memoryStages(): Promise<Map<string, string[]>> {
  const net = network({ auto: false });
  const names = new Map<number, string>();
  const stages = new Map<string, string[]>();
  const snapshot = (call: string): void => {
    settle(net);
    const name = (address: string): string =>
      address.replace(/:(\d+)$/, (whole, port: string) => {
        const named = names.get(Number(port));
        return named === undefined ? whole : `:${named}`;
      });
    const rows = net
      .sockets()
      .map((row) => `${row.state} ${row.recvQ} ${row.sendQ} ${name(row.local)} ${name(row.peer)}`);
    stages.set(call, rows.sort());
  };
  const connect = (name: string, address: socket.Address): socket.NonBlockingSocket => {
    const sock = net.socket().setblocking(false);
    expect(sock.connectEx(address)).toBe(115);
    settle(net);
    const [, port] = sock.getsockname();
    if (typeof port === "number") names.set(port, name);
    return sock;
  };

  const L = net.socket();
  L.bind(["127.0.0.1", 0]);
  const listening = L.listen(5);
  settle(net);
  await listening;
  const address = L.getsockname();
  const [, port] = address;
  if (typeof port === "number") names.set(port, "L");
  const listener = L.setblocking(false);
  snapshot("L: listen(5)");
  const A = connect("A", address);
  snapshot("A: connect()");
  A.send(Buffer.from("hello"));
  snapshot("A: send(b'hello')");
  const [a] = listener.accept();
  const an = a.setblocking(false);
  snapshot("L: accept() -> a");
  expect(an.recv(1024).toString()).toBe("hello");
  snapshot("a: recv(1024)");
  an.send(Buffer.from("abc"));
  snapshot("a: send(b'abc')");
  expect(A.recv(1024).toString()).toBe("abc");
  A.shutdown(socket.SHUT_WR);
  snapshot("A: recv(1024); A: shutdown(SHUT_WR)");
  expect(an.recv(1024).length).toBe(0);
  snapshot("a: recv(1024) -> b''");
  an.close();
  snapshot("a: close()");
  A.close();
  snapshot("A: close()");
  const B = connect("B", address);
  const [b] = listener.accept();
  B.close();
  snapshot("B: connect(); L: accept() -> b; B: close()");
  b.close();
  snapshot("b: close()");
  const C = connect("C", address);
  const [c] = listener.accept();
  C.send(Buffer.from("abc"));
  settle(net);
  c.close();
  snapshot("C: connect(); L: accept() -> c; C: send(b'abc'); c: close() with unread bytes");
  C.close();
  snapshot("C: close()");
  listener.close();
  snapshot("L: close()");
  const D = net.socket().setblocking(false);
  expect(D.connectEx(address)).toBe(115);
  settle(net);
  expect(D.connectEx(address)).toBe(111);
  D.close();
  snapshot("D: connect() -> ConnectionRefusedError");
  return stages;
}

describe("the socket table's TCP states, call by call, against Linux's ss -tan", () => {
  it("the memory network shows Linux's rows after each call, a FIN not yet read counted in Recv-Q", async () => {
    const stages = await memoryStages();
    expect([...stages.keys()]).toEqual(LINUX.map(([call]) => call));
    for (const [call, linux] of LINUX) {
      expect({ call, rows: stages.get(call) }).toEqual({ call, rows: [...linux].sort() });
    }
  });

  const ss = spawnSync("ss", ["-V"]).status === 0;
  describeNeeding("python3", "on this machine", () => {
    it.skipIf(!ss)(
      `Linux's ss -tan shows the table's rows for the same calls in Python${ss ? "" : " [skipped: no ss (apt-get install iproute2)]"}`,
      () => {
        const python = pythonExecutable() ?? "python3";
        const run = spawnSync(python, [join(FIXTURES_DIR, "tools/ss-states.py")], {
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(run.stderr).toBe("");
        const stages: unknown = JSON.parse(run.stdout);
        expect(stages).toEqual(Object.fromEntries(LINUX.map(([call, rows]) => [call, rows])));
      },
      90_000,
    );

    it.skipIf(!ss)(
      `network.ss() prints what Linux's ss -tan prints, space for space, for the same sockets${ss ? "" : " [skipped: no ss (apt-get install iproute2)]"}`,
      async () => {
        const python = pythonExecutable() ?? "python3";
        // A listener, a client connected to it, the accepted socket: ss -tan on them, ports named by their
        // place (the memory network's are 65432 and 32768: the same widths as Linux's ephemeral ones).
        const script = [
          "import socket, subprocess",
          "L = socket.socket(); L.bind(('127.0.0.1', 0)); L.listen()",
          "p = L.getsockname()[1]",
          "c = socket.create_connection(('127.0.0.1', p)); a, _ = L.accept()",
          "q = c.getsockname()[1]",
          "out = subprocess.run(['ss', '-tan', f'sport = :{p} or dport = :{p}'], capture_output=True, text=True).stdout",
          "print(out.replace(str(p), 'LPORT').replace(str(q), 'CPORT'), end='')",
        ].join("\n");
        const run = spawnSync(python, ["-c", script], { encoding: "utf8", timeout: 60_000 });
        expect(run.stderr).toBe("");
        expect(run.stdout).toMatch(/LPORT/);
        const net = network({ auto: false });
        const { L } = await listenAndConnect(net, 65432);
        L.setblocking(false).accept();
        const ours = net.ss().replaceAll("65432", "LPORT").replaceAll("32768", "CPORT");
        // ss lists the two ends of a connection in the kernel's hash order: compare the rows as a set.
        const lines = (text: string): [string | undefined, string[]] => {
          const [header, ...rows] = text.split("\n");
          return [header, rows.sort()];
        };
        expect(lines(ours)).toEqual(lines(run.stdout));
      },
      90_000,
    );
  });
});

describe("TIME-WAIT on the network's clock", () => {
  /** A connection closed actively by the client: its end is in TIME-WAIT. */
  async function timeWait(net: MemoryNetwork): Promise<number> {
    const { L, client } = await listenAndConnect(net, 0);
    const [server] = L.setblocking(false).accept();
    const [, port] = client.getsockname();
    client.close();
    settle(net);
    server.close();
    settle(net);
    L.close();
    if (typeof port !== "number") throw new TypeError("no port");
    return port;
  }

  it("lasts 60 s by default: there at 59.999 s, gone at 60 s; timeWait(port) finds it", async () => {
    const net = network({ auto: false });
    const port = await timeWait(net);
    expect(net.timeWait(port).map((end) => end.state)).toEqual(["TIME-WAIT"]);
    expect(net.timeWait(port, "127.0.0.1")).toHaveLength(1);
    expect(net.timeWait(port, "127.0.0.2")).toHaveLength(0);
    expect(net.timeWait(port + 1)).toHaveLength(0);
    net.advance(59.998); // (settling took 2 steps of 1 ms after the TIME-WAIT began)
    expect(net.timeWait(port)).toHaveLength(1);
    net.advance(0.001);
    expect(net.timeWait(port)).toHaveLength(0);
    expect(net.sockets()).toEqual([]);
  });

  it("takes its length from the timeWait option, and the clock from steps", async () => {
    const net = network({ auto: false, timeWait: 2, stepSeconds: 0.5 });
    const port = await timeWait(net);
    const [end] = net.timeWait(port);
    const left = (end?.timeWaitEnds ?? 0) - net.clock.now();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(2);
    expect(Number.isInteger(left / 0.5)).toBe(true);
    for (let i = 1; i < left / 0.5; i++) net.step();
    expect(net.timeWait(port)).toHaveLength(1);
    net.step();
    expect(net.timeWait(port)).toHaveLength(0);
  });

  it("the clock refuses to go back", () => {
    expect(() => {
      network().advance(-1);
    }).toThrow(RangeError);
  });
});

describe("the socket table's columns", () => {
  it("gives each socket's fd, a listener's accept queue and backlog, bytes in flight as Send-Q", async () => {
    const net = network({ auto: false });
    const L = net.socket();
    L.bind(["127.0.0.1", 0]);
    const listening = L.listen(7);
    settle(net);
    await listening;
    const client = net.socket().setblocking(false);
    client.connectEx(L.getsockname());
    expect(net.sockets().map((row) => row.state)).toEqual(["LISTEN", "SYN-SENT"]);
    settle(net);
    net.outgoing(client).hold();
    client.send(Buffer.alloc(100));
    settle(net);
    const rows = net.sockets();
    expect(rows).toEqual([
      expect.objectContaining({
        netid: "tcp",
        state: "LISTEN",
        recvQ: 1,
        sendQ: 7,
        fd: L.fileno(),
      }),
      expect.objectContaining({ state: "ESTAB", recvQ: 0, sendQ: 100, fd: client.fileno() }),
      expect.objectContaining({ state: "ESTAB", recvQ: 0, sendQ: 0, fd: null }),
    ]);
    const [server] = L.setblocking(false).accept();
    expect(net.sockets()[2]?.fd).toBe(server.fileno());
    client.close();
    server.close();
    L.close();
  });

  it("Recv-Q in CLOSE-WAIT counts the FIN until a read passes it, as Linux does", async () => {
    // What python3 and ss -tan showed on this machine (Linux 6.1), for each end below after its peer's close():
    // 3 bytes and a FIN unread 4, after recv(3) 0 (the read goes on into the FIN), after recv(2) 2, then recv(10)
    // 0; a FIN alone 1, still 1 after recv(10, MSG_PEEK) and recv(0), 0 after recv() -> b''.
    const net = network({ auto: false });
    const { L, client: c1 } = await listenAndConnect(net, 0);
    const c2 = net.socket().setblocking(false);
    c2.connectEx(L.getsockname());
    const c3 = net.socket().setblocking(false);
    c3.connectEx(L.getsockname());
    settle(net);
    const ends = [c1, c2, c3].map((c) => {
      const [end] = L.setblocking(false).accept();
      return { c, end: end.setblocking(false) };
    });
    c1.send(Buffer.from("abc"));
    c3.send(Buffer.from("abc"));
    for (const c of [c1, c2, c3]) c.close();
    settle(net);
    const recvQ = (end: socket.NonBlockingSocket): number | undefined =>
      net.sockets().find((row) => row.fd === end.fileno())?.recvQ;
    const [a, b, c] = ends.map(({ end }) => end);
    if (a === undefined || b === undefined || c === undefined) throw new Error("three ends");
    expect([recvQ(a), recvQ(b), recvQ(c)]).toEqual([4, 1, 4]);
    expect(a.recv(3).toString()).toBe("abc");
    expect(recvQ(a)).toBe(0);
    expect(b.recv(10, socket.MSG_PEEK)).toEqual(Buffer.alloc(0));
    expect(b.recv(0)).toEqual(Buffer.alloc(0));
    expect(recvQ(b)).toBe(1);
    expect(b.recv(10)).toEqual(Buffer.alloc(0));
    expect(recvQ(b)).toBe(0);
    expect(c.recv(2).toString()).toBe("ab");
    expect(recvQ(c)).toBe(2);
    expect(c.recv(10).toString()).toBe("c");
    expect(recvQ(c)).toBe(0);
    expect(net.sockets().filter((row) => row.state === "CLOSE-WAIT")).toHaveLength(3);
    for (const end of [a, b, c, L]) end.close();
  });

  it("prints as ss -tan does into a pipe, with ss -p's Process column when asked", async () => {
    const net = network({ auto: false });
    const { L, client } = await listenAndConnect(net, 65432);
    expect(net.ss()).toBe(
      [
        "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process",
        "LISTEN 1      128        127.0.0.1:65432      0.0.0.0:*           ",
        "ESTAB  0      0          127.0.0.1:32768    127.0.0.1:65432       ",
        "ESTAB  0      0          127.0.0.1:65432    127.0.0.1:32768       ",
        "",
      ].join("\n"),
    );
    expect(net.ss({ processes: true })).toContain(
      `users:(("node",pid=${process.pid},fd=${client.fileno()}))`,
    );
    client.close();
    L.close();
  });

  it("shows IPv6 and the :: wildcard as ss does, and Unix stream sockets as u_str", async () => {
    const net = network({ auto: false });
    const L6 = net.socket(socket.AF_INET6);
    L6.bind(["::", 0]);
    const l6 = L6.listen(3);
    const U = net.socket(socket.AF_UNIX);
    U.bind("/tmp/selectors-ts-tools.sock");
    const lu = U.listen(2);
    settle(net);
    await Promise.all([l6, lu]);
    const [, port] = L6.getsockname();
    const client = net.socket(socket.AF_INET6).setblocking(false);
    client.connectEx(["::1", Number(port)]);
    const unix = net.socket(socket.AF_UNIX).setblocking(false);
    unix.connectEx("/tmp/selectors-ts-tools.sock");
    settle(net);
    const rows = net.sockets().map((row) => `${row.netid} ${row.state} ${row.local} ${row.peer}`);
    const [, clientPort] = client.getsockname();
    expect(rows).toEqual([
      `tcp LISTEN *:${port} *:*`,
      "u_str LISTEN /tmp/selectors-ts-tools.sock 10001 * 0",
      `tcp ESTAB [::1]:${clientPort} [::1]:${port}`,
      `tcp ESTAB [::1]:${port} [::1]:${clientPort}`,
      expect.stringMatching(/^u_str ESTAB \S* \d+ \* \d+$/),
      expect.stringMatching(/^u_str ESTAB \/tmp\/selectors-ts-tools.sock \d+ \* \d+$/),
    ]);
    expect(net.ss()).not.toContain("u_str");
    expect(net.ss({ netids: ["tcp", "u_str"] })).toMatch(/^Netid State /);
    for (const sock of [client, unix, L6, U]) sock.close();
    settle(net);
    expect(net.sockets()).toEqual([]);
  });
});

describe("datagram sockets in the table (the rows a UDP wire hands it)", () => {
  it("show as ss -tuan shows them: UNCONN, or ESTAB when connected; unbound ones not at all", () => {
    const rows = socketRows(
      [],
      [],
      [
        {
          netid: "udp",
          local: { host: "127.0.0.1", port: 57595 },
          peer: { host: "127.0.0.1", port: 59129 },
          recvQ: 0,
          sendQ: 0,
          fd: 4,
          id: 0,
        },
        {
          netid: "udp",
          local: { host: "127.0.0.1", port: 59129 },
          peer: null,
          recvQ: 5,
          sendQ: 0,
          fd: 3,
          id: 1,
        },
        { netid: "udp", local: null, peer: null, recvQ: 0, sendQ: 0, fd: 5, id: 2 },
      ],
    );
    // What Linux 6.1's ss -tuan printed for the same two sockets (but Recv-Q: Linux counts 832 bytes of buffer
    // memory for a 5-byte datagram).
    expect(formatSs(rows, { netids: ["tcp", "udp"] })).toBe(
      [
        "Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process",
        "udp   ESTAB  0      0          127.0.0.1:57595    127.0.0.1:59129       ",
        "udp   UNCONN 5      0          127.0.0.1:59129      0.0.0.0:*           ",
        "",
      ].join("\n"),
    );
  });
});

describe("the memory network's datagram sockets in its table", () => {
  it("a bound socket is UNCONN with its unread bytes; a connected one ESTAB from the address it sends from", () => {
    const net = network({ auto: false });
    const u = net.socket(socket.AF_INET, socket.SOCK_DGRAM);
    u.bind(["127.0.0.1", 9999]);
    const v = net.socket(socket.AF_INET, socket.SOCK_DGRAM).setblocking(false);
    v.connect(["127.0.0.1", 9999]);
    v.send(Buffer.from("hello"));
    net.settle();
    const [, port] = v.getsockname();
    expect(net.sockets()).toEqual([
      {
        netid: "udp",
        state: "UNCONN",
        recvQ: 5,
        sendQ: 0,
        local: "127.0.0.1:9999",
        peer: "0.0.0.0:*",
        fd: u.fileno(),
      },
      {
        netid: "udp",
        state: "ESTAB",
        recvQ: 0,
        sendQ: 0,
        local: `127.0.0.1:${String(port)}`,
        peer: "127.0.0.1:9999",
        fd: v.fileno(),
      },
    ]);
    expect(net.ss()).not.toContain("udp");
    u.close();
    v.close();
    expect(net.sockets()).toEqual([]);
  });
});

describe("docs/GUIDE.md's ss outputs", () => {
  it("are what network.ss() prints at each stage of the echo exchange", async () => {
    const guide = readFileSync(new URL("../docs/GUIDE.md", import.meta.url), "utf8");
    const net = network({ auto: false });
    const s = net.socket();
    s.bind(["127.0.0.1", 65432]);
    const listening = s.listen();
    settle(net);
    await listening;
    const client = net.socket().setblocking(false);
    client.connectEx(["127.0.0.1", 65432]);
    settle(net);
    const shown = [net.ss()];
    const [conn] = s.setblocking(false).accept();
    const server = conn.setblocking(false);
    client.send(Buffer.from("Hello, world"));
    settle(net);
    shown.push(net.ss());
    server.send(server.recv(1024));
    settle(net);
    expect(client.recv(1024).toString()).toBe("Hello, world");
    client.close();
    settle(net);
    shown.push(net.ss());
    expect(server.recv(1024).length).toBe(0);
    server.close();
    settle(net);
    shown.push(net.ss());
    s.close();
    // (The guide drops the spaces ss pads its rows with.)
    const trimmed = (output: string): string => output.replace(/ +$/gm, "");
    for (const output of shown) expect(guide).toContain(`\`\`\`text\n${trimmed(output)}\`\`\``);
  });
});
