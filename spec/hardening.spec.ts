// The app-server's hardening (issue "Hardening"): its limits, keep-alive, quiet mode, and a fault suite. Every
// server is our demos/app-server.ts as a child process (tsx), on 127.0.0.1 and a free port; the clients are plain
// node:net sockets in this process (and, once, our demos/app-client.ts).
//
// 1. Limits, each shown to act, with its log line:
//    - `--max-content-length`: a header announcing one byte more than the limit is refused while only the header
//      has been sent; a frame at the limit is answered.
//    - `--max-connections 2`: a third connection gets no `Accepted connection` line while two are open; it is
//      accepted when one of them closes. (With 3, the same third connection is accepted at once.)
//    - `--idle-timeout 0.3`: a silent connection and a slow dribbler are closed with the line; a fast client beside
//      them gets its exact answer; with `--keep-alive`, the clock starts again once an answer is sent.
// 2. Keep-alive: our app-client sends 1000 requests on one connection (counted by a relay in this process); a raw
//    client pipelines 50 requests in one write and gets the 50 answers in order, byte for byte.
// 3. A fault suite against one `-q --idle-timeout 2` server, beside valid clients checked byte for byte; then the
//    server still serves, and its memory stayed bounded. Beside it, a connection reset while it waits to be
//    accepted: accept() still returns it, its first recv() reports the reset, and the server goes on.
//
// No test sleeps to wait for something: each waits for a line, a close, or bytes, bounded; "not yet" is checked
// at a moment another event defines. The only timers pace the dribbler (its bytes come 20 ms apart).
import { readdirSync, readFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";

import { describe, expect, it, onTestFinished } from "vitest";

import {
  connectWithRetry,
  freePort,
  HOST,
  localPortOf,
  readUntilClosed,
  type Ending,
} from "./helpers/ports.ts";
import { tsDemo, type Program } from "./helpers/process.ts";
import { loadVectors, type VectorPair } from "./helpers/vectors.ts";

const VECTORS = loadVectors();

/** A vector by name. */
function vector(name: string): VectorPair {
  const found = VECTORS.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
}

const MORPHEUS = vector("search-morpheus");

// ---------------------------------------------------------------------------------------------------------------
// Servers, connections, frames
// ---------------------------------------------------------------------------------------------------------------

/** Python's repr of a loopback address, as the server prints it. */
function addrOf(port: number): string {
  return `('127.0.0.1', ${String(port)})`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A pattern for exactly `line`. */
function exactly(line: string): RegExp {
  return new RegExp(`^${escapeRegExp(line)}$`);
}

/** Start app-server with `args` around `HOST PORT` (`before` goes before them, `after` after). */
async function startServer(
  before: readonly string[],
  after: readonly string[] = [],
): Promise<{ server: Program; port: number }> {
  const port = await freePort();
  const server = tsDemo("app-server", [...before, HOST, String(port), ...after]);
  expect(await server.waitForLine(/^Listening on /)).toBe(`Listening on ${addrOf(port)}`);
  return { server, port };
}

/** A connection to `port`, destroyed when the test finishes. */
async function connect(port: number): Promise<Socket> {
  const sock = await connectWithRetry(port, HOST, 10_000);
  onTestFinished(() => {
    sock.destroy();
  });
  return sock;
}

/** Write `data` and wait (bounded) until Node has handed it to the kernel. */
function write(sock: Socket, data: Uint8Array, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`write of ${String(data.length)} bytes not done within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.write(data, (err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Exactly `length` bytes from `sock` (more is an error), bounded; the connection stays open. */
function readBytes(sock: Socket, length: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error: Error | null): void => {
      clearTimeout(timer);
      sock.off("data", onData);
      sock.off("end", onEnd);
      sock.off("error", onEnd);
      if (error === null) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    const timer = setTimeout(() => {
      done(new Error(`${received} of ${length} bytes after ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received === length) done(null);
      else if (received > length) done(new Error(`${received} bytes, wanted ${length}`));
    };
    const onEnd = (): void => {
      done(new Error(`connection closed after ${received} of ${length} bytes`));
    };
    sock.on("data", onData);
    sock.once("end", onEnd);
    sock.once("error", onEnd);
  });
}

/** Frame `header` (text or bytes) and `content` as the wire format does (`>H` length, header, content). */
function frame(header: string | Buffer, content: string | Buffer = ""): Buffer {
  const headerBytes = typeof header === "string" ? Buffer.from(header) : header;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(headerBytes.length);
  return Buffer.concat([length, headerBytes, Buffer.from(content)]);
}

/** A JSON header as the course writes it, `content-length` as raw JSON text (so it can be `-1`, `"10"`, `null`). */
function jsonHeader(contentLength: string, contentEncoding = "utf-8", type = "text/json"): string {
  return (
    `{"byteorder": "little", "content-type": "${type}", "content-encoding": "${contentEncoding}", ` +
    `"content-length": ${contentLength}}`
  );
}

/** A `text/json` request frame for `content` (JSON text). */
function jsonRequest(content: string): Buffer {
  return frame(jsonHeader(String(Buffer.byteLength(content))), content);
}

/**
 * One connection's lines in a server's output: the lines naming its address, and the lines of its
 * `Main: Error: Exception for ADDR:` block (up to the blank line that ends the trace), with the traceback's
 * frames left out (its `Traceback (most recent call last):` line, `File ...` lines and source lines): the
 * exception line and its notes stay.
 */
function connectionLines(stdout: string, port: number): string[] {
  const addr = addrOf(port);
  const out: string[] = [];
  let inError = false;
  for (const line of stdout.split("\n")) {
    if (line === `Main: Error: Exception for ${addr}:`) {
      inError = true;
      out.push(line);
      continue;
    }
    if (inError) {
      if (line === "") inError = false;
      else if (!/^(?:Traceback \(most recent call last\):$| )/.test(line)) out.push(line);
      continue;
    }
    if (line.includes(addr)) out.push(line);
  }
  return out;
}

/** The `Accepted connection from` line of the connection from `port`. */
function acceptedLine(port: number): string {
  return `Accepted connection from ${addrOf(port)}`;
}

function closingLine(port: number): string {
  return `Closing connection to ${addrOf(port)}`;
}

function idleLine(seconds: string, port: number): string {
  return `Limit: idle-timeout (${seconds} s) for ${addrOf(port)}: no complete request in time`;
}

/** The index of `line` in `stdout`'s lines, or -1. */
function lineIndex(stdout: string, line: string): number {
  return stdout.split("\n").indexOf(line);
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Limits
// ---------------------------------------------------------------------------------------------------------------

describe("--max-content-length", () => {
  // search-morpheus.req has content-length 41: at the limit. One byte more is refused.
  const LIMIT = 41;

  it("refuses a frame one byte over the limit as soon as its header is in; answers one at the limit", async () => {
    const { server, port } = await startServer([], ["--max-content-length", String(LIMIT)]);

    // The header alone, announcing LIMIT + 1 bytes: the server must close before any content comes.
    const header = frame(jsonHeader(String(LIMIT + 1)));
    const over = await connect(port);
    const overPort = localPortOf(over);
    const overEnd = readUntilClosed(over);
    await write(over, header);
    const { data } = await overEnd;
    expect(data.length).toBe(0); // closed without an answer, and we never sent content
    await server.waitForLine(exactly(closingLine(overPort)));
    expect(connectionLines(server.stdout, overPort)).toEqual([
      acceptedLine(overPort),
      `Main: Error: Exception for ${addrOf(overPort)}:`,
      `ProtocolError [PROTOCOL_CONTENT_TOO_LONG]: Header 'content-length' is ${LIMIT + 1}, over the limit of ${LIMIT} bytes.`,
      closingLine(overPort),
    ]);

    // Exactly at the limit: answered as usual.
    expect(MORPHEUS.req.length - header.length).toBe(LIMIT);
    const at = await connect(port);
    const atEnd = readUntilClosed(at);
    await write(at, MORPHEUS.req);
    const answer = await atEnd;
    expect(answer.data.toString("hex")).toBe(MORPHEUS.res.toString("hex"));
    expect(answer.ending).toBe("eof");
    expect(server.stderr).toBe("");
  });
});

describe("--max-connections", () => {
  const LIMIT_LINE = (n: number): RegExp =>
    exactly(`Limit: max-connections (${n}) reached; new connections wait until one closes`);

  it("2: a third connection waits unserved until one of two idle ones closes", async () => {
    const { server, port } = await startServer([
      "--max-connections",
      "2",
      "--keep-alive",
      "--idle-timeout",
      "120",
    ]);
    const a = await connect(port);
    await server.waitForLine(exactly(acceptedLine(localPortOf(a))));
    const b = await connect(port);
    const bPort = localPortOf(b);
    await server.waitForLine(exactly(acceptedLine(bPort)));
    await server.waitForLine(LIMIT_LINE(2));

    // The kernel completes the third handshake (the listening socket is still listening), but the server does not
    // accept it.
    const c = await connect(port);
    const cPort = localPortOf(c);

    // A whole exchange on A after C connected: many turns of the server's loop, any of which would have accepted
    // C had the listening socket been in the selector. A stays open (keep-alive).
    const aAnswer = readBytes(a, MORPHEUS.res.length);
    await write(a, MORPHEUS.req);
    expect((await aAnswer).toString("hex")).toBe(MORPHEUS.res.toString("hex"));
    await server.waitForLine(new RegExp(`^Sending .* to ${escapeRegExp(addrOf(localPortOf(a)))}$`));
    expect(server.stdout).not.toContain(acceptedLine(cPort));

    // B closes between frames: C is accepted, and the limit is reached again.
    b.end();
    await server.waitForLine(exactly(acceptedLine(cPort)));
    await server.waitForLines(LIMIT_LINE(2), 2);
    const { stdout } = server;
    expect(lineIndex(stdout, closingLine(bPort))).toBeGreaterThan(-1);
    expect(lineIndex(stdout, acceptedLine(cPort))).toBeGreaterThan(
      lineIndex(stdout, closingLine(bPort)),
    );
    expect(connectionLines(stdout, bPort)).toEqual([acceptedLine(bPort), closingLine(bPort)]);

    // And C is served.
    const cAnswer = readBytes(c, MORPHEUS.res.length);
    await write(c, MORPHEUS.req);
    expect((await cAnswer).toString("hex")).toBe(MORPHEUS.res.toString("hex"));
    expect(server.stderr).toBe("");
  });

  it("3 (control): the same third connection is accepted while the first two are open", async () => {
    const { server, port } = await startServer([
      "--max-connections",
      "3",
      "--keep-alive",
      "--idle-timeout",
      "120",
    ]);
    const a = await connect(port);
    await server.waitForLine(exactly(acceptedLine(localPortOf(a))));
    const b = await connect(port);
    await server.waitForLine(exactly(acceptedLine(localPortOf(b))));
    expect(server.stdout).not.toMatch(/^Limit: /m);
    const c = await connect(port);
    await server.waitForLine(exactly(acceptedLine(localPortOf(c))));
    await server.waitForLine(LIMIT_LINE(3));
    expect(server.stdout).not.toMatch(/^Closing /m);
  });
});

/**
 * Send `bytes` one byte every `intervalMs` until all are sent or the connection ends. `sent()`: how many bytes
 * were handed to the socket so far.
 */
function dribble(sock: Socket, bytes: Buffer, intervalMs: number): { sent: () => number } {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= bytes.length || sock.destroyed || !sock.writable) {
      clearInterval(timer);
      return;
    }
    sock.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }, intervalMs);
  sock.once("close", () => {
    clearInterval(timer);
  });
  onTestFinished(() => {
    clearInterval(timer);
  });
  return { sent: () => sent };
}

describe("--idle-timeout", () => {
  it("0.3 s: a silent connection and a slow dribbler are closed with the line; a fast client beside them is answered", async () => {
    const { server, port } = await startServer([], ["--idle-timeout", "0.3"]);

    // Each clock starts before our connect: the server's starts at its accept, later, so what we measure is at
    // least what the server waited (a lower bound that holds under any load).
    const silentStart = performance.now();
    const silent = await connect(port);
    const silentPort = localPortOf(silent);
    const silentEnd = readUntilClosed(silent);

    // 1 byte every 20 ms: the frame would take about 3 s; its bytes keep coming, but no request completes.
    const dribblerStart = performance.now();
    const dribbler = await connect(port);
    const dribblerPort = localPortOf(dribbler);
    const dribblerEnd = readUntilClosed(dribbler);
    const dribbled = dribble(dribbler, MORPHEUS.req, 20);

    const fast = await connect(port);
    const fastPort = localPortOf(fast);
    const fastEnd = readUntilClosed(fast);
    await write(fast, vector("search-ring").req);
    const fastAnswer = await fastEnd;
    expect(fastAnswer.data.toString("hex")).toBe(vector("search-ring").res.toString("hex"));
    expect(fastAnswer.ending).toBe("eof");

    const closedSilent = await silentEnd;
    const silentElapsed = performance.now() - silentStart;
    const closedDribbler = await dribblerEnd;
    const dribblerElapsed = performance.now() - dribblerStart;
    expect(closedSilent.data.length).toBe(0);
    expect(closedDribbler.data.length).toBe(0);
    // Not before the timeout, which runs from the accept (the rule: a complete request within 0.3 s of being
    // ready for one; the dribbler's bytes do not restart it). Not long after it either: the server checks four
    // times per timeout; 2 s is generous, and fails a timeout read as 3 s or never applied.
    expect(silentElapsed).toBeGreaterThanOrEqual(300);
    expect(silentElapsed).toBeLessThan(2000);
    expect(dribblerElapsed).toBeGreaterThanOrEqual(300);
    expect(dribblerElapsed).toBeLessThan(2000);
    // The dribbler was sending, and was cut off before its frame was complete.
    expect(dribbled.sent()).toBeGreaterThanOrEqual(2);
    expect(dribbled.sent()).toBeLessThan(MORPHEUS.req.length);

    for (const p of [silentPort, dribblerPort]) {
      await server.waitForLine(exactly(closingLine(p)));
      expect(connectionLines(server.stdout, p)).toEqual([
        acceptedLine(p),
        idleLine("0.3", p),
        closingLine(p),
      ]);
    }
    await server.waitForLine(exactly(closingLine(fastPort)));
    const fastLines = connectionLines(server.stdout, fastPort);
    expect(fastLines[0]).toBe(acceptedLine(fastPort));
    expect(fastLines.at(-1)).toBe(closingLine(fastPort));
    expect(fastLines.join("\n")).not.toMatch(/Limit|Error/);
    expect(server.stderr).toBe("");
  });

  it("0.3 s with --keep-alive: each answer sent starts the clock again", async () => {
    const { server, port } = await startServer(["--keep-alive", "--idle-timeout", "0.3"]);
    const sock = await connect(port);
    const p = localPortOf(sock);
    const start = performance.now();
    // Requests back to back, each as soon as the previous answer is in, for twice the timeout: a connection
    // whose clock ran from its accept would be closed half-way.
    let requests = 0;
    let lastRequestAt = start;
    while (performance.now() - start < 600) {
      const answer = readBytes(sock, MORPHEUS.res.length);
      lastRequestAt = performance.now();
      await write(sock, MORPHEUS.req);
      expect((await answer).toString("hex"), `answer ${requests}`).toBe(
        MORPHEUS.res.toString("hex"),
      );
      requests += 1;
    }
    // Then silence: closed, not before the timeout has run from the last answer sent (measured from before the
    // last request was written, which the answer follows: a lower bound that holds under any load), and not long
    // after it (2 s, generous).
    const { data } = await readUntilClosed(sock);
    const silence = performance.now() - lastRequestAt;
    expect(data.length).toBe(0);
    expect(silence).toBeGreaterThanOrEqual(300);
    expect(silence).toBeLessThan(2000);
    await server.waitForLine(exactly(closingLine(p)));
    const lines = connectionLines(server.stdout, p);
    expect(lines).toHaveLength(1 + 2 * requests + 2);
    expect(lines[0]).toBe(acceptedLine(p));
    expect(lines.filter((line) => line.startsWith("Received request "))).toHaveLength(requests);
    expect(lines.slice(-2)).toEqual([idleLine("0.3", p), closingLine(p)]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. Keep-alive
// ---------------------------------------------------------------------------------------------------------------

/**
 * A relay on a free loopback port to `port`, counting what goes through it: the bytes each way and the
 * connections. Closed when the test finishes.
 */
async function countingRelay(port: number): Promise<{
  port: number;
  connections: () => number;
  toServer: () => Buffer;
  toClient: () => Buffer;
  closed: Promise<void>;
}> {
  let connections = 0;
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  let markClosed = (): void => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const relay = createServer((client) => {
    connections += 1;
    const server = createConnection({ host: HOST, port });
    client.on("data", (chunk: Buffer) => up.push(chunk));
    server.on("data", (chunk: Buffer) => down.push(chunk));
    client.pipe(server);
    server.pipe(client);
    const destroyBoth = (): void => {
      client.destroy();
      server.destroy();
    };
    client.on("error", destroyBoth);
    server.on("error", destroyBoth);
    let open = 2;
    const onClose = (): void => {
      open -= 1;
      if (open === 0) markClosed();
    };
    client.on("close", onClose);
    server.on("close", onClose);
  });
  onTestFinished(() => {
    relay.close();
  });
  await new Promise<void>((resolve, reject) => {
    relay.once("error", reject);
    relay.listen(0, HOST, () => {
      resolve();
    });
  });
  const address = relay.address();
  if (address === null || typeof address === "string") throw new Error("relay: no port");
  return {
    port: address.port,
    connections: () => connections,
    toServer: () => Buffer.concat(up),
    toClient: () => Buffer.concat(down),
    closed,
  };
}

describe("--keep-alive", () => {
  it("app-client --keep-alive --repeat 1000 -q against app-server --keep-alive -q: 1000 exchanges on one connection, exit 0", async () => {
    const { server, port } = await startServer(["--keep-alive", "-q"]);
    const relay = await countingRelay(port);
    const client = tsDemo("app-client", [
      HOST,
      String(relay.port),
      "search",
      "morpheus",
      "--keep-alive",
      "--repeat",
      "1000",
      "-q",
    ]);
    // About a second on an idle machine; each of the 1000 round trips wakes three processes four times, so on a
    // loaded one it is the scheduler's latency that adds up (past 15 s with the machine's two cores shared).
    const exit = await client.waitForExit(60_000);
    expect(exit.stderr).toBe("");
    expect(exit.stdout).toBe("");
    expect(exit.code).toBe(0);
    await relay.closed;
    expect(relay.connections()).toBe(1);
    const n = 1000;
    expect(relay.toServer().equals(Buffer.concat(Array<Buffer>(n).fill(MORPHEUS.req)))).toBe(true);
    expect(relay.toClient().equals(Buffer.concat(Array<Buffer>(n).fill(MORPHEUS.res)))).toBe(true);
    // Quiet: no per-message lines, no error.
    expect(server.stdout).toBe(`Listening on ${addrOf(port)}\n`);
    expect(server.stderr).toBe("");
  }, 90_000);

  it("50 requests pipelined in one write: 50 answers in order, byte for byte; then our close is just a close", async () => {
    const { server, port } = await startServer(["--keep-alive"]);
    const requests = Array.from({ length: 50 }, (_, i) => VECTORS[i % VECTORS.length]);
    const sock = await connect(port);
    const p = localPortOf(sock);
    const expected = Buffer.concat(requests.map((v) => v?.res ?? Buffer.alloc(0)));
    const answers = readBytes(sock, expected.length);
    await write(sock, Buffer.concat(requests.map((v) => v?.req ?? Buffer.alloc(0))));
    expect((await answers).toString("hex")).toBe(expected.toString("hex"));

    const ended = readUntilClosed(sock);
    sock.end();
    const { data, ending } = await ended;
    expect(data.length).toBe(0);
    expect(ending).toBe("eof");
    await server.waitForLine(exactly(closingLine(p)));
    const lines = connectionLines(server.stdout, p);
    expect(lines).toHaveLength(2 + 2 * 50);
    expect(lines[0]).toBe(acceptedLine(p));
    requests.forEach((v, i) => {
      const received =
        v?.name === "binary"
          ? /^Received binary\/custom-client-binary-type request from /
          : /^Received request \{.*\} from /;
      expect(lines[1 + 2 * i], `request ${i} (${String(v?.name)})`).toMatch(received);
      expect(lines[2 + 2 * i], `answer ${i}`).toMatch(/^Sending b'/);
    });
    expect(lines.at(-1)).toBe(closingLine(p));
    expect(server.stdout).not.toMatch(/^Main: Error/m);
    expect(server.stderr).toBe("");
  });

  it("a peer that closes in the middle of its second frame: first answered, then 'Peer closed.'", async () => {
    const { server, port } = await startServer(["--keep-alive"]);
    const sock = await connect(port);
    const p = localPortOf(sock);
    const ended = readUntilClosed(sock);
    await write(sock, Buffer.concat([MORPHEUS.req, MORPHEUS.req.subarray(0, 20)]));
    sock.end();
    const { data } = await ended;
    expect(data.toString("hex")).toBe(MORPHEUS.res.toString("hex"));
    await server.waitForLine(exactly(closingLine(p)));
    const lines = connectionLines(server.stdout, p);
    expect(lines.slice(3)).toEqual([
      `Main: Error: Exception for ${addrOf(p)}:`,
      "RuntimeError: Peer closed.",
      closingLine(p),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 3. Faults
// ---------------------------------------------------------------------------------------------------------------

/** How a fault's connection should end, and what the server should print for it (its error's first line). */
interface Fault {
  readonly what: string;
  /** What the client sends, in order (each a separate write). */
  readonly send: readonly Buffer[];
  /** After sending: half-close (`end`), reset (`reset`), or nothing (wait for the server). */
  readonly then: "end" | "reset" | "wait";
  /** The answer expected (byte for byte), or `null`: closed without one. */
  readonly answer: Buffer | null;
  /** The first line of the server's error block for this connection; `null`: no error block. */
  readonly error: RegExp | null;
}

/** A small deterministic generator (mulberry32), so the "random" bytes are the same each run. */
function randomBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

const protocolError = (code: string): RegExp => new RegExp(`^ProtocolError \\[${code}\\]: `);
const PEER_CLOSED = /^RuntimeError: Peer closed\.$/;

/** Content after a huge header: if the server buffered it, its memory would show. Shared by those faults. */
const FLOOD = Buffer.alloc(64 * 1024 * 1024, 0x61);

const MISSING_KEYS = ["byteorder", "content-length", "content-type", "content-encoding"] as const;

/** A JSON header with all four keys but `without`. */
function headerWithout(without: string): string {
  const all: Record<string, unknown> = {
    byteorder: "little",
    "content-type": "text/json",
    "content-encoding": "utf-8",
    "content-length": 2,
  };
  return JSON.stringify(Object.fromEntries(Object.entries(all).filter(([k]) => k !== without)));
}

const FAULTS: readonly Fault[] = [
  ...[1, 2, 3, 4, 5, 6].map((seed): Fault => ({
    what: `random bytes (seed ${seed}), then close`,
    send: [randomBytes(seed, 200 * seed)],
    then: "end",
    answer: null,
    error: /^(ProtocolError \[PROTOCOL_[A-Z_]+\]: |RuntimeError: Peer closed\.$)/,
  })),
  ...[1, 2, 40, 104, 140].map((cut): Fault => ({
    what: `search-morpheus cut after ${cut} bytes, then close`,
    send: [MORPHEUS.req.subarray(0, cut)],
    then: "end",
    answer: null,
    error: PEER_CLOSED,
  })),
  {
    what: "a header length of 0",
    send: [Buffer.from([0, 0])],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_EMPTY_HEADER"),
  },
  {
    what: "a header length of 500 and 10 bytes of it, then close",
    send: [Buffer.concat([Buffer.from([1, 0xf4]), Buffer.from('{"byteorde')])],
    then: "end",
    answer: null,
    error: PEER_CLOSED,
  },
  ...["[]", '"header"', "1", "null"].map((json): Fault => ({
    what: `a JSON header that is not an object (${json})`,
    send: [frame(json)],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_HEADER_NOT_OBJECT"),
  })),
  ...MISSING_KEYS.map((key): Fault => ({
    what: `a JSON header without ${key}`,
    send: [frame(headerWithout(key), "{}")],
    then: "wait",
    answer: null,
    error: new RegExp(
      `^ProtocolError \\[PROTOCOL_MISSING_HEADER\\]: Missing required header '${key}'\\.$`,
    ),
  })),
  {
    what: "a JSON header that is not JSON",
    send: [frame("{byteorder: little}")],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_INVALID_JSON"),
  },
  ...["-1", "1.5", '"10"', "null", "1e300", "9007199254740992"].map((length): Fault => ({
    what: `content-length ${length}`,
    send: [frame(jsonHeader(length), "{}")],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_INVALID_CONTENT_LENGTH"),
  })),
  ...[String(16 * 1024 * 1024 + 1), "9007199254740991", "1073741824"].map((length): Fault => ({
    what: `content-length ${length} (over the default 16 MiB), then 64 MiB of content`,
    send: [frame(jsonHeader(length)), FLOOD],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_CONTENT_TOO_LONG"),
  })),
  {
    what: "invalid UTF-8 in the JSON header",
    send: [frame(Buffer.from('{"byteorder": "\xff\xfe"}', "latin1"))],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_INVALID_UTF8"),
  },
  {
    what: "invalid UTF-8 in text/json content",
    send: [frame(jsonHeader("4"), Buffer.from([0x22, 0xc3, 0x28, 0x22]))],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_INVALID_UTF8"),
  },
  {
    what: "text/json content that is not JSON",
    send: [frame(jsonHeader("3"), "{x}")],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_INVALID_JSON"),
  },
  {
    what: "an unknown content-encoding (rot13) on text/json",
    send: [frame(jsonHeader("2", "rot13"), "{}")],
    then: "wait",
    answer: null,
    error: protocolError("PROTOCOL_UNKNOWN_ENCODING"),
  },
  {
    what: "a search whose value is a list",
    send: [jsonRequest('{"action": "search", "value": [1, 2]}')],
    then: "wait",
    answer: null,
    error: /^TypeError: unhashable type: 'list'$/,
  },
  {
    what: "JSON content that is a list",
    send: [jsonRequest("[1]")],
    then: "wait",
    answer: null,
    error: /^AttributeError: 'list' object has no attribute 'get'$/,
  },
  {
    what: "JSON content without action (answered, as the course answers it)",
    send: [jsonRequest('{"value": "x"}')],
    then: "wait",
    answer: jsonRequest(`{"result": "Error: invalid action 'None'."}`),
    error: null,
  },
  {
    what: "a reset in the middle of a frame",
    send: [MORPHEUS.req.subarray(0, 60)],
    then: "reset",
    answer: null,
    // Python on Linux raises ConnectionResetError here. Node (libuv) mostly reports a reset that follows data as
    // an end of stream, so the server usually sees "Peer closed.".
    error:
      /^(ConnectionResetError: \[Errno 104\] Connection reset by peer|RuntimeError: Peer closed\.)$/,
  },
  ...VECTORS.map((v): Fault => ({
    what: `${v.name}, then half-close: still answered`,
    send: [v.req],
    then: "end",
    answer: v.res,
    error: null,
  })),
];

/**
 * Run one fault on a new connection; resolves its local port and how the connection ended (`null` for a reset:
 * we destroyed our side).
 *
 * A reset is sent only once the server has accepted the connection: a witness connection, made after it, must
 * be answered first (the server accepts in order). A connection reset before it is accepted is another case, see
 * below.
 */
async function runFault(
  port: number,
  fault: Fault,
): Promise<{ port: number; ending: Ending | null; witness?: ValidResult }> {
  const sock = await connect(port);
  const local = localPortOf(sock);
  const ended = readUntilClosed(sock, 15_000);
  const witness = fault.then === "reset" ? await runValid(port, MORPHEUS) : undefined;
  try {
    for (const bytes of fault.send) await write(sock, bytes);
  } catch {
    // The server closed while we were still sending (the flood after a refused header): `ended` says how.
  }
  if (fault.then === "end") sock.end();
  if (fault.then === "reset") {
    sock.resetAndDestroy();
    ended.catch(() => undefined);
    return { port: local, ending: null, ...(witness && { witness }) };
  }
  return { port: local, ending: await ended };
}

/** What a valid client got. */
interface ValidResult {
  readonly port: number;
  readonly vector: VectorPair;
  readonly data: Buffer;
}

/** A valid client: `v.req` in two writes, the answer read to the end. */
async function runValid(port: number, v: VectorPair): Promise<ValidResult> {
  const sock = await connect(port);
  const local = localPortOf(sock);
  const ended = readUntilClosed(sock, 15_000);
  const half = Math.floor(v.req.length / 2);
  await write(sock, v.req.subarray(0, half));
  await write(sock, v.req.subarray(half));
  const { data } = await ended;
  return { port: local, vector: v, data };
}

/**
 * The node process that runs the demo `app-server` on `port`: our child (`tsDemo`), or, when our child is the
 * `tsx` command, the child it runs the demo in.
 */
function demoPid(port: number): number {
  const cmdline = (pid: string): string[] => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      return [];
    }
  };
  const parentOf = (pid: string): number => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return Number(/^PPid:\s*(\d+)$/m.exec(status)?.[1] ?? -1);
    } catch {
      return -1;
    }
  };
  const isServer = (pid: string): boolean => {
    const args = cmdline(pid);
    return args.some((arg) => arg.endsWith("demos/app-server.ts")) && args.includes(String(port));
  };
  const ours = readdirSync("/proc").filter(
    (pid) => /^\d+$/.test(pid) && parentOf(pid) === process.pid && isServer(pid),
  );
  const [child] = ours;
  if (ours.length !== 1 || child === undefined) {
    throw new Error(`expected one child for port ${port}, found ${ours.join()}`);
  }
  const grandchildren = readdirSync(`/proc/${child}/task`).flatMap((task) =>
    readFileSync(`/proc/${child}/task/${task}/children`, "utf8").trim().split(/\s+/),
  );
  const demo = grandchildren.filter((pid) => pid !== "" && isServer(pid));
  if (demo.length > 1)
    throw new Error(`expected one demo process under ${child}, found ${demo.join()}`);
  return Number(demo[0] ?? child);
}

/** A `/proc/PID/status` field in kB (VmRSS, VmHWM), as MiB. */
function statusMiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = new RegExp(`^${field}:\\s*(\\d+) kB$`, "m").exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/**
 * Bound on the demo's memory (VmHWM, the peak resident set of its node process). Measured: the demo sits at about
 * 80-90 MiB (node, tsx's loader, the server), and stays there through this suite. The suite offers it 3 × 64 MiB
 * of content behind refused headers; with the limit lifted (`--max-content-length 9007199254740991`) the same
 * three connections took it past 235 MiB within seconds. 200 MiB leaves room for the garbage collector's slack and
 * fails if that content is kept.
 */
const RSS_BOUND_MIB = 200;

/** One connection attempt, no retry (for a server that may have died): rejects on error, bounded. */
function connectOnce(port: number, timeoutMs = 5_000): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const sock = createConnection({ host: HOST, port });
    onTestFinished(() => {
      sock.destroy();
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connect to ${port} not done within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.once("connect", () => {
      clearTimeout(timer);
      resolve(sock);
    });
  });
}

describe("a connection reset while it waits to be accepted", () => {
  // Linux's accept() returns such a connection (with its address); its first recv() reports the reset. Python's
  // course server prints that error and goes on; so does ours. One difference, documented at acceptNow() in
  // lib/python/socket-calls.ts: our accept() asks for the peer's address when the program accepts, and a
  // connection reset before then has none left to give, so it is reported as ('0.0.0.0', 0), where Python on
  // Linux prints the address it came from (checked with python3 here: ('127.0.0.1', <its port>)).
  it("the server accepts it, reports the reset, and goes on serving", async () => {
    const { server, port } = await startServer(["--max-connections", "1"]);
    const a = await connect(port);
    const aPort = localPortOf(a);
    await server.waitForLine(exactly(acceptedLine(aPort)));
    await server.waitForLine(/^Limit: max-connections \(1\) reached/);
    // C waits in the backlog (the listening socket is out of the selector); it resets there.
    const c = await connect(port);
    c.resetAndDestroy();
    // A leaves (its reset-free close comes after C's reset); the server then accepts C.
    const aEnd = readUntilClosed(a);
    a.end();
    await aEnd;
    await server.waitForLine(exactly(closingLine(aPort)));
    const d = await connectOnce(port);
    const dPort = localPortOf(d);
    const dEnd = readUntilClosed(d);
    await write(d, MORPHEUS.req);
    const { data } = await dEnd;
    expect(data.toString("hex"), server.stdout + server.stderr).toBe(MORPHEUS.res.toString("hex"));
    await server.waitForLine(exactly(closingLine(dPort)));

    // C's report: what the server printed between A's close and D's accept, traceback frames left out.
    const lines = server.stdout.split("\n");
    const cLines = lines
      .slice(lines.indexOf(closingLine(aPort)) + 1, lines.indexOf(acceptedLine(dPort)))
      .filter((line) => line !== "" && !/^(?:Traceback \(most recent call last\):$| )/.test(line));
    const cAddr = "('0.0.0.0', 0)"; // Python on Linux: C's own address (see above)
    expect(cLines, server.stdout).toEqual([
      `Accepted connection from ${cAddr}`,
      "Limit: max-connections (1) reached; new connections wait until one closes",
      `Main: Error: Exception for ${cAddr}:`,
      "ConnectionResetError: [Errno 104] Connection reset by peer",
      `Closing connection to ${cAddr}`,
    ]);
    expect(server.stderr).toBe("");
  });
});

describe("faults, beside valid clients (app-server -q --idle-timeout 2)", () => {
  it(`survives ${FAULTS.length} faults: valid clients answered byte for byte, errors printed, still serving, memory under ${RSS_BOUND_MIB} MiB`, async () => {
    const { server, port } = await startServer(["-q", "--idle-timeout", "2"]);
    const pid = demoPid(port);
    const rssBefore = statusMiB(pid, "VmRSS");

    const valids = VECTORS.flatMap((v) => [v, v, v]);
    const [faultResults, validResults] = await Promise.all([
      Promise.all(FAULTS.map((fault) => runFault(port, fault))),
      Promise.all(valids.map((v) => runValid(port, v))),
    ]);

    const witnesses = faultResults.flatMap(({ witness }) => (witness ? [witness] : []));
    expect(witnesses).toHaveLength(FAULTS.filter((f) => f.then === "reset").length);
    for (const { port: p, vector: v, data } of [...validResults, ...witnesses]) {
      expect(data.toString("hex"), `valid client ${p} (${v.name})`).toBe(v.res.toString("hex"));
    }
    faultResults.forEach(({ ending }, i) => {
      const fault = FAULTS[i];
      if (fault === undefined || ending === null) return;
      const expected = fault.answer ?? Buffer.alloc(0);
      expect(ending.data.toString("hex"), fault.what).toBe(expected.toString("hex"));
    });

    // Still serving.
    const last = await runValid(port, vector("bad-action"));
    expect(last.data.toString("hex")).toBe(vector("bad-action").res.toString("hex"));

    const rssAfter = statusMiB(pid, "VmRSS");
    const peak = statusMiB(pid, "VmHWM");
    expect(
      peak,
      `VmHWM ${peak.toFixed(1)} MiB (VmRSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MiB)`,
    ).toBeLessThan(RSS_BOUND_MIB);

    // Ctrl-C, so that everything the server printed is in.
    server.signal("SIGINT");
    const exit = await server.waitForExit();
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    const lines = exit.stdout.split("\n");
    expect(lines[0]).toBe(`Listening on ${addrOf(port)}`);
    expect(lines.at(-2)).toBe("Caught keyboard interrupt, exiting");
    // Quiet: none of the per-message lines.
    expect(exit.stdout).not.toMatch(/^(Accepted|Received|Sending|Closing) /m);

    faultResults.forEach(({ port: p }, i) => {
      const fault = FAULTS[i];
      if (fault === undefined) return;
      const printed = connectionLines(exit.stdout, p);
      if (fault.error === null) {
        expect(printed, fault.what).toEqual([]);
      } else {
        expect(printed[0], fault.what).toBe(`Main: Error: Exception for ${addrOf(p)}:`);
        expect(printed[1], fault.what).toMatch(fault.error);
      }
    });
    for (const { port: p } of [...validResults, ...witnesses, last]) {
      expect(connectionLines(exit.stdout, p)).toEqual([]);
    }
    // Every error block belongs to a fault: one per fault with an error, nothing else.
    const blocks = lines.filter((line) => line.startsWith("Main: Error: Exception for "));
    expect(blocks).toHaveLength(FAULTS.filter((f) => f.error !== null).length);
  });
});
