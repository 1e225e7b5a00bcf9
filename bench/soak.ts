/**
 * Memory over time: the hostile-input fuzz of `spec/hardening.spec.ts`, round after round, against the course's
 * app-server with an idle timeout, and the server's memory at checkpoints, after garbage collection.
 *
 * Each round is one connection doing one of (a seeded choice, the same every run): a valid request (its answer
 * checked byte for byte), random bytes then close, a valid request cut anywhere then close, a header that is not an
 * object / lacks a key / is not JSON / has a bad content-length, a reset in the middle of a frame, or a silent
 * connection closed by the server's idle timeout. Rounds run `--concurrency` at a time; at each checkpoint the
 * rounds in flight finish, then the server (which loads `bench/soak-probe.ts`) collects garbage and reports its RSS,
 * heap, external memory and handles.
 *
 * A leak shows as heapUsed (after GC) growing with the rounds after warm-up; RSS may grow a little more while V8
 * and the allocator settle. `--snapshots DIR` writes heap snapshots at the first checkpoint after warm-up and at the
 * last, and prints the object counts that grew, per 1,000 rounds: retained objects per closed connection.
 *
 * Run long soaks at the lowest priority: `nice -n 19 node --import tsx bench/soak.ts --rounds 1000000`.
 *
 * @example
 * ```sh
 * node --import tsx bench/soak.ts                       # 100,000 rounds, checkpoint every 10,000
 * node --import tsx bench/soak.ts --rounds 1000000      # a million
 * node --import tsx bench/soak.ts --rounds 20000 --snapshots /tmp/soak
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import * as net from "node:net";
import { parseArgs } from "node:util";

import { freePort, ROOT } from "./common.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "100000" },
    every: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string", default: "64" },
    idle: { type: "string", default: "1" },
    seed: { type: "string", default: "21" },
    snapshots: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const EVERY = Number(values.every ?? String(Math.max(1000, Math.floor(ROUNDS / 10))));
const WARMUP = Number(values.warmup ?? String(EVERY));
const CONCURRENCY = Number(values.concurrency);
const IDLE = values.idle;

/** mulberry32: a small seeded generator, so that every run makes the same rounds. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(Number(values.seed));
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const VECTORS = [
  "search-morpheus",
  "search-ring",
  "search-dog",
  "search-miss",
  "binary",
  "bad-action",
].map((name) => ({
  req: readFileSync(`${ROOT}spec/fixtures/vectors/${name}.req`),
  res: readFileSync(`${ROOT}spec/fixtures/vectors/${name}.res`),
}));

/** A frame of the course's protocol: 2-byte big-endian header length, the JSON header, the content. */
function frame(header: string, content = ""): Buffer {
  const h = Buffer.from(header);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(h.length);
  return Buffer.concat([length, h, Buffer.from(content)]);
}

const header = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    byteorder: "little",
    "content-type": "text/json",
    "content-encoding": "utf-8",
    "content-length": 2,
    ...fields,
  });

/** What a round sends, and how it ends. */
interface Round {
  readonly kind: string;
  readonly send: Buffer;
  readonly then: "end" | "reset" | "wait" | "silent";
  /** The answer expected byte for byte, or `null` for any (the server closes without one, or answers an error). */
  readonly answer: Buffer | null;
}

function nextRound(): Round {
  const x = random();
  if (x < 0.3) {
    const v = pick(VECTORS);
    return { kind: "valid", send: v.req, then: "wait", answer: v.res };
  }
  if (x < 0.5) {
    const bytes = Buffer.alloc(1 + Math.floor(random() * 600));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return { kind: "random bytes", send: bytes, then: "end", answer: null };
  }
  if (x < 0.65) {
    const v = pick(VECTORS);
    return {
      kind: "cut",
      send: v.req.subarray(0, 1 + Math.floor(random() * (v.req.length - 1))),
      then: "end",
      answer: null,
    };
  }
  if (x < 0.85) {
    const bad = pick([
      frame("[]"),
      frame("null"),
      frame("{byteorder: little}"),
      frame(header({ "content-length": -1 }), "{}"),
      frame(header({ "content-length": "10" }), "{}"),
      frame(JSON.stringify({ byteorder: "little" }), "{}"),
      frame(header({ "content-type": "text/json", "content-encoding": "nope" }), "{}"),
      Buffer.from([0, 0]),
    ]);
    return { kind: "bad header", send: bad, then: "wait", answer: null };
  }
  if (x < 0.98) {
    const v = pick(VECTORS);
    return {
      kind: "reset",
      send: v.req.subarray(0, 1 + Math.floor(random() * (v.req.length - 1))),
      then: "reset",
      answer: null,
    };
  }
  return { kind: "silent", send: Buffer.alloc(0), then: "silent", answer: null };
}

let failures = 0;
const failureKinds = new Map<string, number>();
/**
 * Valid rounds whose request this process wrote only after most of the idle timeout had passed since it
 * connected (a starved load generator, on a busy machine): the server rightly closed them unanswered.
 */
let late = 0;
const IDLE_MS = Number(IDLE) * 1000;

/** Run one round; resolves when the connection is closed (bounded: 10 s). */
function runRound(port: number, round: Round): Promise<void> {
  return new Promise((resolve) => {
    const begun = performance.now();
    let wroteAt = Number.POSITIVE_INFINITY;
    const sock = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    /** The socket's error code, if it had one (`, ECONNRESET`). */
    let errorCode = "";
    let done = false;
    const fail = (why: string): void => {
      failures += 1;
      const key = `${round.kind}: ${why}`;
      failureKinds.set(key, (failureKinds.get(key) ?? 0) + 1);
    };
    const timer = setTimeout(() => {
      fail("not closed within 10 s");
      sock.destroy();
    }, 10_000);
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const got = Buffer.concat(chunks);
      if (round.answer !== null && !got.equals(round.answer)) {
        // An empty answer on a loaded machine is the idle timeout closing the connection first.
        const what =
          got.length === 0
            ? "closed without an answer"
            : `wrong answer (${String(got.length)} bytes)`;
        if (got.length === 0 && wroteAt - begun >= IDLE_MS * 0.8) late += 1;
        else fail(what + errorCode);
      }
      resolve();
    };
    sock.on("data", (chunk: Buffer) => chunks.push(chunk));
    sock.on("error", (err: NodeJS.ErrnoException) => {
      errorCode = `, ${err.code ?? err.message}`;
      // ECONNRESET after our own reset, or the server's close of a half-sent frame: the round is over.
    });
    sock.on("close", finish);
    sock.on("connect", () => {
      if (round.then === "silent") return; // the server's idle timeout closes it
      wroteAt = performance.now();
      sock.write(round.send, () => {
        if (round.then === "end") sock.end();
        else if (round.then === "reset") sock.resetAndDestroy();
      });
    });
    sock.on("end", () => sock.end());
  });
}

/** One line of the probe, read from the server's stderr. */
interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  handles: number;
  snapshot: string | null;
}

const port = await freePort();
const snapshotDir = values.snapshots;
if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
const server = spawn(
  process.execPath,
  [
    "--expose-gc",
    "--import",
    "tsx",
    "--import",
    "./bench/soak-probe.ts",
    "demos/app-server.ts",
    "127.0.0.1",
    String(port),
    "-q",
    "--idle-timeout",
    IDLE,
  ],
  {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SOAK_SNAPSHOT_DIR: snapshotDir ?? "" },
  },
);
process.on("exit", () => server.kill("SIGKILL"));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.kill("SIGKILL");
    process.exit(130);
  });
}
let stderr = "";
const waiting: ((memory: Memory) => void)[] = [];
server.stderr.setEncoding("utf8");
server.stderr.on("data", (text: string) => {
  stderr += text;
  let newline: number;
  while ((newline = stderr.indexOf("\n")) >= 0) {
    const line = stderr.slice(0, newline);
    stderr = stderr.slice(newline + 1);
    if (line.startsWith("soak-memory ")) waiting.shift()?.(JSON.parse(line.slice(12)) as Memory);
    else process.stderr.write(`server: ${line}\n`);
  }
});
let serverLines = 0;
server.stdout.setEncoding("utf8");
await new Promise<void>((resolve, reject) => {
  server.stdout.on("data", (text: string) => {
    serverLines += text.split("\n").length - 1;
    if (text.includes("Listening on")) resolve();
  });
  server.once("exit", (code) => {
    reject(new Error(`app-server exited (${String(code)})`));
  });
});

/** Ask the probe for the server's memory (and a heap snapshot, with `--snapshots`). */
function probe(): Promise<Memory> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    server.kill("SIGUSR2");
  });
}

/** Objects in a heap snapshot, counted by constructor (closures by function name). */
function countObjects(path: string): Map<string, number> {
  const snapshot = JSON.parse(readFileSync(path, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const counts = new Map<string, number>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? "?";
    if (type !== "object" && type !== "closure" && type !== "array") continue;
    const name = `${type} ${snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? "?"}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

const MiB = 1024 * 1024;
const started = performance.now();
const cpuBefore = process.cpuUsage();
console.log(
  `soak: app-server -q --idle-timeout ${IDLE}, ${ROUNDS.toLocaleString("en-US")} rounds, ${String(CONCURRENCY)} at a time, checkpoint every ${EVERY.toLocaleString("en-US")} (warm-up ${WARMUP.toLocaleString("en-US")})`,
);
console.log("| rounds | RSS MiB | heapUsed MiB | external MiB | handles | failures | rounds/s |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
const first = await probe();
console.log(
  `| 0 | ${(first.rss / MiB).toFixed(1)} | ${(first.heapUsed / MiB).toFixed(1)} | ${(first.external / MiB).toFixed(1)} | ${String(first.handles)} | 0 | — |`,
);
const rows: { rounds: number; memory: Memory }[] = [];
let done = 0;
let lastTime = performance.now();
let lastDone = 0;
while (done < ROUNDS) {
  const target = Math.min(ROUNDS, done + EVERY);
  // `CONCURRENCY` rounds in flight until the checkpoint; then all finish.
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const startMore = (): void => {
      while (inFlight < CONCURRENCY && done + inFlight < target) {
        inFlight += 1;
        void runRound(port, nextRound()).then(() => {
          inFlight -= 1;
          done += 1;
          if (done === target) resolve();
          else startMore();
        });
      }
    };
    startMore();
  });
  const memory = await probe();
  rows.push({ rounds: done, memory });
  const now = performance.now();
  const rate = ((done - lastDone) / (now - lastTime)) * 1000;
  lastTime = now;
  lastDone = done;
  for (const [kind, count] of failureKinds)
    process.stderr.write(`failed so far: ${String(count)} × ${kind}\n`);
  console.log(
    `| ${done.toLocaleString("en-US")} | ${(memory.rss / MiB).toFixed(1)} | ${(memory.heapUsed / MiB).toFixed(1)} | ${(memory.external / MiB).toFixed(1)} | ${String(memory.handles)} | ${String(failures)} | ${rate.toFixed(0)} |`,
  );
}
const afterWarmup = rows.find((row) => row.rounds >= WARMUP);
const last = rows.at(-1);
if (afterWarmup !== undefined && last !== undefined && last.rounds > afterWarmup.rounds) {
  const per1000 = (a: number, b: number): string =>
    `${(((b - a) / (last.rounds - afterWarmup.rounds)) * 1000).toFixed(0)} B per 1,000 rounds`;
  console.log(
    `after warm-up (${afterWarmup.rounds.toLocaleString("en-US")} → ${last.rounds.toLocaleString("en-US")} rounds): ` +
      `RSS ${(afterWarmup.memory.rss / MiB).toFixed(1)} → ${(last.memory.rss / MiB).toFixed(1)} MiB (${per1000(afterWarmup.memory.rss, last.memory.rss)}), ` +
      `heapUsed ${(afterWarmup.memory.heapUsed / MiB).toFixed(1)} → ${(last.memory.heapUsed / MiB).toFixed(1)} MiB (${per1000(afterWarmup.memory.heapUsed, last.memory.heapUsed)})`,
  );
}
if (
  afterWarmup?.memory.snapshot != null &&
  last?.memory.snapshot != null &&
  last.rounds > afterWarmup.rounds
) {
  const before = countObjects(afterWarmup.memory.snapshot);
  const after = countObjects(last.memory.snapshot);
  const rounds = last.rounds - afterWarmup.rounds;
  const grown = [...after]
    .map(([name, count]) => [name, count - (before.get(name) ?? 0)] as const)
    .filter(([, delta]) => delta > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  console.log(`objects that grew from ${afterWarmup.memory.snapshot} to ${last.memory.snapshot}:`);
  for (const [name, delta] of grown) {
    console.log(
      `  +${String(delta)} ${name} (${((delta / rounds) * 1000).toFixed(2)} per 1,000 rounds)`,
    );
  }
  if (grown.length === 0) console.log("  none");
}
for (const [kind, count] of failureKinds) console.log(`failed: ${String(count)} × ${kind}`);
const cpu = process.cpuUsage(cpuBefore);
console.log(
  `${String(failures)} failed rounds, ${String(late)} valid rounds closed by the idle timeout after this process wrote late; ${((performance.now() - started) / 1000).toFixed(0)} s, load generator ${((cpu.user + cpu.system) / 1e6).toFixed(0)} CPU-s; server printed ${String(serverLines)} lines`,
);
server.kill("SIGINT");
process.exitCode = failures === 0 ? 0 : 1;
