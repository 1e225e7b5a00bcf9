/**
 * Ports and plain node:net connections for tests that talk to servers running as child processes.
 *
 * Rules:
 * - Tests use `127.0.0.1` and ephemeral ports only: {@link freePort} asks the kernel for one.
 * - Every wait is bounded: each helper takes a timeout and rejects with a message that says what it waited for.
 * - There is no event for "another process started listening", so the two helpers that wait for that
 *   ({@link connectWithRetry}, {@link waitForListening}) poll with a short backoff, bounded by their timeout.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * tsDemo("echo-server", ["127.0.0.1", String(port)]);
 * const sock = await connectWithRetry(port, "127.0.0.1", 10_000);
 * sock.end("Hello, world");
 * const echoed = await readToEnd(sock, 10_000);
 * ```
 * @module
 */
import { closeSync, openSync, readSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

/** The loopback address every test uses. */
export const HOST = "127.0.0.1";

/**
 * A TCP port that was free a moment ago: bind a server to port 0 on `host`, read the port the kernel chose,
 * close the server. (Another process could take it before the caller binds it; on loopback with the
 * kernel's ephemeral range that is rare enough for tests.)
 *
 * @param host - The address to bind, `127.0.0.1` unless told.
 * @returns The port number.
 * @throws Error when the server cannot listen or reports no port.
 */
export async function freePort(host = HOST): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) => {
    server.close((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  if (address === null || typeof address === "string") {
    throw new Error(`freePort: no TCP address for ${host}`);
  }
  return address.port;
}

function errorCode(err: unknown): string | undefined {
  if (err instanceof Error && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** One connection attempt, bounded by `timeoutMs`. */
function connectOnce(port: number, host: string, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = createConnection({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

/**
 * Connect to a server that may not be listening yet, retrying on `ECONNREFUSED` with a short backoff
 * (10 ms doubling to 100 ms) until `timeoutMs` has passed. Meant for servers that print nothing before
 * accepting and accept only one connection (the echo server): this connection is the one they accept, so
 * no probe is wasted.
 *
 * @param port - The server's port.
 * @param host - The server's address, `127.0.0.1` unless told.
 * @param timeoutMs - Bound on the whole wait, 10 s unless told.
 * @returns The connected socket; the caller ends or destroys it.
 * @throws Error when still refused at the deadline (the message says how many attempts were made), or the
 * first error that is not `ECONNREFUSED`.
 */
export async function connectWithRetry(
  port: number,
  host = HOST,
  timeoutMs = 10_000,
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  let backoff = 10;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    try {
      return await connectOnce(port, host, Math.max(left, 1));
    } catch (err) {
      if (errorCode(err) !== "ECONNREFUSED") throw err;
      const wait = Math.min(backoff, deadline - Date.now());
      if (wait <= 0) {
        throw new Error(
          `connect to ${host}:${port} still refused after ${attempt} attempts in ${timeoutMs} ms`,
          { cause: err },
        );
      }
      await delay(wait);
      backoff = Math.min(backoff * 2, 100);
    }
  }
}

/**
 * Whether some socket on this machine is listening on TCP `port` (any address, IPv4 or IPv6), read from
 * Linux's `/proc/net/tcp` and `/proc/net/tcp6`. It does not connect, so a one-connection server is not
 * disturbed.
 *
 * Only the head of each table is read: Linux lists the listening sockets first (`tcp_seq_start()` walks the
 * listening hash before the established one), so the first row in another state ends the search. The whole table
 * can hold thousands of connections in TIME_WAIT after a test run or a benchmark, and the kernel formats every row
 * read: reading it all cost ~14 ms of system time per call here, and a wait polls every 10 ms.
 *
 * @param port - The port to look for.
 * @returns True when a socket in state LISTEN has that local port.
 * @throws Error when neither `/proc/net/tcp` nor `/proc/net/tcp6` can be read (not Linux).
 */
export function isListening(port: number): boolean {
  let readable = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const found = listensIn(file, port);
    if (found === true) return true;
    if (found === false) readable += 1;
    // null: tcp6 is missing when IPv6 is disabled; both missing is reported below.
  }
  if (readable === 0) throw new Error("isListening needs Linux's /proc/net/tcp");
  return false;
}

const TABLE_CHUNK = Buffer.alloc(16 * 1024);

/** Does the table `file` list a socket listening on `port`? `null` when it cannot be read. */
function listensIn(file: string, port: number): boolean | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return null;
  }
  const LISTEN = "0A";
  try {
    let rest = "";
    let header = true;
    for (;;) {
      const count = readSync(fd, TABLE_CHUNK, 0, TABLE_CHUNK.length, null);
      const text = rest + TABLE_CHUNK.toString("latin1", 0, count);
      const rows = text.split("\n");
      rest = count === 0 ? "" : (rows.pop() ?? "");
      for (const row of rows) {
        if (header) {
          header = false;
          continue;
        }
        const [, local, , state] = row.trim().split(/\s+/);
        if (local === undefined) continue;
        if (state !== LISTEN) return false; // the listeners came first
        const hexPort = local.slice(local.lastIndexOf(":") + 1);
        if (Number.parseInt(hexPort, 16) === port) return true;
      }
      if (count === 0) return false;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Wait until a socket listens on `port` (see {@link isListening}), polling every 10 ms, bounded by
 * `timeoutMs`. Use it before starting a client program against a server that prints nothing before
 * accepting (the echo server): unlike a probe connection, it leaves the server's one `accept()` to the client.
 *
 * @param port - The port to watch.
 * @param timeoutMs - Bound on the wait, 10 s unless told.
 * @throws Error when nothing listens on the port by the deadline.
 */
export async function waitForListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isListening(port)) {
    if (Date.now() >= deadline) {
      throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    }
    await delay(10);
  }
}

/**
 * Everything a socket receives until the peer closes its side, bounded by `timeoutMs`.
 *
 * @param socket - A connected socket; it is destroyed on timeout or error.
 * @param timeoutMs - Bound on the wait, 10 s unless told.
 * @returns The received bytes.
 * @throws Error on timeout (with the bytes received so far) or on a socket error.
 */
export function readToEnd(socket: Socket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      const got = Buffer.concat(chunks).toString("latin1");
      reject(new Error(`peer did not close within ${timeoutMs} ms; received so far: ${got}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The local port of a connected node:net socket. */
export function localPortOf(sock: Socket): number {
  const port = sock.localPort;
  if (port === undefined) throw new Error("connected socket without a local port");
  return port;
}

/** How a connection ended, seen from our side. */
export interface Ending {
  readonly data: Buffer;
  /** `eof`: the peer closed (FIN); `reset`: ECONNRESET, or EPIPE on a write after the peer closed. */
  readonly ending: "eof" | "reset";
}

/**
 * Everything received until the peer closes, bounded by `timeoutMs`. Starts collecting at once, so call it before
 * anything that could make the peer answer or close.
 */
export function readUntilClosed(sock: Socket, timeoutMs = 10_000): Promise<Ending> {
  return new Promise<Ending>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      const got = Buffer.concat(chunks).toString("latin1");
      reject(new Error(`connection still open after ${timeoutMs} ms; received: ${got}`));
    }, timeoutMs);
    sock.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    sock.once("end", () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), ending: "eof" });
    });
    sock.once("error", (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if ("code" in err && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
        resolve({ data: Buffer.concat(chunks), ending: "reset" });
      } else {
        reject(err);
      }
    });
  });
}
