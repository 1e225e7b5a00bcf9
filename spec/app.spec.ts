// The course's application protocol, byte-exact and interoperable with Python: our demos/app-client.ts and
// demos/app-server.ts (child processes, `tsDemo`) and lib/app/libserver.ts's Message (in-process, on a real
// DefaultSelector and loopback sockets from lib/python/socket.ts).
//
// 1. Wire vectors (spec/fixtures/vectors): our client sends exactly NAME.req and prints the course's lines for
//    NAME.res; our server answers NAME.req with exactly NAME.res and prints the course's lines.
// 2. A request delivered one byte at a time, and two requests in one chunk (in-process).
// 3. Malformed requests against one running app-server, each beside a valid client that must still be served.
// 4. The transcripts (spec/fixtures/transcripts), ports masked.
// 5. Interop with the Python peers (spec/peers), both ways; skipped without python3. And a refused connection.
//
// The expected lines below are what the course's Python programs print (taken from the Python peers, which
// spec/peers/peers.spec.ts checks against the transcripts and vectors); a test below also checks them against
// the transcripts. ADDR stands for the address of the connection, `('127.0.0.1', PORT)`.
import { createServer, type Socket } from "node:net";

import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { ConnectionResetError } from "../lib/python/errors.ts";
import * as libserver from "../lib/app/libserver.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { repr } from "../lib/python/repr.ts";
import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { printer } from "../lib/python/print.ts";
import { traceback } from "../lib/python/traceback.ts";
import {
  connectWithRetry,
  freePort,
  HOST,
  localPortOf,
  readToEnd,
  readUntilClosed,
} from "./helpers/ports.ts";
import { describeNeeding } from "./helpers/needs-tool.ts";
import {
  loadTranscript,
  loadVector,
  maskPorts,
  pythonPeer,
  tsDemo,
  type Program,
  type SpawnOptions,
} from "./helpers/process.ts";
import { loadVectors } from "./helpers/vectors.ts";

// ---------------------------------------------------------------------------------------------------------------
// What the course prints
// ---------------------------------------------------------------------------------------------------------------

/** Placeholder for a connection's address in the expected lines. */
const ADDR = "<ADDR>";

/**
 * Placeholder for a traceback's frames: its `Traceback (most recent call last):` line, `File ...` lines and
 * source lines (see {@link connectionLines}).
 */
const STACK = "Traceback (most recent call last): …";

/** The command line (ACTION VALUE) with which app-client sends each vector's request. */
const CLIENT_COMMANDS: Readonly<Record<string, readonly [action: string, value: string]>> = {
  "search-morpheus": ["search", "morpheus"],
  "search-ring": ["search", "ring"],
  "search-dog": ["search", "🐶"],
  "search-miss": ["search", 'neo "the one"'],
  // Any other action is sent as binary: the content is the UTF-8 bytes of ACTION + VALUE.
  binary: ["double", "🐶 trouble"],
  // bad-action.req is text/json with action "find": app-client sends a non-search action as binary, so only a
  // server ever sees it.
};

interface VectorLines {
  /** The server's lines between `Accepted connection from ADDR` and `Closing connection to ADDR`. */
  readonly server: readonly string[];
  /** The client's lines between `Starting connection to ADDR` and `Closing connection to ADDR`. */
  readonly client?: readonly string[];
}

/** What the course's programs print for each vector's exchange. */
const VECTOR_LINES: Readonly<Record<string, VectorLines>> = {
  "bad-action": {
    server: [
      String.raw`Received request {'action': 'find', 'value': 'x'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Error: invalid action \'find\'."}' to ${ADDR}`,
    ],
  },
  binary: {
    server: [
      String.raw`Received binary/custom-client-binary-type request from ${ADDR}`,
      String.raw`Sending b'\x00\x7f{"byteorder": "little", "content-type": "binary/custom-server-binary-type", "content-encoding": "binary", "content-length": 37}First 10 bytes of request: double\xf0\x9f\x90\xb6' to ${ADDR}`,
    ],
    client: [
      String.raw`Sending b'\x00\x7f{"byteorder": "little", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": 18}double\xf0\x9f\x90\xb6 trouble' to ${ADDR}`,
      String.raw`Received binary/custom-server-binary-type response from ${ADDR}`,
      String.raw`Got response: b'First 10 bytes of request: double\xf0\x9f\x90\xb6'`,
    ],
  },
  "search-dog": {
    server: [
      String.raw`Received request {'action': 'search', 'value': '🐶'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37}{"result": "\xf0\x9f\x90\xbe Playing ball! \xf0\x9f\x8f\x90"}' to ${ADDR}`,
    ],
    client: [
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37}{"action": "search", "value": "\xf0\x9f\x90\xb6"}' to ${ADDR}`,
      String.raw`Received response {'result': '🐾 Playing ball! 🏐'} from ${ADDR}`,
      String.raw`Got result: 🐾 Playing ball! 🏐`,
    ],
  },
  "search-miss": {
    server: [
      String.raw`Received request {'action': 'search', 'value': 'neo "the one"'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 45}{"result": "No match for \'neo \\"the one\\"\'."}' to ${ADDR}`,
    ],
    client: [
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 48}{"action": "search", "value": "neo \\"the one\\""}' to ${ADDR}`,
      String.raw`Received response {'result': 'No match for \'neo "the one"\'.'} from ${ADDR}`,
      String.raw`Got result: No match for 'neo "the one"'.`,
    ],
  },
  "search-morpheus": {
    server: [
      String.raw`Received request {'action': 'search', 'value': 'morpheus'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Follow the white rabbit. \xf0\x9f\x90\xb0"}' to ${ADDR}`,
    ],
    client: [
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}{"action": "search", "value": "morpheus"}' to ${ADDR}`,
      String.raw`Received response {'result': 'Follow the white rabbit. 🐰'} from ${ADDR}`,
      String.raw`Got result: Follow the white rabbit. 🐰`,
    ],
  },
  "search-ring": {
    server: [
      String.raw`Received request {'action': 'search', 'value': 'ring'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 60}{"result": "In the caves beneath the Misty Mountains. \xf0\x9f\x92\x8d"}' to ${ADDR}`,
    ],
    client: [
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37}{"action": "search", "value": "ring"}' to ${ADDR}`,
      String.raw`Received response {'result': 'In the caves beneath the Misty Mountains. 💍'} from ${ADDR}`,
      String.raw`Got result: In the caves beneath the Misty Mountains. 💍`,
    ],
  },
};

/**
 * Well-formed requests beyond the vectors, where Python's printing of the decoded JSON shows: a list is printed
 * `[1, 'a']`, a missing key is `None`. The request content, the response content and the server's lines, as the
 * course's server writes them (checked against the Python peer in part 5).
 */
const UNUSUAL_REQUESTS: readonly {
  readonly request: string;
  readonly response: string;
  readonly server: readonly string[];
}[] = [
  {
    request: String.raw`{"action": [1, "a"], "value": "x"}`,
    response: String.raw`{"result": "Error: invalid action '[1, 'a']'."}`,
    server: [
      String.raw`Received request {'action': [1, 'a'], 'value': 'x'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 47}{"result": "Error: invalid action \'[1, \'a\']\'."}' to ${ADDR}`,
    ],
  },
  {
    request: String.raw`{"action": "search", "value": 7}`,
    response: String.raw`{"result": "No match for '7'."}`,
    server: [
      String.raw`Received request {'action': 'search', 'value': 7} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 31}{"result": "No match for \'7\'."}' to ${ADDR}`,
    ],
  },
  {
    request: String.raw`{"action": "search"}`,
    response: String.raw`{"result": "No match for 'None'."}`,
    server: [
      String.raw`Received request {'action': 'search'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 34}{"result": "No match for \'None\'."}' to ${ADDR}`,
    ],
  },
  {
    request: String.raw`{"value": "x"}`,
    response: String.raw`{"result": "Error: invalid action 'None'."}`,
    server: [
      String.raw`Received request {'value': 'x'} from ${ADDR}`,
      String.raw`Sending b'\x00g{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 43}{"result": "Error: invalid action \'None\'."}' to ${ADDR}`,
    ],
  },
];

const VECTORS = loadVectors();
const CLIENT_VECTORS = VECTORS.filter(({ name }) => Object.hasOwn(CLIENT_COMMANDS, name));

/** The four requests of the transcripts (spec/fixtures/transcripts/app-*.txt), in their order. */
const TRANSCRIPT_REQUESTS: readonly (readonly [string, string])[] = [
  ["search", "morpheus"],
  ["search", "🐶"],
  ["search", "neo"],
  ["find", "x"],
];

function addrOf(port: number): string {
  return `('127.0.0.1', ${String(port)})`;
}

function fill(lines: readonly string[], port: number): string[] {
  return lines.map((line) => line.replaceAll(ADDR, addrOf(port)));
}

function linesOf(name: string): VectorLines {
  const lines = VECTOR_LINES[name];
  if (lines === undefined) throw new Error(`no expected lines for vector ${name}`);
  return lines;
}

function commandOf(name: string): readonly [string, string] {
  const command = CLIENT_COMMANDS[name];
  if (command === undefined) throw new Error(`app-client cannot send vector ${name}`);
  return command;
}

/** The whole output of app-client sending vector `name` to a server on `serverPort`. */
function clientOutput(name: string, serverPort: number): string {
  const { client } = linesOf(name);
  if (client === undefined) throw new Error(`no client lines for vector ${name}`);
  const lines = [`Starting connection to ${ADDR}`, ...client, `Closing connection to ${ADDR}`];
  return `${fill(lines, serverPort).join("\n")}\n`;
}

/** The server's lines for one connection that sent vector `name`, from `Accepted` to `Closing`. */
function serverConnection(name: string, clientPort: number): string[] {
  const lines = [
    `Accepted connection from ${ADDR}`,
    ...linesOf(name).server,
    `Closing connection to ${ADDR}`,
  ];
  return fill(lines, clientPort);
}

/**
 * One connection's lines in a server's output: the lines naming its address, and the lines of its
 * `Main: Error: Exception for ADDR:` block (printed in one go, up to its `Closing connection to ADDR`), with a
 * traceback's frames shown as one {@link STACK} line.
 */
function connectionLines(stdout: string, port: number): string[] {
  const addr = addrOf(port);
  const out: string[] = [];
  let inError = false;
  for (const line of stdout.split("\n")) {
    if (line === `Main: Error: Exception for ${addr}:`) inError = true;
    if (!inError && !line.includes(addr)) continue;
    if (line === `Closing connection to ${addr}`) inError = false;
    if (/^(?:Traceback \(most recent call last\):$| )/.test(line)) {
      if (out.at(-1) !== STACK) out.push(STACK);
    } else {
      out.push(line);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The port of the `n`-th connection (counting from 1) a server's output says it accepted, once it has printed
 * that many `Accepted connection from` lines.
 */
async function acceptedPort(server: Program, n: number): Promise<number> {
  const lines = await server.waitForLines(/^Accepted connection from /, n);
  const port = /^Accepted connection from \('127\.0\.0\.1', (\d+)\)$/.exec(lines.at(-1) ?? "")?.[1];
  if (port === undefined) throw new Error(`no port in ${String(lines.at(-1))}`);
  return Number(port);
}

/** How many connections a server's output says it has accepted so far. */
function acceptedCount(server: Program): number {
  return server.stdout.split("\n").filter((line) => line.startsWith("Accepted connection from "))
    .length;
}

/** The line a server prints once it is done with the connection from `port`. */
function closingLine(port: number): RegExp {
  return new RegExp(`^${escapeRegExp(`Closing connection to ${addrOf(port)}`)}$`);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes and plain node:net connections
// ---------------------------------------------------------------------------------------------------------------

/** One implementation of app-client / app-server: how to start its programs. */
interface Implementation {
  readonly run: (name: string, args: readonly string[], options?: SpawnOptions) => Program;
}

const TS: Implementation = { run: tsDemo };
const PY: Implementation = { run: pythonPeer };

/**
 * `promise`, or on failure its error followed by what the program under test has printed so far: `printed` is
 * a {@link Program} (child process) or a function giving the text (in-process server).
 */
async function explain<T>(promise: Promise<T>, printed: Program | (() => string)): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const output =
      typeof printed === "function"
        ? `--- the in-process server printed so far ---\n${printed()}`
        : `--- ${printed.commandLine} printed so far ---\n${printed.stdout}\n` +
          `--- stderr ---\n${printed.stderr}`;
    throw new Error(`${message}\n${output}`, { cause: e });
  }
}

/**
 * Start an app-server on a free port. `started` hears of the program at once (so a caller that cleans up itself
 * can kill it even if it never starts listening); resolves once it has printed its `Listening on` line.
 */
async function startAppServer(
  impl: Implementation,
  options: SpawnOptions = {},
  started: (server: Program, port: number) => void = () => undefined,
): Promise<{ server: Program; port: number }> {
  const port = await freePort();
  const server = impl.run("app-server", [HOST, String(port)], options);
  started(server, port);
  expect(await server.waitForLine(/^Listening on /)).toBe(`Listening on ${addrOf(port)}`);
  return { server, port };
}

/**
 * One app-server child shared by the tests of the enclosing `describe` (started before them, killed after them);
 * each test uses its own connections.
 */
function sharedAppServer(impl: Implementation): { server: () => Program; port: () => number } {
  let state: { server: Program; port: number } | undefined;
  beforeAll(async () => {
    await startAppServer(impl, { killOnTestFinished: false }, (server, port) => {
      state = { server, port };
    });
  });
  afterAll(async () => {
    await state?.server.kill();
  });
  const get = (): { server: Program; port: number } => {
    if (state === undefined) throw new Error("the shared app-server did not start");
    return state;
  };
  return { server: () => get().server, port: () => get().port };
}

/** Write `data` and wait (at most `timeoutMs`) until Node has handed it to the kernel. */
function write(sock: Socket, data: Uint8Array, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`write of ${String(data.length)} bytes not done within ${String(timeoutMs)} ms`),
      );
    }, timeoutMs);
    sock.write(data, (err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** A connection to `port`, destroyed when the test finishes. */
async function connect(port: number): Promise<Socket> {
  const sock = await connectWithRetry(port, HOST, 10_000);
  onTestFinished(() => {
    sock.destroy();
  });
  return sock;
}

/**
 * The length of the frame at the start of `bytes` (2-byte length, JSON header, `content-length` bytes), or
 * `null` while its header is incomplete.
 * @throws Error when the JSON header has no numeric `content-length`.
 */
function frameLength(bytes: Buffer): number | null {
  if (bytes.length < 2) return null;
  const hdrlen = bytes.readUInt16BE(0);
  if (bytes.length < 2 + hdrlen) return null;
  const header: unknown = JSON.parse(bytes.subarray(2, 2 + hdrlen).toString("utf8"));
  const length: unknown =
    typeof header === "object" && header !== null
      ? Reflect.get(header, "content-length")
      : undefined;
  if (typeof length !== "number") {
    throw new Error(`JSON header without a numeric content-length: ${JSON.stringify(header)}`);
  }
  return 2 + hdrlen + length;
}

/**
 * A node:net server on 127.0.0.1 port 0 that stands in for app-server: it records everything its one client
 * sends, answers `response` (then closes its side) once a complete frame is in, and goes on recording until the
 * client closes. Closed when the test finishes.
 */
async function captureServer(
  response: Buffer,
  timeoutMs = 10_000,
): Promise<{ port: number; received: Promise<Buffer>; connections: () => number }> {
  let connections = 0;
  let settle: { resolve: (data: Buffer) => void; reject: (error: Error) => void } | undefined;
  const received = new Promise<Buffer>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const timer = setTimeout(() => {
    settle?.reject(
      new Error(`the client did not send a frame and close within ${String(timeoutMs)} ms`),
    );
  }, timeoutMs);
  const server = createServer((sock: Socket) => {
    connections += 1;
    const chunks: Buffer[] = [];
    let answered = false;
    sock.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (answered) return;
      try {
        const length = frameLength(Buffer.concat(chunks));
        if (length !== null && Buffer.concat(chunks).length >= length) {
          answered = true;
          sock.end(response);
        }
      } catch (e) {
        sock.destroy();
        settle?.reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.on("error", () => {
      // A reset from the client: what it sent is still reported by 'close'.
    });
    sock.once("close", () => {
      clearTimeout(timer);
      settle?.resolve(Buffer.concat(chunks));
    });
  });
  onTestFinished(() => {
    clearTimeout(timer);
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("capture server: no port");
  return { port: address.port, received, connections: () => connections };
}

/**
 * Send each of {@link UNUSUAL_REQUESTS} to the app-server on `port` (one connection each) and check the answer
 * byte for byte and the server's lines for the connection.
 */
async function checkUnusualRequests(server: Program, port: number): Promise<void> {
  for (const { request, response, server: lines } of UNUSUAL_REQUESTS) {
    const sock = await connect(port);
    const clientPort = localPortOf(sock);
    await write(sock, frame(jsonHeader("utf-8", Buffer.byteLength(request)), request));
    const answer = await explain(readToEnd(sock), server);
    const expected = frame(jsonHeader("utf-8", Buffer.byteLength(response)), response);
    expect(answer.toString("hex"), request).toBe(expected.toString("hex"));
    await server.waitForLine(closingLine(clientPort));
    expect(connectionLines(server.stdout, clientPort)).toEqual(
      fill(
        [`Accepted connection from ${ADDR}`, ...lines, `Closing connection to ${ADDR}`],
        clientPort,
      ),
    );
  }
  expect(server.stderr).toBe("");
}

// ---------------------------------------------------------------------------------------------------------------
// The in-process server: app-server's loop, one select() at a time
// ---------------------------------------------------------------------------------------------------------------

/** How long one in-process select() may wait, in seconds: far more than loopback needs. */
const STEP_TIMEOUT_S = 5;

interface InProcessServer {
  readonly port: number;
  readonly selector: selectors.DefaultSelector<libserver.Message | null>;
  /** What the server printed, one entry per line. */
  readonly lines: string[];
  /** The length of every `recv()` result on accepted connections, in order. */
  readonly recvSizes: number[];
  /** The accepted connections, in order. */
  readonly accepted: socket.NonBlockingSocket[];
  /** One turn of app-server's loop: one bounded select() and its events. Throws when nothing got ready. */
  step(): Promise<void>;
  /** How many connections are registered (the listener aside). */
  connections(): number;
}

/**
 * app-server's loop over a listener on 127.0.0.1 port 0, driven by the test one select() at a time, with the
 * course's `Message` printing through its `log` option. Everything is closed when the test finishes.
 */
async function inProcessServer(): Promise<InProcessServer> {
  const lines: string[] = [];
  const write = (text: string): void => {
    lines.push(...text.split("\n"));
  };
  const log = printer(false, write);
  const selector = new selectors.DefaultSelector<libserver.Message | null>();
  const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  const accepted: socket.NonBlockingSocket[] = [];
  onTestFinished(() => {
    for (const conn of accepted) conn.close();
    lsock.close();
    selector.close();
  });
  lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
  lsock.bind([HOST, 0]);
  await lsock.listen();
  const address = lsock.getsockname();
  if (typeof address === "string") throw new Error(`in-process server: no port in ${address}`);
  const listening = lsock.setblocking(false);
  selector.register(listening, selectors.EVENT_READ, null);
  const recvSizes: number[] = [];

  function accept(): void {
    const [conn, addr] = listening.accept();
    log`Accepted connection from ${addr}`;
    const nonBlockingConn = conn.setblocking(false);
    accepted.push(nonBlockingConn);
    const recv = nonBlockingConn.recv.bind(nonBlockingConn);
    nonBlockingConn.recv = (bufsize: number): Buffer => {
      const data = recv(bufsize);
      recvSizes.push(data.length);
      return data;
    };
    const message = new libserver.Message(selector, nonBlockingConn, addr, { log });
    selector.register(nonBlockingConn, selectors.EVENT_READ, message);
  }

  return {
    port: address[1],
    selector,
    lines,
    recvSizes,
    accepted,
    async step(): Promise<void> {
      const events = await selector.select(STEP_TIMEOUT_S);
      if (events.length === 0) {
        throw new Error(
          `select() found nothing ready within ${String(STEP_TIMEOUT_S)} s; the server printed:\n` +
            lines.join("\n"),
        );
      }
      for (const [key, mask] of events) {
        if (key.data === null) {
          accept();
        } else {
          const message = key.data;
          try {
            message.processEvents(mask);
          } catch (e) {
            write(`Main: Error: Exception for ${repr(message.addr)}:\n${traceback(e)}`);
            message.close();
          }
        }
      }
    },
    connections(): number {
      return (selector.getMap()?.size ?? 1) - 1;
    },
  };
}

/** Step `server` until it has no connection left, at most `maxSteps` select() calls. */
async function stepUntilIdle(server: InProcessServer, maxSteps = 10): Promise<void> {
  for (let steps = 0; server.connections() > 0; steps++) {
    if (steps === maxSteps) {
      throw new Error(
        `still ${String(server.connections())} connection(s) after ${String(maxSteps)} select() calls; ` +
          `the server printed:\n${server.lines.join("\n")}`,
      );
    }
    await server.step();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------------------

describe("the test's own tables", () => {
  it("cover every vector; app-client's command lines produce exactly the .req contents", () => {
    expect(Object.keys(VECTOR_LINES).sort()).toEqual(VECTORS.map(({ name }) => name));
    expect(CLIENT_VECTORS.map(({ name }) => name)).toEqual(
      VECTORS.map(({ name }) => name).filter((name) => name !== "bad-action"),
    );
    for (const { name, req } of VECTORS) {
      const length = frameLength(req);
      expect(length, name).toBe(req.length);
      const hdrlen = req.readUInt16BE(0);
      const header: unknown = JSON.parse(req.subarray(2, 2 + hdrlen).toString("utf8"));
      const content = req.subarray(2 + hdrlen);
      const command = CLIENT_COMMANDS[name];
      if (command === undefined) {
        // Server-only: a text/json request app-client cannot make (its action is not "search").
        expect(header).toMatchObject({ "content-type": "text/json" });
        expect(JSON.parse(content.toString("utf8"))).not.toMatchObject({ action: "search" });
        continue;
      }
      const [action, value] = command;
      if (action === "search") {
        expect(header, name).toMatchObject({ "content-type": "text/json" });
        expect(JSON.parse(content.toString("utf8")), name).toEqual({ action, value });
      } else {
        expect(header, name).toMatchObject({ "content-type": "binary/custom-client-binary-type" });
        expect(content.toString("utf8"), name).toBe(action + value);
      }
    }
  });

  it("agree with the course's transcripts", () => {
    const serverTranscript = loadTranscript("app-server").lines;
    const clientPorts = [
      ...serverTranscript.matchAll(/^Accepted connection from \('127\.0\.0\.1', (\d+)\)$/gm),
    ].map((match) => Number(match[1]));
    expect(clientPorts).toHaveLength(4);
    const [morpheusPort = 0, dogPort = 0] = clientPorts;
    expect(connectionLines(serverTranscript, morpheusPort)).toEqual(
      serverConnection("search-morpheus", morpheusPort),
    );
    expect(connectionLines(serverTranscript, dogPort)).toEqual(
      serverConnection("search-dog", dogPort),
    );
    expect(maskPorts(clientOutput("search-morpheus", 1))).toBe(
      maskPorts(loadTranscript("app-client-search-morpheus").lines),
    );
  });
});

describe("1. byte-exact vectors", () => {
  describe("our app-client", () => {
    for (const { name, req, res } of CLIENT_VECTORS) {
      const [action, value] = commandOf(name);
      it(`${action} ${JSON.stringify(value)} sends exactly ${name}.req and prints the course's lines for ${name}.res`, async () => {
        const capture = await captureServer(res);
        const client = tsDemo("app-client", [HOST, String(capture.port), action, value]);
        const received = await explain(capture.received, client);
        expect(received.toString("hex")).toBe(req.toString("hex"));
        expect(capture.connections()).toBe(1);

        const exit = await client.waitForExit();
        expect(exit.stdout).toBe(clientOutput(name, capture.port));
        expect(exit.stderr).toBe("");
        expect(exit.code).toBe(0);
      });
    }
  });

  describe("our app-client and a response holding a list", () => {
    it("prints the list as Python does", async () => {
      const content = '{"result": [1, "a"]}';
      const capture = await captureServer(
        frame(jsonHeader("utf-8", Buffer.byteLength(content)), content),
      );
      const client = tsDemo("app-client", [HOST, String(capture.port), "search", "ring"]);
      expect((await explain(capture.received, client)).toString("hex")).toBe(
        loadVector("search-ring", "req").toString("hex"),
      );
      const exit = await client.waitForExit();
      expect(exit.stdout.split("\n").slice(2)).toEqual([
        `Received response {'result': [1, 'a']} from ${addrOf(capture.port)}`,
        "Got result: [1, 'a']",
        `Closing connection to ${addrOf(capture.port)}`,
        "",
      ]);
      expect(exit.code).toBe(0);
    });
  });

  describe("our app-server (one server for all vectors)", () => {
    const shared = sharedAppServer(TS);
    for (const { name, req, res } of VECTORS) {
      it(`answers ${name}.req with exactly ${name}.res and prints the course's lines`, async () => {
        const server = shared.server();
        const sock = await connect(shared.port());
        const clientPort = localPortOf(sock);
        await write(sock, req);
        const answer = await explain(readToEnd(sock), server);
        expect(answer.toString("hex")).toBe(res.toString("hex"));
        await server.waitForLine(closingLine(clientPort));
        expect(connectionLines(server.stdout, clientPort)).toEqual(
          serverConnection(name, clientPort),
        );
        expect(server.stderr).toBe("");
      });
    }

    it("answers well-formed requests holding lists, numbers and missing keys as Python does", async () => {
      await checkUnusualRequests(shared.server(), shared.port());
    });
  });
});

/** A memory network installed for this test (`socket.socket()` makes in-memory sockets), uninstalled after it. */
function memoryNetwork(): MemoryNetwork {
  const net = new MemoryNetwork().install();
  onTestFinished(() => {
    net.uninstall();
  });
  return net;
}

/** A blocking client socket on `net`, connected to 127.0.0.1 `port`, closed when the test finishes. */
async function memoryClient(net: MemoryNetwork, port: number): Promise<socket.BlockingSocket> {
  const sock = net.socket(socket.AF_INET, socket.SOCK_STREAM);
  onTestFinished(() => {
    sock.close();
  });
  sock.settimeout(STEP_TIMEOUT_S);
  await sock.connect([HOST, port]);
  return sock;
}

/** Everything `sock` receives until the peer closes: `eof` for an orderly close, `reset` for a reset. */
async function recvUntilClosed(
  sock: socket.BlockingSocket,
): Promise<{ data: Buffer; ending: "eof" | "reset" }> {
  const chunks: Buffer[] = [];
  for (;;) {
    let chunk: Buffer;
    try {
      chunk = await sock.recv(4096);
    } catch (e) {
      if (!(e instanceof ConnectionResetError)) throw e;
      return { data: Buffer.concat(chunks), ending: "reset" };
    }
    if (chunk.length === 0) return { data: Buffer.concat(chunks), ending: "eof" };
    chunks.push(chunk);
  }
}

/** The port of `sock`'s own address. */
function portOf(sock: socket.BlockingSocket): number {
  const address = sock.getsockname();
  if (typeof address === "string") throw new Error(`no port in ${address}`);
  return address[1];
}

// These run on the in-memory network (lib/transport/memory-network.ts): what they check is the Message and the loop above
// the socket, not the kernel path, and a byte written is then a byte delivered, in the same order every run.
describe("2. libserver.Message in-process, on a DefaultSelector and lib/python/socket.ts sockets (in memory)", () => {
  for (const { name, req, res } of VECTORS) {
    it(`${name}.req written one byte at a time, each consumed before the next, is answered with exactly ${name}.res`, async () => {
      const net = memoryNetwork();
      const server = await inProcessServer();
      const client = await memoryClient(net, server.port);
      await server.step(); // the listener is readable: accept
      const [conn] = server.accepted;
      if (conn === undefined) throw new Error("the server did not accept the connection");

      for (let i = 0; i < req.length; i++) {
        await client.sendall(req.subarray(i, i + 1));
        const consumed = server.recvSizes.length + 1;
        for (let steps = 0; server.recvSizes.length < consumed; steps++) {
          if (steps === 5) throw new Error(`byte ${String(i)} not consumed after 5 select() calls`);
          await server.step();
        }
        const last = i === req.length - 1;
        // Until the last byte the request is incomplete: nothing printed but the accept, still reading.
        expect(server.lines.length, `after byte ${String(i)}`).toBe(last ? 2 : 1);
        expect(server.selector.getKey(conn).events, `after byte ${String(i)}`).toBe(
          last ? selectors.EVENT_WRITE : selectors.EVENT_READ,
        );
      }
      expect(server.recvSizes).toEqual(Array.from(req, () => 1));

      await stepUntilIdle(server);
      const { data, ending } = await explain(recvUntilClosed(client), () =>
        server.lines.join("\n"),
      );
      expect(data.toString("hex")).toBe(res.toString("hex"));
      expect(ending).toBe("eof");
      expect(server.lines).toEqual(serverConnection(name, portOf(client)));
    });
  }

  // The course's server reads one request per connection. recv(4096) takes both requests at once into the
  // Message's buffer; the first is answered and the connection closed; the second request's bytes are dropped
  // with the Message, unread and unanswered, without an error. The socket's own receive queue is empty by
  // then, so the close is an orderly FIN, not a reset. (Python's course server does the same.)
  it("two requests in one chunk: the first is answered, the connection closed, the second dropped", async () => {
    const first = loadVector("search-morpheus", "req");
    const second = loadVector("search-ring", "req");
    const net = memoryNetwork();
    const server = await inProcessServer();
    const client = await memoryClient(net, server.port);
    await server.step(); // accept
    await client.sendall(Buffer.concat([first, second]));
    await stepUntilIdle(server);

    expect(server.recvSizes).toEqual([first.length + second.length]); // one recv() took both
    const { data, ending } = await explain(recvUntilClosed(client), () => server.lines.join("\n"));
    expect(data.toString("hex")).toBe(loadVector("search-morpheus", "res").toString("hex"));
    expect(ending).toBe("eof");
    expect(server.lines).toEqual(serverConnection("search-morpheus", portOf(client)));
  });
});

/** Frame `header` (text or bytes) and `content` as the wire format does. */
function frame(header: string | Buffer, content = ""): Buffer {
  const headerBytes = typeof header === "string" ? Buffer.from(header) : header;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(headerBytes.length);
  return Buffer.concat([length, headerBytes, Buffer.from(content)]);
}

/** A text/json JSON header as the course writes it, with `content-encoding` and `content-length` as given. */
function jsonHeader(contentEncoding: string, contentLength: number): string {
  return (
    `{"byteorder": "little", "content-type": "text/json", "content-encoding": "${contentEncoding}", ` +
    `"content-length": ${String(contentLength)}}`
  );
}

interface Malformed {
  readonly what: string;
  readonly bytes: Buffer;
  /** Half-close after sending. */
  readonly end?: boolean;
  /** The server's lines for the connection between `Accepted ...` and `Closing ...`. */
  readonly printed: readonly string[];
}

const mainError = `Main: Error: Exception for ${ADDR}:`;

const MALFORMED: readonly Malformed[] = [
  {
    what: "a header length of 0",
    bytes: Buffer.from([0, 0]),
    printed: [
      mainError,
      "ProtocolError [PROTOCOL_EMPTY_HEADER]: Proto-header announces an empty JSON header.",
      "",
    ],
  },
  {
    what: "a JSON header that is not an object ([])",
    bytes: frame("[]"),
    printed: [
      mainError,
      "ProtocolError [PROTOCOL_HEADER_NOT_OBJECT]: JSON header must be an object, got [].",
      "",
    ],
  },
  {
    what: "a JSON header without content-length",
    bytes: frame(
      '{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}',
      "{}",
    ),
    printed: [
      mainError,
      "ProtocolError [PROTOCOL_MISSING_HEADER]: Missing required header 'content-length'.",
      "",
    ],
  },
  {
    what: "invalid UTF-8 in the JSON header",
    bytes: frame(Buffer.from('{"byteorder": "\xff"}', "latin1")),
    printed: [
      mainError,
      "ProtocolError [PROTOCOL_INVALID_UTF8]: JSON header is not valid utf-8.",
      "",
    ],
  },
  {
    what: "an unknown content-encoding on a text/json request",
    bytes: frame(jsonHeader("binary", 2), "{}"),
    printed: [mainError, "ProtocolError [PROTOCOL_UNKNOWN_ENCODING]: unknown encoding: binary", ""],
  },
  {
    what: "a negative content-length",
    bytes: frame(jsonHeader("utf-8", -1), "{}"),
    printed: [
      mainError,
      "ProtocolError [PROTOCOL_INVALID_CONTENT_LENGTH]: Header 'content-length' must be a non-negative integer, got -1.",
      "",
    ],
  },
  {
    what: "JSON content that is not an object ([1])",
    bytes: frame(jsonHeader("utf-8", 3), "[1]"),
    printed: [
      `Received request [1] from ${ADDR}`,
      mainError,
      STACK,
      "AttributeError: 'list' object has no attribute 'get'",
      "",
    ],
  },
  {
    what: 'a search for a list ({"action": "search", "value": [1]})',
    bytes: frame(jsonHeader("utf-8", 34), '{"action": "search", "value": [1]}'),
    printed: [
      `Received request {'action': 'search', 'value': [1]} from ${ADDR}`,
      mainError,
      STACK,
      "TypeError: unhashable type: 'list'",
      "",
    ],
  },
  {
    what: "half a frame, then the client closes",
    bytes: loadVector("search-morpheus", "req").subarray(0, 50),
    end: true,
    printed: [mainError, STACK, "RuntimeError: Peer closed.", ""],
  },
  {
    what: "nothing at all, then the client closes",
    bytes: Buffer.alloc(0),
    end: true,
    printed: [mainError, STACK, "RuntimeError: Peer closed.", ""],
  },
];

describe("3. our app-server and malformed requests (one server, valid clients in between)", () => {
  const shared = sharedAppServer(TS);

  MALFORMED.forEach((malformed, index) => {
    const valid = VECTORS[index % VECTORS.length];
    if (valid === undefined) throw new Error("no vectors");
    it(`${malformed.what}: error printed, connection closed, ${valid.name} beside it still answered`, async () => {
      const server = shared.server();
      // A valid client, half-way through its request while the malformed one is dealt with.
      const good = await connect(shared.port());
      const goodPort = localPortOf(good);
      const half = Math.floor(valid.req.length / 2);
      await write(good, valid.req.subarray(0, half));

      const bad = await connect(shared.port());
      const badPort = localPortOf(bad);
      if (malformed.bytes.length > 0) await write(bad, malformed.bytes);
      if (malformed.end === true) bad.end();
      const { data } = await explain(readUntilClosed(bad), server);
      expect(data.length).toBe(0); // closed (FIN or reset) without an answer
      await server.waitForLine(closingLine(badPort));
      expect(connectionLines(server.stdout, badPort)).toEqual(
        fill(
          [
            `Accepted connection from ${ADDR}`,
            ...malformed.printed,
            `Closing connection to ${ADDR}`,
          ],
          badPort,
        ),
      );

      await write(good, valid.req.subarray(half));
      const answer = await explain(readToEnd(good), server);
      expect(answer.toString("hex")).toBe(valid.res.toString("hex"));
      await server.waitForLine(closingLine(goodPort));
      expect(connectionLines(server.stdout, goodPort)).toEqual(
        serverConnection(valid.name, goodPort),
      );
      expect(server.stderr).toBe("");
    });
  });

  it("is still serving after all of them", async () => {
    const server = shared.server();
    const sock = await connect(shared.port());
    await write(sock, loadVector("bad-action", "req"));
    const answer = await explain(readToEnd(sock), server);
    expect(answer.toString("hex")).toBe(loadVector("bad-action", "res").toString("hex"));
    expect(server.stderr).toBe("");
  });
});

/**
 * Run app-server (`serverImpl`) and, one after the other, app-client (`clientImpl`) with the transcript's four
 * requests; then Ctrl-C the server. Compares everything with the transcripts, ports masked.
 */
async function transcriptRun(
  clientImpl: Implementation,
  serverImpl: Implementation,
): Promise<void> {
  const { server, port } = await startAppServer(serverImpl);
  const clientOutputs: string[] = [];
  for (const [action, value] of TRANSCRIPT_REQUESTS) {
    const client = clientImpl.run("app-client", [HOST, String(port), action, value]);
    const exit = await explain(client.waitForExit(), server);
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    clientOutputs.push(exit.stdout);
  }
  expect(maskPorts(clientOutputs[0] ?? "")).toBe(
    maskPorts(loadTranscript("app-client-search-morpheus").lines),
  );
  expect(clientOutputs[1]).toBe(clientOutput("search-dog", port));
  expect(maskPorts(clientOutputs[3] ?? "")).toBe(
    maskPorts(loadTranscript("app-client-binary").lines),
  );

  await server.waitForLines(/^Closing connection to /, TRANSCRIPT_REQUESTS.length);
  server.signal("SIGINT");
  const exit = await server.waitForExit();
  const transcript = loadTranscript("app-server");
  expect(maskPorts(exit.stdout)).toBe(maskPorts(transcript.lines));
  expect(exit.stderr).toBe("");
  expect(exit).toMatchObject({ code: transcript.rc, signal: null });
}

describe("4. transcripts", () => {
  it("app-server and app-client: the transcript's four requests, then Ctrl-C (exit 0)", async () => {
    await transcriptRun(TS, TS);
  });

  it("app-client with the wrong argument count prints its usage line (app-client.ts) and exits 1", async () => {
    const transcript = loadTranscript("app-client-usage");
    const runs = [[], [HOST, "1", "search"], [HOST, "1", "search", "x", "extra"]].map((args) =>
      tsDemo("app-client", args).waitForExit(),
    );
    for (const exit of await Promise.all(runs)) {
      expect(exit.stdout).toBe(transcript.lines.replace("app-client.py", "app-client.ts"));
      expect(exit.stderr).toBe("");
      expect(exit.code).toBe(transcript.rc);
    }
  });

  it("app-server with the wrong argument count prints its usage line (app-server.ts) and exits 1", async () => {
    const runs = [[], [HOST], [HOST, "1", "extra"]].map((args) =>
      tsDemo("app-server", args).waitForExit(),
    );
    for (const exit of await Promise.all(runs)) {
      expect(exit.stdout).toBe("Usage: app-server.ts <host> <port>\n");
      expect(exit.stderr).toBe("");
      expect(exit.code).toBe(1);
    }
  });
});

/**
 * One test per client vector: `startClient` runs an app-client with the vector's command line against the shared
 * server; both sides must print the course's lines for it.
 */
function requestsAgainst(
  shared: ReturnType<typeof sharedAppServer>,
  startClient: (args: string[]) => Program,
): void {
  for (const { name } of CLIENT_VECTORS) {
    const [action, value] = commandOf(name);
    it(`${action} ${JSON.stringify(value)}: both print the course's lines`, async () => {
      const server = shared.server();
      const accepted = acceptedCount(server);
      const client = startClient([HOST, String(shared.port()), action, value]);
      const exit = await explain(client.waitForExit(), server);
      expect(exit.stdout).toBe(clientOutput(name, shared.port()));
      expect(exit.stderr).toBe("");
      expect(exit.code).toBe(0);

      // The client's port is only known from the server's `Accepted` line for it.
      const clientPort = await acceptedPort(server, accepted + 1);
      await server.waitForLine(closingLine(clientPort));
      expect(connectionLines(server.stdout, clientPort)).toEqual(
        serverConnection(name, clientPort),
      );
      expect(server.stderr).toBe("");
    });
  }
}

describe("5. interop with the Python peers", () => {
  describeNeeding("python3", "Python app-client → our app-server (one server)", () => {
    const shared = sharedAppServer(TS);
    requestsAgainst(shared, (args) => pythonPeer("app-client", args));

    it("the transcript's four requests, then Ctrl-C", async () => {
      await transcriptRun(PY, TS);
    });
  });

  describeNeeding("python3", "our app-client → Python app-server (one server)", () => {
    const shared = sharedAppServer(PY);
    requestsAgainst(shared, (args) => tsDemo("app-client", args));

    it("the Python server answers the well-formed unusual requests as this file expects", async () => {
      await checkUnusualRequests(shared.server(), shared.port());
    });

    it("the transcript's four requests, then Ctrl-C", async () => {
      await transcriptRun(TS, PY);
    });
  });
});
