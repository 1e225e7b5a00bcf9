/**
 * Captures of the memory network (lib/transport/memory/capture.ts), read back with tshark: every stream follows to
 * the bytes the programs sent, no malformed packet, no bad checksum, segments as delivered, zero windows, resets;
 * and the course's dissector (wireshark/selectors-ts.lua) on them and on a capture of a real loopback run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, describe, expect, it, onTestFinished } from "vitest";

import * as libclient from "../lib/app/libclient.ts";
import * as libserver from "../lib/app/libserver.ts";
import { flushQueued } from "../lib/kernel/fd.ts";
import { memoryTour, tourRequest } from "../lib/learn/memory-tour.ts";
import { RuntimeError } from "../lib/python/errors.ts";
import { printer } from "../lib/python/print.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { describeNeeding } from "./helpers/needs-tool.ts";
import { findTool } from "./helpers/tools.ts";
import { readCapture, tshark } from "./helpers/tshark.ts";

const dir = mkdtempSync(join(tmpdir(), "selectors-ts-capture-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
/** A new file name in the test's folder. */
function file(name: string): string {
  return join(dir, `${++files}-${name}`);
}

/**
 * tshark takes half a second of CPU to start, seconds on a busy machine: each test reads each capture with one run
 * ({@link readCapture}) where it can, and gets time.
 */
const TSHARK_TIMEOUT = 120_000;

/** The guided tour's requests (demos/demo.ts). */
const REQUESTS: readonly [string, string][] = [
  ["search", "morpheus"],
  ["search", "ring"],
  ["search", "\u{1f436}"],
  ["search", "neo"],
  ["find", "x"],
];

/** A Python bytes literal as the course prints it (`b'\x00g{"byteorder": ...'`): its bytes. */
function pythonBytes(literal: string): Buffer {
  const quote = literal[1];
  const body = literal.slice(2, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? "";
    if (c !== "\\") {
      out.push(c.charCodeAt(0));
      continue;
    }
    const e = body[++i] ?? "";
    if (e === "x") {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(({ n: 10, r: 13, t: 9 } as Record<string, number>)[e] ?? e.charCodeAt(0));
  }
  expect(quote === "'" || quote === '"').toBe(true);
  return Buffer.from(out);
}

/** The bytes each side printed it sent (`Sending b'...' to ...`), in order. */
function sentBytes(lines: readonly string[]): Buffer[] {
  return lines
    .map((line) => /^Sending (b'.*'|b".*") to /.exec(line)?.[1])
    .filter((literal) => literal !== undefined)
    .map(pythonBytes);
}

interface Tour {
  readonly path: string;
  readonly client: string[];
  readonly server: string[];
  readonly responses: readonly unknown[];
}

async function tour(chunkSize: number | null = null): Promise<Tour> {
  const path = file(`tour-${chunkSize ?? "all"}.pcap`);
  const client: string[] = [];
  const server: string[] = [];
  const { responses } = await memoryTour({
    requests: REQUESTS,
    serverLog: (line) => server.push(line),
    clientLog: (line) => client.push(line),
    chunkSize,
    capture: path,
  });
  return { path, client, server, responses };
}

describe("captures without tshark", () => {
  it("write classic pcap, raw IP, with timestamps from the network's clock", async () => {
    const { path } = await tour();
    const bytes = readFileSync(path);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(bytes.readUInt32LE(20)).toBe(101);
    // The first record: the SYN at 0 s; IPv4 (0x45), protocol TCP.
    expect(bytes.readUInt32LE(24)).toBe(0);
    expect(bytes[40]).toBe(0x45);
    expect(bytes[40 + 9]).toBe(6);
  });

  it("are the same bytes on every run under { auto: false }", async () => {
    const [first, second] = [await tour(), await tour()];
    expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);
  });

  it("one at a time; a closed capture stops, and the network can capture again", () => {
    const net = new MemoryNetwork();
    const capture = net.capture(file("one.pcap"));
    expect(() => net.capture(file("two.pcap"))).toThrow(RuntimeError);
    capture.close();
    capture.close();
    net.capture(file("three.pcap")).close();
  });
});

describeNeeding("tshark", "captures read back with tshark", () => {
  it(
    "the tour: read with no warning, no malformed packet or bad checksum, streams follow to the bytes sent",
    async () => {
      const { path, client, server, responses } = await tour();
      expect(responses).toHaveLength(5);
      const read = readCapture(path, { expert: true, follow: [0, 1, 2, 3, 4] });
      expect(read.stderr).toBe("");
      expect(read.status).toBe(0);
      expect(read.rows.length).toBeGreaterThan(0);
      expect(read.expert.filter((line) => /^(Errors|Warns)/.test(line))).toEqual([]);
      const requests = sentBytes(client);
      const answers = sentBytes(server);
      expect(requests).toHaveLength(5);
      expect(answers).toHaveLength(5);
      expect(read.streams).toEqual(requests.map((request, i) => [request, answers[i]]));
    },
    TSHARK_TIMEOUT,
  );

  it(
    "the dissector decodes every request and response of the tour, with content as JSON text or binary",
    async () => {
      const { path } = await tour();
      const { rows } = readCapture(path, {
        fields: [
          "course.header_length",
          "course.content_type",
          "course.content_length",
          "course.content_text",
          "course.content",
        ],
        filter: "course",
      });
      expect(rows.map((row) => row.slice(0, 4))).toEqual([
        ["103", "text/json", "41", '{"action": "search", "value": "morpheus"}'],
        ["103", "text/json", "43", '{"result": "Follow the white rabbit. \u{1f430}"}'],
        ["103", "text/json", "37", '{"action": "search", "value": "ring"}'],
        [
          "103",
          "text/json",
          "60",
          '{"result": "In the caves beneath the Misty Mountains. \u{1f48d}"}',
        ],
        ["103", "text/json", "37", '{"action": "search", "value": "\u{1f436}"}'],
        ["103", "text/json", "37", '{"result": "\u{1f43e} Playing ball! \u{1f3d0}"}'],
        ["103", "text/json", "36", '{"action": "search", "value": "neo"}'],
        ["103", "text/json", "33", '{"result": "No match for \'neo\'."}'],
        ["126", "binary/custom-client-binary-type", "5", ""],
        ["127", "binary/custom-server-binary-type", "32", ""],
      ]);
      // docs/GUIDE.md shows the first request as tshark -O course shows it.
      const guide = readFileSync(new URL("../docs/GUIDE.md", import.meta.url), "utf8");
      const shown = tshark(["-r", path, "-Y", "frame.number==4", "-O", "course"]).stdout;
      const block = shown.slice(shown.indexOf("Internet Protocol Version 4")).trimEnd();
      expect(block.split("\n")).toHaveLength(10);
      expect(guide).toContain(`\`\`\`text\n${block}\n\`\`\``);
      // The binary frames' content, which has no text: the rows whose course.content is there.
      const binary = rows.map((row) => row[4] ?? "").filter((hex) => hex !== "");
      expect(binary.map((hex) => Buffer.from(hex, "hex").toString())).toEqual([
        "findx",
        "First 10 bytes of request: findx",
      ]);
    },
    TSHARK_TIMEOUT,
  );

  it(
    "chunkSize 1: one byte per segment, and the dissector reassembles every frame",
    async () => {
      const whole = await tour();
      const { path, client } = await tour(1);
      const texts = (file: string): string[][] =>
        readCapture(file, { fields: ["course.content_text"], filter: "course" }).rows;
      const split = readCapture(path, {
        fields: ["tcp.len"],
        filter: "tcp.len > 0",
        follow: [0],
        expert: true,
      });
      expect(new Set(split.rows.map(([len]) => len))).toEqual(new Set(["1"]));
      expect(texts(path)).toEqual(texts(whole.path));
      expect(texts(path)).toHaveLength(10);
      expect(split.streams[0]?.[0]).toEqual(sentBytes(client)[0]);
      // One byte per segment: no segment starts with a whole frame header, so only the port finds the protocol.
      expect(readCapture(path, { filter: "course", extra: ["-o", "course.port:1"] }).rows).toEqual(
        [],
      );
      expect(split.expert.filter((line) => /^(Errors|Warns)/.test(line))).toEqual([]);
    },
    TSHARK_TIMEOUT,
  );

  /** A connected pair on `net` (auto: false), listener on 65432. */
  async function pair(
    net: MemoryNetwork,
    family = socket.AF_INET,
  ): Promise<[socket.NonBlockingSocket, socket.NonBlockingSocket]> {
    const host = family === socket.AF_INET ? "127.0.0.1" : "::1";
    const L = net.socket(family);
    onTestFinished(() => {
      L.close();
    });
    L.bind([host, 65432]);
    const listening = L.listen();
    net.settle();
    await listening;
    const client = net.socket(family).setblocking(false);
    client.connectEx([host, 65432]);
    net.settle();
    const [server] = L.setblocking(false).accept();
    return [client, server.setblocking(false)];
  }

  it(
    "a held direction shows as a zero window, its release as a window update; then the data flows",
    async () => {
      const net = new MemoryNetwork({ auto: false });
      const path = file("window.pcap");
      const capture = net.capture(path);
      const [client, server] = await pair(net);
      net.outgoing(client).hold();
      client.send(Buffer.from("held"));
      flushQueued(true);
      net.settle();
      net.outgoing(client).release();
      net.settle();
      expect(server.recv(10).toString()).toBe("held");
      capture.close();
      const { rows } = readCapture(path, {
        fields: [
          "tcp.srcport",
          "tcp.window_size_value",
          "tcp.len",
          "tcp.analysis.zero_window",
          "tcp.analysis.window_update",
        ],
      });
      // Handshake (3), the server's zero window, its update, the data, its ACK; tshark's analysis flags the zero
      // window and the update (a flag field prints 1 where it is set).
      expect(rows.slice(3)).toEqual([
        ["65432", "0", "0", "1", ""],
        ["65432", "2048", "0", "", "1"],
        [expect.any(String), "2048", "4", "", ""],
        ["65432", "2047", "0", "", ""],
      ]);
      expect(rows.slice(0, 3).every((row) => row[3] === "" && row[4] === "")).toBe(true);
      client.close();
      server.close();
    },
    TSHARK_TIMEOUT,
  );

  it(
    "reset() and a refused connect show as RST; IPv6 segments have good checksums",
    async () => {
      const net = new MemoryNetwork({ auto: false });
      const path = file("rst.pcap");
      const capture = net.capture(path);
      const [client, server] = await pair(net, socket.AF_INET6);
      client.send(Buffer.from("v6"));
      flushQueued(true);
      net.settle();
      net.reset(client);
      net.settle();
      const refused = net.socket().setblocking(false);
      refused.connectEx(["127.0.0.1", 9]);
      net.settle();
      capture.close();
      const read = readCapture(path, {
        fields: ["ipv6.src", "ip.src", "tcp.srcport", "tcp.flags"],
        expert: true,
      });
      const flags = read.rows.map((row) => row.filter((cell) => cell !== "").join(" "));
      expect(flags).toEqual([
        "::1 32768 0x0002", // SYN
        "::1 65432 0x0012", // SYN-ACK
        "::1 32768 0x0010", // ACK
        "::1 32768 0x0018", // PSH-ACK, 2 bytes
        "::1 65432 0x0010",
        "::1 32768 0x0014", // RST-ACK both ways: reset() breaks the connection on the way
        "::1 65432 0x0014",
        "127.0.0.1 32769 0x0002", // a connect to a port nobody listens on: SYN, then RST-ACK
        "127.0.0.1 9 0x0014",
      ]);
      expect(read.stderr).toBe("");
      expect(read.expert.filter((line) => line.startsWith("Errors"))).toEqual([]);
      for (const sock of [client, server, refused]) sock.close();
    },
    TSHARK_TIMEOUT,
  );

  it(
    "datagrams handed to the network's UDP hook are captured as UDP with good checksums",
    () => {
      const net = new MemoryNetwork({ auto: false });
      const path = file("udp.pcap");
      const capture = net.capture(path);
      net.datagramDelivered(
        { host: "127.0.0.1", port: 40000 },
        { host: "127.0.0.1", port: 9999 },
        Buffer.from("ping"),
      );
      net.datagramDelivered(
        { host: "::1", port: 9999 },
        { host: "::1", port: 40000 },
        Buffer.from("pong!"),
      );
      capture.close();
      const { rows } = readCapture(path, {
        fields: ["udp.srcport", "udp.dstport", "udp.length", "data.data", "udp.checksum.status"],
        extra: ["-o", "udp.check_checksum:TRUE"],
      });
      expect(rows).toEqual([
        ["40000", "9999", "12", Buffer.from("ping").toString("hex"), "1"],
        ["9999", "40000", "13", Buffer.from("pong!").toString("hex"), "1"],
      ]);
    },
    TSHARK_TIMEOUT,
  );

  it(
    "the memory network's UDP datagrams are captured as they arrive",
    () => {
      const net = new MemoryNetwork({ auto: false });
      const path = file("udp-sockets.pcap");
      const capture = net.capture(path);
      const u = net.socket(socket.AF_INET, socket.SOCK_DGRAM);
      u.bind(["127.0.0.1", 9999]);
      const v = net.socket(socket.AF_INET, socket.SOCK_DGRAM).setblocking(false);
      v.sendto(Buffer.from("ping"), ["127.0.0.1", 9999]);
      v.sendto(Buffer.from("lost"), ["127.0.0.1", 9998]); // nobody there: not delivered, still on the wire
      net.settle();
      capture.close();
      const [, port] = v.getsockname();
      expect(
        readCapture(path, {
          fields: ["udp.srcport", "udp.dstport", "data.data", "udp.checksum.status"],
          extra: ["-o", "udp.check_checksum:TRUE"],
        }).rows,
      ).toEqual([
        [String(port), "9999", Buffer.from("ping").toString("hex"), "1"],
        [String(port), "9998", Buffer.from("lost").toString("hex"), "1"],
      ]);
      u.close();
      v.close();
    },
    TSHARK_TIMEOUT,
  );

  it(
    "the dissector notes a malformed frame (expert info, group Malformed) and decodes the good one before it",
    async () => {
      const net = new MemoryNetwork({ auto: false });
      const path = file("malformed.pcap");
      const capture = net.capture(path);
      const [client, server] = await pair(net);
      const good = Buffer.from(
        '\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 36}{"action": "search", "value": "neo"}',
        "latin1",
      );
      client.send(Buffer.concat([good, Buffer.from('\x00\x05{"a":', "latin1")]));
      flushQueued(true);
      net.settle();
      capture.close();
      const read = readCapture(path, {
        fields: ["course.content_text"],
        filter: "course.content_text",
        expert: true,
      });
      expect(read.rows).toEqual([['{"action": "search", "value": "neo"}']]);
      expect(read.expert.filter((line) => line.includes("course"))).toEqual([
        "Errors Malformed COURSE Malformed course frame: the JSON header does not parse",
      ]);
      client.close();
      server.close();
    },
    TSHARK_TIMEOUT,
  );
});

/** The course's exchange on real loopback sockets, in this process: one connection per request. */
async function loopbackExchange(lsock: socket.BlockingSocket): Promise<string[]> {
  const quiet = { log: printer(true) };
  const sent: string[] = [];
  const address = lsock.getsockname();
  if (typeof address === "string") throw new TypeError("an AF_INET listener");
  const listener = lsock.setblocking(false);
  const serverSel = new DefaultSelector<libserver.Message | null>();
  serverSel.register(listener, EVENT_READ, null);
  const clientSel = new DefaultSelector<libclient.Message>();
  for (const [action, value] of REQUESTS.slice(0, 2)) {
    const sock = socket.socket().setblocking(false);
    sock.connectEx(address);
    const message = new libclient.Message(clientSel, sock, address, tourRequest(action, value), {
      log: printer(true),
    });
    clientSel.register(sock, EVENT_READ | EVENT_WRITE, message);
    for (let turn = 0; (clientSel.getMap()?.size ?? 0) > 0; turn++) {
      if (turn > 10_000) throw new Error("no answer");
      for (const [key, mask] of await serverSel.select(0.01)) {
        if (key.data === null) {
          const [conn, from] = listener.accept();
          const nb = conn.setblocking(false);
          serverSel.register(nb, EVENT_READ, new libserver.Message(serverSel, nb, from, quiet));
        } else key.data.processEvents(mask);
      }
      for (const [key, mask] of await clientSel.select(0.01)) key.data.processEvents(mask);
    }
    sent.push(JSON.stringify(message.response));
  }
  serverSel.close();
  clientSel.close();
  return sent;
}

const root = process.getuid?.() === 0;
describeNeeding("tshark", "the dissector on a capture of a real loopback run", () => {
  it.skipIf(!root)(
    `decodes what tshark -i lo captured of the course's exchange${root ? "" : " [skipped: capturing on lo needs root]"}`,
    async () => {
      const lsock = socket.socket();
      onTestFinished(() => {
        lsock.close();
      });
      lsock.bind(["127.0.0.1", 0]);
      await lsock.listen();
      const [, port] = lsock.getsockname();
      const path = file("loopback.pcapng");
      const capture = spawn(
        findTool("tshark") ?? "tshark",
        ["-i", "lo", "-f", `tcp port ${port}`, "-w", path, "-P", "-l"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let printed = "";
      onTestFinished(() => {
        if (capture.exitCode === null) capture.kill("SIGKILL");
      });
      // tshark takes seconds to start on a busy machine: the bound is generous.
      const seen = (pattern: RegExp, count: number): Promise<void> =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`tshark printed no ${String(pattern)}:\n${printed}`));
          }, 60_000);
          const check = (chunk: Buffer): void => {
            printed += chunk.toString();
            if ((printed.match(pattern) ?? []).length >= count) {
              clearTimeout(timer);
              resolve();
            }
          };
          capture.stdout.on("data", check);
          capture.stderr.on("data", check);
        });
      await seen(/Capture started/g, 1);
      const answers = await loopbackExchange(lsock);
      // Each connection ends with two FINs; the last one's ACK follows.
      await seen(/FIN/g, 4);
      const exited = new Promise((resolve) => capture.on("close", resolve));
      capture.kill("SIGINT");
      await exited;
      expect(answers).toHaveLength(2);
      // Each frame came in one segment, so the heuristic found the protocol on this port...
      const expected = [
        '{"action": "search", "value": "morpheus"}',
        '{"result": "Follow the white rabbit. \u{1f430}"}',
        '{"action": "search", "value": "ring"}',
        '{"result": "In the caves beneath the Misty Mountains. \u{1f48d}"}',
      ];
      expect(
        readCapture(path, { fields: ["course.content_text"], filter: "course" }).rows.map(
          ([text]) => text,
        ),
      ).toEqual(expected);
      const byPort = tshark([
        "-r",
        path,
        "-d",
        `tcp.port==${port},course`,
        "-Y",
        "course",
        "-T",
        "fields",
        "-e",
        "course.content_text",
      ]);
      // ...and Decode As (what a stream split in small segments needs on a port other than 65432) agrees.
      expect(byPort.stdout.trim().split("\n")).toEqual(expected);
    },
    TSHARK_TIMEOUT,
  );
});
