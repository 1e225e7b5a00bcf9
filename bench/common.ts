/**
 * What the benchmark scripts share: paths, building the C load generator, starting and killing child processes
 * (always bounded in time, always killed), parsing the load generator's `KEY=VALUE` lines, medians, machine facts.
 *
 * Rules:
 * - Every child leads its own process group and is remembered until it has exited; {@link killAll} (run on exit,
 *   SIGINT and SIGTERM once {@link installCleanup} was called) kills every group still alive.
 * - Servers are started through `sh -c 'ulimit -n <hard>; exec ...'`, so the pid we hold is the server's own
 *   (read in /proc) and its descriptor limit is the hard limit.
 * - Python is run as the real interpreter (`sys.executable`), not through a shim such as pyenv's, for the same
 *   reason.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import * as net from "node:net";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";

/** The project root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** `bench/`. */
export const BENCH = fileURLToPath(new URL("./", import.meta.url));
/** Where the load generator is compiled (git-ignored). */
export const BUILD = `${BENCH}build/`;
/** The compiled load generator. */
export const LOADGEN = `${BUILD}loadgen`;

/** Compile `bench/loadgen.c` with the machine's `cc -O2`. @throws Error with the compiler's output. */
export function buildLoadgen(): void {
  mkdirSync(BUILD, { recursive: true });
  const r = spawnSync("cc", ["-O2", "-Wall", "-o", LOADGEN, `${BENCH}loadgen.c`], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw new Error(`cc: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`cc failed:\n${r.stderr}`);
}

/** The descriptor hard limit (`ulimit -Hn`), or null when it cannot be read. */
export function hardNofile(): number | null {
  const r = spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8", timeout: 5000 });
  const text = r.stdout.trim();
  if (text === "unlimited") return Number.MAX_SAFE_INTEGER;
  const n = Number(text);
  return Number.isFinite(n) && text !== "" ? n : null;
}

/** The real Python 3 interpreter and its version, or null when `python3` is missing. */
export function findPython(): { path: string; version: string } | null {
  const r = spawnSync(
    "python3",
    ["-c", "import sys, platform; print(sys.executable); print(platform.python_version())"],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (r.error || r.status !== 0) return null;
  const [path = "", version = ""] = r.stdout.trim().split("\n");
  return path === "" ? null : { path, version };
}

/** Cores, CPU model, kernel and Node version, for the report header. */
export function machine(): { cores: number; model: string; node: string } {
  let model = "unknown";
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1] !== undefined) model = m[1].trim();
  } catch {
    model = cpus()[0]?.model ?? "unknown";
  }
  return { cores: cpus().length, model, node: process.version };
}

/** CPU seconds the whole machine has been busy (all cores; not idle, not iowait), from /proc/stat; NaN if unknown. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = [0, 1, 2, 5, 6, 7].reduce((s, i) => s + (v[i] ?? 0), 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/**
 * Wait (at most `maxMs`) until the machine is quiet: less than `limitPct`% of one core busy over a 500 ms sample.
 * Called when none of our servers or load generators runs, so what it sees is other processes.
 * @returns the milliseconds waited.
 */
export async function waitForQuiet(limitPct: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const b0 = machineBusySeconds();
    const s0 = performance.now();
    await sleep(500);
    const busyPct = ((machineBusySeconds() - b0) / ((performance.now() - s0) / 1000)) * 100;
    const waited = performance.now() - t0;
    if (!(busyPct >= limitPct) || waited >= maxMs) return waited - 500;
  }
}

/**
 * The code measured: the commit, and the files of lib/ and demos/ that differ from it (the tree is shared: someone
 * may be changing lib/ while the bench runs).
 */
export function treeState(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 10_000,
  });
  if (head.status !== 0) return "not a git checkout";
  const status = spawnSync("git", ["status", "--porcelain", "--", "lib", "demos"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 10_000,
  });
  const changed = status.stdout
    .split("\n")
    .map((l) => l.slice(3).trim())
    .filter((l) => l !== "");
  return changed.length === 0
    ? `commit ${head.stdout.trim()}`
    : `commit ${head.stdout.trim()} + uncommitted changes in ${changed.join(", ")}`;
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** One `KEY=VALUE ...` line of the load generator, numbers as numbers. */
export type Fields = Record<string, number | string>;

/** Parse the first line starting with `tag` (`RESULT`, `READY`) into fields, or null. */
export function parseLine(text: string, tag: string): Fields | null {
  const line = text.split("\n").find((l) => l.startsWith(`${tag} `));
  if (line === undefined) return null;
  const fields: Fields = {};
  for (const part of line
    .slice(tag.length + 1)
    .trim()
    .split(/\s+/)) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    const n = Number(value);
    fields[key] = value !== "" && Number.isFinite(n) ? n : value;
  }
  return fields;
}

/** A numeric field, or NaN. */
export function num(fields: Fields | null, key: string): number {
  const v = fields?.[key];
  return typeof v === "number" ? v : Number.NaN;
}

/** The median of the finite values, or NaN when there are none. */
export function median(values: readonly number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (xs[mid] ?? Number.NaN) : ((xs[mid - 1] ?? 0) + (xs[mid] ?? 0)) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------------------------

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Kill (SIGKILL) every child process group still alive. Synchronous: safe in an `exit` handler. */
export function killAll(): void {
  for (const child of live) killGroup(child, "SIGKILL");
  live.clear();
}

let cleanupInstalled = false;

/** Kill every child on exit, and on SIGINT/SIGTERM (then exit 130/143). */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAll);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

/** A started child: its pid, its output so far (bounded), and how it ended. */
export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Standard output so far (only when piped; the last 64 KiB). */
  stdout(): string;
  /** Standard error so far (the last 16 KiB). */
  stderr(): string;
  /** Settles with the exit status (or the signal's name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** Has it exited (and its output streams closed)? */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Keep standard output (default true); false sends it to /dev/null. */
  stdout?: boolean;
  /** Run through `sh -c 'ulimit -n HARD; exec ...'` (default false). */
  raiseNofile?: boolean;
  cwd?: string;
}

/** Start `file args` in its own process group. */
export function start(file: string, args: readonly string[], options: StartOptions = {}): Child {
  const keepStdout = options.stdout ?? true;
  const command = options.raiseNofile
    ? {
        file: "sh",
        args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', file, ...args],
      }
    : { file, args: [...args] };
  const child = spawn(command.file, command.args, {
    cwd: options.cwd ?? ROOT,
    detached: true,
    stdio: ["ignore", keepStdout ? "pipe" : "ignore", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${file}`);
  live.add(child);
  let out = "";
  let err = "";
  let done = false;
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    out = (out + chunk).slice(-65536);
  });
  child.stderr?.on("data", (chunk: string) => {
    err = (err + chunk).slice(-16384);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("close", (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    child.on("error", (e) => {
      done = true;
      live.delete(child);
      err += `\n${e.message}`;
      resolve(`error: ${e.message}`);
    });
  });
  const pid = child.pid;
  return {
    pid,
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done,
    async stop(graceMs = 2000): Promise<void> {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => {
        killGroup(child, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Wait until `child` prints a line matching `pattern`, it exits, or `ms` pass. @returns whether it printed it. */
export async function waitForOutput(child: Child, pattern: RegExp, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (pattern.test(child.stdout())) return true;
    if (child.hasExited()) return pattern.test(child.stdout());
    await sleep(20);
  }
  return false;
}

/** Wait until something accepts connections on 127.0.0.1:`port` (a connect probe every 50 ms), up to `ms`. */
export async function waitForPort(port: number, ms: number, child?: Child): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && child?.hasExited() !== true) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      const timer = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 1000);
      s.on("connect", () => {
        clearTimeout(timer);
        s.end();
        resolve(true);
      });
      s.on("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What one load generator run gave. */
export interface LoadgenRun {
  /** The RESULT line, or null when there was none. */
  result: Fields | null;
  /** The READY line, or null. */
  ready: Fields | null;
  /** Exit status (or signal name). */
  status: number | string;
  stderr: string;
}

/**
 * Run the load generator to completion, killing it after `timeoutMs` whatever happens (it also ends itself:
 * see `alarm()` in loadgen.c).
 */
export async function runLoadgen(args: readonly string[], timeoutMs: number): Promise<LoadgenRun> {
  const child = start(LOADGEN, args);
  const timer = setTimeout(() => {
    void child.stop(500);
  }, timeoutMs);
  const status = await child.exited;
  clearTimeout(timer);
  const out = child.stdout();
  return {
    result: parseLine(out, "RESULT"),
    ready: parseLine(out, "READY"),
    status,
    stderr: child.stderr().trim(),
  };
}
