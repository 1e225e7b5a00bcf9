/**
 * Backpressure through the course's multiconn server (issue: "echo 1 MiB of random bytes on each of 100
 * connections through the multiconn server, with readers that pause; every byte checked, none lost, server memory
 * bounded").
 *
 * `demos/multiconn-server.ts -q` runs as a child process. The test opens 100 plain node:net connections; each
 * sends 1 MiB of seeded pseudo-random bytes in chunks of varying size, waiting for `drain` whenever `write()` says
 * so, while its reading side pauses after every {@link PAUSE_EVERY} bytes received and resumes only once its
 * writer has written {@link RESUME_AFTER} more bytes (or has written everything). Every echoed byte is compared
 * with the byte sent at that offset as it arrives, and the connection ends only once all of it is back.
 *
 * What this exercises in the server, which echoes with the course's `recv(1024)` and `send(outb)` per `select()`:
 * the writers outrun its 1 KiB reads, so each connection's receive buffer fills to `SO_RCVBUF` and the socket stops
 * reading from the network, which reaches the writers as `write()` returning false. The readers' pauses, on the
 * other hand, are absorbed by the kernel: on Linux loopback the socket buffers grow to several MiB, more than the
 * 1 MiB a connection sends, so the server's `SO_SNDBUF` never fills and its sends are never partial here (an
 * instrumented copy of the demo counted none, and `outb` never held more than one `recv`).
 *
 * The server's resident memory is read from `/proc/PID/status` (skipped where there is no `/proc`).
 * @module
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createConnection, type Socket } from "node:net";

import { describe, expect, it } from "vitest";

import { HOST, freePort } from "./helpers/ports.ts";
import { tsDemo, type Program } from "./helpers/process.ts";

/** Connections open at once. */
const CONNECTIONS = 100;
/** Bytes each connection sends, and must get back. */
const BYTES_PER_CONNECTION = 1024 * 1024;
/** Largest chunk a writer hands to `write()`; sizes vary from 1 byte to this, seeded. */
const MAX_WRITE = 64 * 1024;
/** A reader pauses each time it has received this many more bytes... */
const PAUSE_EVERY = 128 * 1024;
/** ...and resumes once its writer has written this many more bytes (or everything). */
const RESUME_AFTER = 256 * 1024;
/** The whole exchange must be over by then; a failure says how far each connection got. */
const DEADLINE_MS = 50_000;

/**
 * Bound on how much the server's resident memory may grow over what it held when it started listening. Per
 * connection the server holds at most `SO_RCVBUF` (256 KiB) of received data not yet read and `SO_SNDBUF` (256 KiB)
 * of accepted data not yet written to the network (`lib/python/socket.ts`): 100 × 512 KiB = 50 MiB. Doubled, for Node's
 * own stream buffers (a paused stream may hold one more 64 KiB read) and for garbage not yet collected (each
 * `recv(1024)` makes a new `outb` with `Buffer.concat`, each `send` copies what it takes), plus 64 MiB for the
 * heap that 100 connections, their keys and Node's handles take: 164 MiB. Measured on 2 cores: 85-100 MiB of
 * growth over a baseline of about 75 MiB. A server that kept all it was sent (100 MiB, plus copies) exceeds it.
 */
const RSS_GROWTH_BOUND = 2 * CONNECTIONS * (256 + 256) * 1024 + 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// seeded bytes
// ---------------------------------------------------------------------------------------------------------------

/** xorshift32: a small seeded PRNG; `seed` must not be 0. */
function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * An endless seeded byte stream, generated 4 KiB at a time: the writer takes chunks from one, the reader checks
 * what it receives against another with the same seed, so no copy of the data sent is kept.
 */
class SeededBytes {
  readonly #next: () => number;
  readonly #block = Buffer.alloc(4096);
  readonly #words = new Uint32Array(this.#block.buffer, this.#block.byteOffset, 1024);
  #at = this.#block.length;
  /** Bytes taken or checked so far. */
  offset = 0;

  constructor(seed: number) {
    this.#next = xorshift32(seed);
  }

  #refill(): void {
    for (let i = 0; i < this.#words.length; i++) this.#words[i] = this.#next();
    this.#at = 0;
  }

  /** The next `n` bytes of the stream. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      if (this.#at === this.#block.length) this.#refill();
      const count = Math.min(n - filled, this.#block.length - this.#at);
      this.#block.copy(out, filled, this.#at, this.#at + count);
      this.#at += count;
      filled += count;
    }
    this.offset += n;
    return out;
  }

  /**
   * Checks that `chunk` is the next `chunk.length` bytes of the stream.
   * @returns -1, or the stream offset of the first byte that differs.
   */
  check(chunk: Buffer): number {
    let done = 0;
    while (done < chunk.length) {
      if (this.#at === this.#block.length) this.#refill();
      const count = Math.min(chunk.length - done, this.#block.length - this.#at);
      const got = chunk.subarray(done, done + count);
      const want = this.#block.subarray(this.#at, this.#at + count);
      if (!got.equals(want)) {
        let i = 0;
        while (got[i] === want[i]) i++;
        return this.offset + done + i;
      }
      this.#at += count;
      done += count;
    }
    this.offset += chunk.length;
    return -1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// one connection
// ---------------------------------------------------------------------------------------------------------------

function connect(port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/**
 * One client: a writer sending {@link BYTES_PER_CONNECTION} seeded bytes with `drain` backpressure, a reader
 * checking the echo with pauses. `done` settles once every byte came back and the server closed after our end.
 */
class EchoClient {
  written = 0;
  received = 0;
  pauses = 0;
  /** What the connection is doing, for the deadline message. */
  phase = "sending";
  readonly done: Promise<void>;
  readonly #socket: Socket;
  readonly #expected: SeededBytes;
  #nextPause = PAUSE_EVERY;
  /** While paused: the `written` count at which the reader resumes. */
  #resumeAt: number | null = null;
  #writerDone = false;

  constructor(
    readonly index: number,
    socket: Socket,
  ) {
    this.#socket = socket;
    const seed = 0x9e3779b1 * (index + 1);
    this.#expected = new SeededBytes(seed);
    this.done = new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        socket.destroy();
        reject(new Error(`connection ${index}: ${why} (${this.progress()})`));
      };
      socket.on("error", (err) => {
        fail(`socket error ${err.message}`);
      });
      socket.on("data", (chunk: Buffer) => {
        const bad = this.#expected.check(chunk);
        if (bad !== -1) {
          fail(`echoed byte ${bad} differs from the byte sent`);
          return;
        }
        this.received += chunk.length;
        if (this.received > BYTES_PER_CONNECTION) {
          fail(`${this.received - BYTES_PER_CONNECTION} bytes more came back than were sent`);
        } else if (this.received === BYTES_PER_CONNECTION) {
          this.phase = "closing";
          socket.end(); // the server sees end of stream, closes, and we see its end in turn
        } else if (this.received >= this.#nextPause) {
          this.#nextPause += PAUSE_EVERY;
          this.pauses++;
          socket.pause();
          this.#resumeAt = this.written + RESUME_AFTER;
          this.#maybeResume();
        }
      });
      socket.on("close", () => {
        if (this.received === BYTES_PER_CONNECTION) {
          this.phase = "closed";
          resolve();
        } else {
          fail("closed before everything came back");
        }
      });
      this.#write(new SeededBytes(seed), xorshift32(seed ^ 0x5bd1e995)).catch((err: unknown) => {
        fail(`write failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
  }

  /** Closes the connection at once (after a failure elsewhere). */
  destroy(): void {
    this.#socket.destroy();
  }

  progress(): string {
    return `${this.phase}, written ${this.written}, received ${this.received}, ${this.pauses} pauses`;
  }

  /** Resume reading, on the next macrotask, once the writer is far enough ahead or finished. */
  #maybeResume(): void {
    if (this.#resumeAt === null) return;
    if (this.written < this.#resumeAt && !this.#writerDone) return;
    this.#resumeAt = null;
    setImmediate(() => {
      if (this.#resumeAt === null) this.#socket.resume();
    });
  }

  async #write(bytes: SeededBytes, sizes: () => number): Promise<void> {
    const socket = this.#socket;
    while (this.written < BYTES_PER_CONNECTION) {
      const size = Math.min(1 + (sizes() % MAX_WRITE), BYTES_PER_CONNECTION - this.written);
      const more = socket.write(bytes.take(size));
      this.written += size;
      this.#maybeResume();
      if (!more) {
        this.phase = "waiting for drain";
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            socket.off("close", onClose);
            resolve();
          };
          const onClose = (): void => {
            socket.off("drain", onDrain);
            reject(new Error("closed while waiting for drain"));
          };
          socket.once("drain", onDrain);
          socket.once("close", onClose);
        });
        this.phase = "sending";
      }
    }
    this.#writerDone = true;
    this.phase = "receiving";
    this.#maybeResume();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the server's memory
// ---------------------------------------------------------------------------------------------------------------

/**
 * The process holding the socket that listens on `port`, found from `/proc/net/tcp` (the socket's inode) and
 * `/proc/PID/fd` (who holds it), so the check does not depend on how the demo was started.
 * @returns The PID, or null where there is no `/proc`.
 */
function listenerPid(port: number): number | null {
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return null;
  }
  let inode: string | undefined;
  for (const row of table.split("\n").slice(1)) {
    const fields = row.trim().split(/\s+/);
    const local = fields[1];
    if (local === undefined || fields[3] !== "0A") continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inode = fields[9];
  }
  if (inode === undefined) throw new Error(`no socket listens on port ${port} in /proc/net/tcp`);
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  throw new Error(`no process holds ${target}, the socket listening on port ${port}`);
}

/** A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in bytes. */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (e) {
    throw new Error(`cannot read /proc/${pid}/status: has the server died?`, { cause: e });
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Rejects after `ms` with `describe()`'s text, unless `promise` settles first. */
async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`not done after ${ms} ms: ${describe()}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Echoes one message on a fresh connection: the server still serves. */
async function echoOnce(port: number, message: string): Promise<string> {
  const socket = await connect(port);
  return new Promise<string>((resolve, reject) => {
    let got = "";
    socket.setEncoding("utf8");
    socket.on("error", reject);
    socket.on("data", (text: string) => {
      got += text;
      if (got.length >= message.length) socket.end();
    });
    socket.on("close", () => {
      resolve(got);
    });
    socket.write(message);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// the test
// ---------------------------------------------------------------------------------------------------------------

/** The server's resident memory over the run, sampled from `/proc/PID/status`. */
class RssSampler {
  readonly baseline: number;
  max = 0;
  samples = 0;
  #error: Error | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly pid: number) {
    this.baseline = statusBytes(pid, "VmRSS");
    // Sampling, not waiting for anything; the kernel's own peak (VmHWM) is read at the end as well.
    this.#timer = setInterval(() => {
      try {
        this.max = Math.max(this.max, statusBytes(pid, "VmRSS"));
        this.samples++;
      } catch (e) {
        this.#error ??= e instanceof Error ? e : new Error(String(e));
      }
    }, 20);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Stops sampling and returns the peak (sampled, or VmHWM if higher) with a line of figures. */
  finish(): { peak: number; figures: string } {
    this.stop();
    if (this.#error !== null) throw this.#error;
    const hwm = statusBytes(this.pid, "VmHWM");
    const figures =
      `multiconn-server RSS: ${MiB(this.baseline)} listening, ${MiB(this.max)} max over ` +
      `${this.samples} samples, ${MiB(hwm)} VmHWM: growth ${MiB(Math.max(this.max, hwm) - this.baseline)} ` +
      `(bound ${MiB(RSS_GROWTH_BOUND)})`;
    return { peak: Math.max(this.max, hwm), figures };
  }
}

/** Opens the connections and runs them all to the end, or fails with how far each got. */
async function echoAll(port: number, server: Program): Promise<EchoClient[]> {
  const sockets = await withDeadline(
    Promise.all(Array.from({ length: CONNECTIONS }, () => connect(port))),
    10_000,
    () => `connecting ${CONNECTIONS} clients`,
  );
  const clients = sockets.map((socket, i) => new EchoClient(i, socket));
  try {
    await withDeadline(Promise.all(clients.map((c) => c.done)), DEADLINE_MS, () => {
      const unfinished = clients.filter((c) => c.phase !== "closed");
      const some = unfinished.slice(0, 5).map((c) => `#${c.index}: ${c.progress()}`);
      return (
        `${unfinished.length} of ${CONNECTIONS} connections unfinished; ${some.join("; ")}\n` +
        `server stdout: ${server.stdout}\nserver stderr: ${server.stderr}`
      );
    });
  } catch (e) {
    for (const c of clients) c.destroy();
    throw e;
  }
  return clients;
}

async function echoUnderBackpressure(): Promise<void> {
  const port = await freePort();
  const server = tsDemo("multiconn-server", ["-q", HOST, String(port)]);
  let serverExited = false;
  void server.exited.then(() => {
    serverExited = true;
  });
  const listening = await server.waitForLine(/^Listening on /);
  expect(listening).toBe(`Listening on ('${HOST}', ${port})`);

  const pid = listenerPid(port); // null: no /proc, no memory check
  if (pid !== null)
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("multiconn-server");
  const rss = pid === null ? null : new RssSampler(pid);
  let clients: EchoClient[];
  try {
    clients = await echoAll(port, server);
  } finally {
    rss?.stop();
  }

  for (const c of clients) {
    expect(c.written, `connection ${c.index} written`).toBe(BYTES_PER_CONNECTION);
    expect(c.received, `connection ${c.index} received`).toBe(BYTES_PER_CONNECTION);
  }
  // Every reader paused 7 times, at 128 KiB, 256 KiB, ... 896 KiB (Node reads at most 64 KiB at a time, so no
  // chunk crosses two of these marks).
  expect(clients.map((c) => c.pauses)).toEqual(Array<number>(CONNECTIONS).fill(7));

  // Still alive and serving, and quiet: nothing printed but the listening line.
  expect(serverExited).toBe(false);
  const echoed = await withDeadline(echoOnce(port, "still there"), 10_000, () => "one more echo");
  expect(echoed).toBe("still there");
  expect(server.stdout).toBe(`${listening}\n`);
  expect(server.stderr).toBe("");

  if (rss !== null) {
    const { peak, figures } = rss.finish();
    console.log(figures);
    expect(rss.samples).toBeGreaterThan(0);
    expect(peak - rss.baseline, figures).toBeLessThan(RSS_GROWTH_BOUND);
  }
}

describe("multiconn-server under backpressure", () => {
  it(
    `echoes 1 MiB on each of ${CONNECTIONS} connections with pausing readers, in bounded memory`,
    { timeout: 60_000 },
    echoUnderBackpressure,
  );
});
