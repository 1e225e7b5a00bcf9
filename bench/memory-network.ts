/**
 * The in-memory network beside loopback: N exchanges of the course's application protocol (`search morpheus`,
 * one request per connection, as the course's app-server and app-client do), with the course's `Message` classes
 * (`lib/app/libserver.ts`, `lib/app/libclient.ts`), server and clients in this one process, `concurrency` connections at a
 * time. The same code runs twice per round, once on a `MemoryNetwork` and once on real loopback sockets; rounds
 * alternate (after a shorter warm-up run on each) and the figure is each wire's median. Every answer is checked.
 * A third run per round is on a `MemoryNetwork` that captures every segment to a pcap file (`network.capture()`):
 * the cost of capturing when on (when off it costs one check per segment).
 *
 * Usage: tsx bench/memory-network.ts [--exchanges 10000] [--concurrency 50] [--rounds 3]
 * Prints one line per run, then `RESULT memory_s=… loopback_s=… capture_s=… capture_bytes=… exchanges=…`.
 * @module
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual, parseArgs } from "node:util";

import * as libclient from "../lib/app/libclient.ts";
import * as libserver from "../lib/app/libserver.ts";
import { MemoryNetwork } from "../lib/transport/memory-network.ts";
import { printer } from "../lib/python/print.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { median } from "./common.ts";

const { values } = parseArgs({
  options: {
    exchanges: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
  },
});
const EXCHANGES = Number(values.exchanges);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const QUIET = { log: printer(true) };
const REQUEST: libclient.Request = {
  type: "text/json",
  encoding: "utf-8",
  content: { action: "search", value: "morpheus" },
};
const ANSWER = { result: "Follow the white rabbit. \u{1f430}" };

/**
 * Run the exchanges on the wire `socket.socket()` uses now.
 * @returns the seconds they took.
 * @throws Error when an answer is wrong or the exchanges do not finish.
 */
async function exchanges(count: number): Promise<number> {
  const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  lsock.bind(["127.0.0.1", 0]);
  await lsock.listen(CONCURRENCY * 2);
  const addr = lsock.getsockname();
  if (typeof addr === "string") throw new Error("an AF_INET listener has a host and port");
  const listener = lsock.setblocking(false);
  const serverSel = new DefaultSelector<libserver.Message | null>();
  serverSel.register(listener, EVENT_READ, null);
  const clientSel = new DefaultSelector<libclient.Message>();

  let started = 0;
  let answered = 0;
  let wrong = 0;
  function startOne(): void {
    started++;
    const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
    sock.connectEx(addr);
    const message: libclient.Message = new libclient.Message(clientSel, sock, addr, REQUEST, {
      ...QUIET,
      onClose: () => {
        answered++;
        if (!isDeepStrictEqual(message.response, ANSWER)) wrong++;
        if (started < count) startOne();
      },
    });
    clientSel.register(sock, EVENT_READ | EVENT_WRITE, message);
  }

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < Math.min(CONCURRENCY, count); i++) startOne();
  let turns = 0;
  while (answered < count) {
    if (++turns > count * 1000) throw new Error(`stuck after ${answered} answers`);
    for (const [key, mask] of await serverSel.select(0)) {
      if (key.data === null) {
        for (;;) {
          let conn: socket.BlockingSocket;
          let from: socket.Address;
          try {
            [conn, from] = listener.accept();
          } catch {
            break;
          }
          const nb = conn.setblocking(false);
          const message = new libserver.Message(serverSel, nb, from, QUIET);
          serverSel.register(nb, EVENT_READ, message);
        }
      } else key.data.processEvents(mask);
    }
    for (const [key, mask] of await clientSel.select(0)) key.data.processEvents(mask);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lastCpu = (cpu.user + cpu.system) / 1e6;
  serverSel.close();
  clientSel.close();
  lsock.close();
  if (wrong > 0) throw new Error(`${wrong} wrong answers`);
  return seconds;
}

/** CPU seconds of the last run (user + system): on a shared machine, what the wall time would be alone. */
let lastCpu = 0;
const memory: number[] = [];
// A first, shorter run on each wire lets the JIT compile what both runs share.
{
  using _network = new MemoryNetwork().install();
  await exchanges(Math.ceil(EXCHANGES / 10));
}
await exchanges(Math.ceil(EXCHANGES / 10));
const loopback: number[] = [];
const captured: number[] = [];
const captureDir = mkdtempSync(join(tmpdir(), "selectors-ts-bench-capture-"));
let captureBytes = 0;
for (let round = 1; round <= ROUNDS; round++) {
  {
    using _network = new MemoryNetwork().install();
    const s = await exchanges(EXCHANGES);
    memory.push(s);
    console.log(
      `[memory ${round}/${ROUNDS}] ${EXCHANGES} exchanges in ${s.toFixed(3)} s (${Math.round(EXCHANGES / s)}/s), CPU ${lastCpu.toFixed(3)} s`,
    );
  }
  const s = await exchanges(EXCHANGES);
  loopback.push(s);
  console.log(
    `[loopback ${round}/${ROUNDS}] ${EXCHANGES} exchanges in ${s.toFixed(3)} s (${Math.round(EXCHANGES / s)}/s), CPU ${lastCpu.toFixed(3)} s`,
  );
  {
    using network = new MemoryNetwork().install();
    const path = join(captureDir, `${round}.pcap`);
    const capture = network.capture(path);
    const c = await exchanges(EXCHANGES);
    capture.close();
    captured.push(c);
    captureBytes = statSync(path).size;
    rmSync(path);
    console.log(
      `[memory+capture ${round}/${ROUNDS}] ${EXCHANGES} exchanges in ${c.toFixed(3)} s (${Math.round(EXCHANGES / c)}/s), CPU ${lastCpu.toFixed(3)} s, ${capture.packets} packets, ${(captureBytes / 1e6).toFixed(1)} MB`,
    );
  }
}
rmSync(captureDir, { recursive: true, force: true });
console.log(
  `RESULT memory_s=${median(memory).toFixed(3)} loopback_s=${median(loopback).toFixed(3)} capture_s=${median(captured).toFixed(3)} capture_bytes=${captureBytes} exchanges=${EXCHANGES}`,
);
