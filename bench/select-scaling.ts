/**
 * select() scaling: does a `select()` cost more when many idle sockets are registered?
 *
 * In this one process: a listening socket of ours (lib/python/socket.ts), N-1 idle connections to it (opened by the C
 * load generator's `idle` mode in a child process, so that only the server ends count against this process's
 * descriptor limit) and one connection with 64 bytes waiting unread (its client end is ours too). Two
 * `DefaultSelector`s, both with every socket registered for `EVENT_READ` only (an idle socket is then not ready):
 * - small: the ready socket and 9 idle ones (10 registered);
 * - big: the ready socket and all N-1 idle ones (N registered, 10,000 by default).
 * Each batch times `calls` consecutive `await sel.select(0)`, each of which must return exactly the one ready key;
 * batches alternate small, big, small, big ...; the figure is the median µs per call over the batches, and the
 * ratio big / small.
 *
 * Usage: tsx bench/select-scaling.ts [--conns 10000] [--batches 21] [--calls 20000]
 * Prints a human summary and one `RESULT us_small=… us_big=… ratio=… n_small=10 n_big=…` line.
 * @module
 */
import { parseArgs } from "node:util";

import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import {
  LOADGEN,
  buildLoadgen,
  installCleanup,
  median,
  parseLine,
  start,
  waitForOutput,
  type Child,
} from "./common.ts";
import { existsSync } from "node:fs";

const { values } = parseArgs({
  options: {
    conns: { type: "string", default: "10000" },
    batches: { type: "string", default: "21" },
    calls: { type: "string", default: "20000" },
  },
});
const N = Number(values.conns);
const BATCHES = Number(values.batches);
const CALLS = Number(values.calls);
const SMALL = 10;
if (!(N > SMALL && BATCHES > 0 && CALLS > 0)) {
  console.error("usage: select-scaling.ts [--conns N>10] [--batches B] [--calls C]");
  process.exit(2);
}

installCleanup();
if (!existsSync(LOADGEN)) buildLoadgen();

type Sel = selectors.DefaultSelector<null>;

async function timeBatch(sel: Sel, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const ready = await sel.select(0);
    if (ready.length !== 1) throw new Error(`select(0) returned ${ready.length} keys, expected 1`);
  }
  return ((performance.now() - t0) * 1000) / calls;
}

const idle: socket.NonBlockingSocket[] = [];
const small: Sel = new selectors.DefaultSelector<null>();
const big: Sel = new selectors.DefaultSelector<null>();
const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
let client: socket.BlockingSocket | null = null;
let readySock: socket.NonBlockingSocket | null = null;
let loadgen: Child | null = null;

try {
  lsock.bind(["127.0.0.1", 0]);
  await lsock.listen(4096);
  const address = lsock.getsockname();
  const port = typeof address === "string" ? 0 : address[1];
  lsock.settimeout(60);

  // N-1 idle connections from a child process, held for at most 5 minutes.
  loadgen = start(LOADGEN, [
    "idle",
    "--port",
    String(port),
    "--conns",
    String(N - 1),
    "--duration",
    "300",
    "--max-pending",
    "200",
    "--ramp-timeout",
    "60",
  ]);
  const t0 = performance.now();
  for (let i = 0; i < N - 1; i++) {
    const [conn] = await lsock.accept();
    idle.push(conn.setblocking(false));
  }
  if (!(await waitForOutput(loadgen, /^READY /m, 30_000))) {
    throw new Error(`the load generator did not report its connections: ${loadgen.stderr()}`);
  }
  const acceptSeconds = (performance.now() - t0) / 1000;

  // The one ready socket: 64 bytes sent to it, never read.
  client = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  client.settimeout(10);
  await client.connect(["127.0.0.1", port]);
  const [conn] = await lsock.accept();
  readySock = conn.setblocking(false);
  await client.sendall(Buffer.alloc(64, 0x61));

  small.register(readySock, selectors.EVENT_READ, null);
  for (const s of idle.slice(0, SMALL - 1)) small.register(s, selectors.EVENT_READ, null);
  big.register(readySock, selectors.EVENT_READ, null);
  for (const s of idle) big.register(s, selectors.EVENT_READ, null);
  const smallCount = small.getMap()?.size ?? 0;
  const bigCount = big.getMap()?.size ?? 0;

  // Wait (bounded) until the 64 bytes are in, then warm up both.
  for (let i = 0; i < 100 && (await small.select(0.1)).length !== 1; i++);
  await timeBatch(small, CALLS);
  await timeBatch(big, CALLS);

  const usSmall: number[] = [];
  const usBig: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    usSmall.push(await timeBatch(small, CALLS));
    usBig.push(await timeBatch(big, CALLS));
  }
  const ms = median(usSmall);
  const mb = median(usBig);
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(" ");
  console.log(
    `${N - 1} idle connections accepted in ${acceptSeconds.toFixed(2)} s; ${BATCHES} batches of ${CALLS} select(0) calls each`,
  );
  console.log(`  ${smallCount} registered: ${ms.toFixed(2)} µs/call  [${fmt(usSmall)}]`);
  console.log(`  ${bigCount} registered: ${mb.toFixed(2)} µs/call  [${fmt(usBig)}]`);
  console.log(`  ratio ${(mb / ms).toFixed(2)}x`);
  console.log(
    `RESULT us_small=${ms.toFixed(3)} us_big=${mb.toFixed(3)} ratio=${(mb / ms).toFixed(3)} n_small=${smallCount} n_big=${bigCount}`,
  );
  if (parseLine(loadgen.stdout(), "RESULT") !== null) {
    throw new Error("the idle connections ended before the measurement did");
  }
} finally {
  small.close();
  big.close();
  readySock?.close();
  client?.close();
  for (const s of idle) s.close();
  lsock.close();
  await loadgen?.stop(1000);
}
process.exit(0);
