/**
 * Profile a server under load: `node --cpu-prof` on our multiconn-server (quiet) by default, driven by the C load
 * generator (100 connections × 64 B ping-pong unless told), then stopped with SIGINT (the demo catches it as
 * KeyboardInterrupt and exits; the node:net baselines exit on SIGINT), which writes the profile. Prints the
 * functions with the most self time.
 *
 * V8's profiler samples wall-clock time of the main thread: a native call such as `writeBuffer` (the write(2)
 * system call) is charged with the time the kernel spends in it, and with time the thread spends preempted there
 * (on a busy 2-core machine, write(2) wakes the load generator, which may take the CPU).
 *
 * Usage: tsx bench/profile.ts [--server ours-echo|net-echo|ours-app|net-app] [--conns 100] [--size 64]
 *          [--duration 8] [--top 25]
 * The profile is kept in bench/build/profile/ (open it in Chrome DevTools or speedscope).
 * @module
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { parseArgs } from "node:util";

import {
  BUILD,
  ROOT,
  buildLoadgen,
  freePort,
  installCleanup,
  num,
  runLoadgen,
  start,
  waitForOutput,
  waitForPort,
} from "./common.ts";

const { values } = parseArgs({
  options: {
    conns: { type: "string", default: "100" },
    size: { type: "string", default: "64" },
    duration: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
    server: { type: "string", default: "ours-echo" },
  },
});
const top = Number(values.top);
const SCRIPTS: Record<string, string[]> = {
  "ours-echo": ["demos/multiconn-server.ts", "-q"],
  "net-echo": ["bench/servers/net-echo.ts"],
  "ours-app": ["demos/app-server.ts", "-q"],
  "net-app": ["bench/servers/net-app.ts"],
};
const serverArgs = SCRIPTS[values.server];
if (serverArgs === undefined) {
  console.error(`--server must be one of ${Object.keys(SCRIPTS).join(", ")}`);
  process.exit(2);
}
const app = values.server.endsWith("-app");

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  return (
    typeof value === "object" &&
    value !== null &&
    "nodes" in value &&
    Array.isArray(value.nodes) &&
    "samples" in value &&
    Array.isArray(value.samples) &&
    "timeDeltas" in value &&
    Array.isArray(value.timeDeltas)
  );
}

/** Self time per function (name, file, line), in µs, largest first. */
function selfTimes(profile: CpuProfile): { name: string; where: string; us: number }[] {
  const byNode = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byNode.set(node.id, node);
  const totals = new Map<string, { name: string; where: string; us: number }>();
  profile.samples.forEach((nodeId, i) => {
    const node = byNode.get(nodeId);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, "").replace(ROOT, "");
    // tsx-compiled project files report line 0 for every function: the file alone says enough.
    const where = file === "" ? "" : lineNumber > 0 ? `${file}:${String(lineNumber + 1)}` : file;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const key = `${name}@${where}`;
    const entry = totals.get(key) ?? { name, where, us: 0 };
    entry.us += profile.timeDeltas[i] ?? 0;
    totals.set(key, entry);
  });
  return [...totals.values()].sort((a, b) => b.us - a.us);
}

installCleanup();
buildLoadgen();
const dir = `${BUILD}profile/`;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const port = await freePort();
const server = start(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-dir",
    dir,
    "--import",
    "tsx",
    ...serverArgs,
    "127.0.0.1",
    String(port),
  ],
  { raiseNofile: true },
);
try {
  const ready =
    (await waitForOutput(server, /^Listening on /m, 30_000)) ||
    (await waitForPort(port, 5_000, server));
  if (!ready) {
    throw new Error(
      `the server did not start (does ${serverArgs.join(" ")} take -q yet?): ${server.stderr() || server.stdout()}`,
    );
  }
  const pairs = ["search-morpheus", "search-ring", "binary"].flatMap((n) => [
    "--pair",
    `${ROOT}spec/fixtures/vectors/${n}.req`,
    `${ROOT}spec/fixtures/vectors/${n}.res`,
  ]);
  const load = app
    ? ["oneshot", "--concurrency", "50", ...pairs]
    : ["echo", "--conns", values.conns, "--size", values.size];
  const run = await runLoadgen(
    [
      ...load,
      "--duration",
      values.duration,
      "--warmup",
      "1",
      "--port",
      String(port),
      "--watch-pid",
      String(server.pid),
    ],
    (Number(values.duration) + 40) * 1000,
  );
  const r = run.result;
  const cpu = `server CPU ${num(r, "server_cpu_pct").toFixed(0)}%, other processes ${num(r, "other_cpu_pct").toFixed(0)}%`;
  const calls = `server read/write syscalls per op ${num(r, "server_reads_per_op").toFixed(2)}/${num(r, "server_writes_per_op").toFixed(2)}`;
  console.log(
    app
      ? `load: ${num(r, "req_per_s").toFixed(0)} req/s, ${cpu}, ${calls}`
      : `load: ${num(r, "rt_per_s").toFixed(0)} round trips/s, ${num(r, "mb_per_s").toFixed(1)} MB/s, ${cpu}, ${calls}`,
  );
} finally {
  // SIGINT: the demo's select() throws KeyboardInterrupt, the demo ends, Node writes the profile.
  if (server.process.exitCode === null) process.kill(server.pid, "SIGINT");
  const timer = setTimeout(() => {
    void server.stop(500);
  }, 15_000);
  await server.exited;
  clearTimeout(timer);
}

// One profile per thread (tsx's loader hooks run in a worker): CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile,
// thread 0 being the main thread.
const files = readdirSync(dir)
  .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  .map((f) => `${dir}${f}`)
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
const file = files[0];
if (file === undefined) {
  console.error("no profile was written (did the server exit on SIGINT?)");
  process.exit(1);
}
const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
if (!isCpuProfile(parsed)) throw new Error(`${file} is not a CPU profile`);
const rows = selfTimes(parsed);
const total = rows.reduce((s, r) => s + r.us, 0);
const busy = rows.filter((r) => r.name !== "(idle)").reduce((s, r) => s + r.us, 0);
console.log(
  `profile: ${file.replace(ROOT, "")} — ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle`,
);
console.log(`top ${String(top)} by self time (% of non-idle time):`);
for (const r of rows.filter((x) => x.name !== "(idle)").slice(0, top)) {
  console.log(
    `${((r.us / busy) * 100).toFixed(1).padStart(5)}%  ${(r.us / 1000).toFixed(0).padStart(6)} ms  ${r.name}  ${r.where}`,
  );
}
