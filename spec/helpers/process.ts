/**
 * Run the course's programs (our TypeScript demos, the Python peers) as child processes, and compare what
 * they print with the Python transcripts.
 *
 * Rules:
 * - Every child is killed when the current vitest test finishes, pass or fail ({@link SpawnOptions}), so
 *   a failing test leaves no server holding a port. Outside a test, pass `killOnTestFinished: false` and
 *   call {@link Program.kill} yourself.
 * - Each child leads its own process group. {@link Program.signal} signals the whole group, as a terminal
 *   does on Ctrl-C, and {@link Program.kill} kills the whole group: a program's own children (the guided
 *   tour's, or `tsx`'s grandchild) must not outlive the test.
 * - Our TypeScript programs ({@link tsDemo}, {@link tsProgram}) start as `node --enable-source-maps
 *   BUILD/demos/NAME.ts`: one node process running the bundle made once for this test run
 *   (`spec/helpers/build-programs.ts`), with the same `process.argv[1]` file name, working directory,
 *   `import.meta.url` of the library, output, signals and exit as under `node --import tsx demos/NAME.ts`, for
 *   about a quarter of its start-up CPU.
 * - Every wait is bounded, and a failed wait says what the program printed so far.
 * - Paths are resolved from this file, not from the current directory.
 *
 * @example
 * ```ts
 * const server = tsDemo("multiconn-server", ["127.0.0.1", String(port)]);
 * await server.waitForLine(/^Listening on /);
 * server.signal("SIGINT");
 * const { code, stdout } = await server.exited;
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { inject, onTestFinished } from "vitest";

import { findTool } from "./tools.ts";

/** The project's root folder (absolute, with a trailing separator). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The folder of the Python peers, `spec/peers/`. */
export const PEERS_DIR = fileURLToPath(new URL("../peers/", import.meta.url));

/** The folder of the Python transcripts and wire vectors, `spec/fixtures/`. */
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** How a program ended, with everything it printed. */
export interface Exit {
  /** The exit status, or `null` when a signal ended the program. */
  code: number | null;
  /** The signal that ended the program, or `null` when it exited. */
  signal: NodeJS.Signals | null;
  /** Everything printed on standard output. */
  stdout: string;
  /** Everything printed on standard error. */
  stderr: string;
}

/** Options of {@link spawnProgram}. */
export interface SpawnOptions {
  /** Working directory; the project root unless told. */
  cwd?: string;
  /** Environment; the test process's own unless told. */
  env?: NodeJS.ProcessEnv;
  /**
   * Kill the program (and its process group) when the current vitest test finishes, whatever its result.
   * True unless told; it must then be called inside a test. With false, the caller calls
   * {@link Program.kill}.
   */
  killOnTestFinished?: boolean;
}

/** A running child process, with its output collected as text. */
export interface Program {
  /** What was run: the command and its arguments, for messages. */
  readonly commandLine: string;
  /** Standard output so far (UTF-8). */
  readonly stdout: string;
  /** Standard error so far (UTF-8). */
  readonly stderr: string;
  /**
   * Settles once the program has exited and its output streams are closed. Never rejects, and has no
   * deadline: tests await {@link Program.waitForExit} instead.
   */
  readonly exited: Promise<Exit>;
  /**
   * The first complete stdout line matching `pattern`, including lines printed before the call.
   *
   * @param pattern - Tested with `String.prototype.search`, so a `g` flag does no harm.
   * @param timeoutMs - Bound on the wait, 10 s unless told.
   * @returns The line, without its newline.
   * @throws Error when the program exits first or the time runs out; the message holds its output so far.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * The first `count` stdout lines matching `pattern`, once that many have been printed.
   *
   * @throws Error as {@link Program.waitForLine}.
   */
  waitForLines(pattern: RegExp, count: number, timeoutMs?: number): Promise<string[]>;
  /**
   * Send `sig` to the program's process group, as a terminal's Ctrl-C sends SIGINT. Does nothing once the
   * program has exited.
   */
  signal(sig: NodeJS.Signals): void;
  /**
   * Wait for the program to end, bounded: {@link Program.exited} with a deadline.
   *
   * @param timeoutMs - Bound on the wait, 10 s unless told.
   * @returns How it ended.
   * @throws Error when it is still running at the deadline; the message holds its output so far.
   */
  waitForExit(timeoutMs?: number): Promise<Exit>;
  /** Write `text` (UTF-8) to the program's standard input. */
  writeStdin(text: string): void;
  /** End the program's standard input (EOF). */
  closeStdin(): void;
  /**
   * Kill the program's process group with SIGKILL unless it has already exited, and wait (at most 5 s)
   * for it to end.
   *
   * @returns How it ended.
   * @throws Error when it still has not ended after 5 s.
   */
  kill(): Promise<Exit>;
}

interface LineWaiter {
  pattern: RegExp;
  count: number;
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class ChildProgram implements Program {
  readonly commandLine: string;
  readonly exited: Promise<Exit>;
  #stdout = "";
  #stderr = "";
  #exit: Exit | undefined;
  #pid: number | undefined;
  #waiters = new Set<LineWaiter>();
  #closeStdin: () => void;
  #writeStdin: (text: string) => void;

  constructor(command: string, args: readonly string[], options: SpawnOptions) {
    this.commandLine = [command, ...args].join(" ");
    const child = spawn(command, args, {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // its own process group, so signal() and kill() reach the program's children too
    });
    this.#pid = child.pid;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      this.#stdout += text;
      this.#checkWaiters();
    });
    child.stderr.on("data", (text: string) => {
      this.#stderr += text;
    });
    child.stdin.on("error", () => {
      // EPIPE once the program has exited: nothing to do.
    });
    this.#closeStdin = () => {
      child.stdin.end();
    };
    this.#writeStdin = (text) => {
      child.stdin.write(text);
    };
    this.exited = new Promise<Exit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.#exit !== undefined) return;
        this.#exit = { code, signal, stdout: this.#stdout, stderr: this.#stderr };
        this.#checkWaiters();
        resolve(this.#exit);
      };
      child.once("close", finish);
      child.once("error", (err) => {
        // The program could not be started (or signalled); 'close' may not follow.
        this.#stderr += `spawn error: ${err.message}\n`;
        if (child.pid === undefined) finish(null, null);
      });
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Complete lines so far; once the program has ended, an unterminated last line counts too. */
  #lines(): string[] {
    const parts = this.#stdout.split("\n");
    const last = parts.pop();
    if (this.#exit !== undefined && last !== undefined && last !== "") parts.push(last);
    return parts.map((line) => line.replace(/\r$/, ""));
  }

  #matching(pattern: RegExp): string[] {
    return this.#lines().filter((line) => line.search(pattern) !== -1);
  }

  #describe(): string {
    const status =
      this.#exit === undefined
        ? "still running"
        : `exited with code ${String(this.#exit.code)}, signal ${String(this.#exit.signal)}`;
    return (
      `${this.commandLine} (${status})\n` +
      `--- stdout so far ---\n${this.#stdout}\n--- stderr so far ---\n${this.#stderr}`
    );
  }

  #checkWaiters(): void {
    for (const waiter of this.#waiters) {
      const found = this.#matching(waiter.pattern);
      if (found.length >= waiter.count) {
        this.#settle(waiter);
        waiter.resolve(found.slice(0, waiter.count));
      } else if (this.#exit !== undefined) {
        this.#settle(waiter);
        waiter.reject(
          new Error(
            `program ended after ${found.length} of ${waiter.count} stdout lines matching ` +
              `${String(waiter.pattern)}: ${this.#describe()}`,
          ),
        );
      }
    }
  }

  #settle(waiter: LineWaiter): void {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
  }

  waitForLines(pattern: RegExp, count: number, timeoutMs = 10_000): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const waiter: LineWaiter = {
        pattern,
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#settle(waiter);
          const found = this.#matching(pattern).length;
          reject(
            new Error(
              `${found} of ${count} stdout lines matching ${String(pattern)} ` +
                `after ${timeoutMs} ms: ${this.#describe()}`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
      this.#checkWaiters();
    });
  }

  async waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const [line = ""] = await this.waitForLines(pattern, 1, timeoutMs);
    return line;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.#exit !== undefined || this.#pid === undefined) return;
    signalGroup(this.#pid, sig);
  }

  closeStdin(): void {
    this.#closeStdin();
  }

  writeStdin(text: string): void {
    this.#writeStdin(text);
  }

  async waitForExit(timeoutMs = 10_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`still running after ${timeoutMs} ms: ${this.#describe()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<Exit> {
    if (this.#exit === undefined && this.#pid !== undefined) signalGroup(this.#pid, "SIGKILL");
    return this.waitForExit(5_000);
  }
}

/** Signal a process group; a group that has already gone (ESRCH) is not an error. */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ESRCH") return;
    throw err;
  }
}

/**
 * Start `command` with `args` as a child process in its own process group, collecting its output.
 *
 * @param command - The program to run (looked up in PATH unless it is a path).
 * @param args - Its arguments.
 * @param options - Working directory (project root unless told), environment, cleanup.
 * @returns The running program. Unless `killOnTestFinished` is false, it is killed when the current test
 * finishes.
 * @throws Error from vitest when `killOnTestFinished` is left on outside a test.
 */
export function spawnProgram(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Program {
  const program = new ChildProgram(command, args, options);
  if (options.killOnTestFinished ?? true) {
    onTestFinished(async () => {
      await program.kill();
    });
  }
  return program;
}

/**
 * Run one of our TypeScript programs from this test run's build: `node --enable-source-maps BUILD/PATH ...args`
 * from the project root, one node process, as the README's `node --import tsx PATH ...args` runs it (same
 * file name in `process.argv[1]`, output, signals and exit; no `tsx` or `npx` parent between it and the signals
 * it gets). Its environment is `options.env` or this process's, without `NODE_EXTRA_CA_CERTS`.
 *
 * @param path - The program, relative to the project root, e.g. `spec/fixtures/programs/accept-interrupted.ts`.
 * @param args - Its command-line arguments.
 * @param options - As {@link spawnProgram}'s.
 * @throws Error when `path` is not in a folder that `spec/helpers/build-programs.ts` builds.
 */
export function tsProgram(
  path: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Program {
  const built = `${inject("programs").dir}${path}`;
  if (!existsSync(built)) {
    throw new Error(
      `${path} was not built for this test run: spec/helpers/build-programs.ts builds the folders it lists ` +
        `(PROGRAMS)`,
    );
  }
  // Our programs make no TLS connection, and Node reads the certificates NODE_EXTRA_CA_CERTS names at every
  // start: a third of a start's CPU where it names the system's bundle (0.03 s of 0.08 s here).
  const { NODE_EXTRA_CA_CERTS: _certificates, ...env } = options.env ?? process.env;
  return spawnProgram(process.execPath, ["--enable-source-maps", built, ...args], {
    cwd: PROJECT_ROOT,
    ...options,
    env,
  });
}

/**
 * Run one of our demos, `demos/NAME.ts`, as {@link tsProgram} does.
 *
 * @param name - The demo's name without extension, e.g. `multiconn-server`.
 * @param args - Its command-line arguments.
 * @param options - As {@link spawnProgram}'s.
 */
export function tsDemo(name: string, args: readonly string[], options: SpawnOptions = {}): Program {
  return tsProgram(`demos/${name}.ts`, args, options);
}

/**
 * Run one of the Python peers: `python3 -S -u NAME.py ...args`, from `spec/peers/` so that `sys.argv[0]` is
 * `NAME.py` and usage lines read as in the transcripts (`Usage: multiconn-server.py <host> <port>`).
 * `-u`: unbuffered output, so lines arrive as they are printed. `-S`: no `site` module, so nothing of the
 * machine's site-packages runs at start-up: the peers use only the standard library, and a `.pth` hook there can
 * cost more than the interpreter's own start (here one imports `certifi`: 0.07 s of CPU per start instead of
 * 0.01 s, over seventy starts a run). `PYTHONDONTWRITEBYTECODE=1` unless `env` is given: no `__pycache__` in the
 * work tree. The interpreter is the one `python3` names, started by its own path ({@link pythonExecutable}).
 *
 * @param name - The peer's name without extension, e.g. `multiconn-server`.
 * @param args - Its command-line arguments.
 * @param options - As {@link spawnProgram}'s; `cwd` is `spec/peers/` unless told.
 */
export function pythonPeer(
  name: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Program {
  return spawnProgram(pythonExecutable() ?? "python3", ["-S", "-u", `${name}.py`, ...args], {
    cwd: PEERS_DIR,
    // No __pycache__ for libclient/libserver inside the work tree.
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    ...options,
  });
}

/**
 * The interpreter that `python3` runs, by its own path (`sys.executable`), looked for once per test worker
 * (`spec/helpers/tools.ts`); `null` when there is none. Started by this path, a peer skips what stands between
 * `python3` and it: here a pyenv shim, a shell script that costs more CPU than the interpreter's own start-up
 * (0.08 s against 0.03 s).
 */
export function pythonExecutable(): string | null {
  return findTool("python3");
}

/**
 * Whether `python3` runs (checked once, synchronously). Tests that need it use `describeNeeding("python3", ...)`
 * (`spec/helpers/needs-tool.ts`), which skips them visibly without it.
 */
export function hasPython(): boolean {
  return pythonExecutable() !== null;
}

/** A Python address tuple: `('127.0.0.1', 7021)` or `('::1', 7021, 0, 0)`. */
const PYTHON_ADDRESS = /\('([^']*)', (\d+)((?:, \d+)*)\)/g;

/**
 * Replace the port of every Python-style address (`('127.0.0.1', 7021)`, `('::1', 7021, 0, 0)`) by `<P0>`,
 * `<P1>`, … numbered by first appearance: the same port always gets the same name. Two runs with different
 * ephemeral ports then compare equal, and still show which connection is which.
 *
 * @param text - Program output.
 * @returns The text with ports masked.
 */
export function maskPorts(text: string): string {
  const names = new Map<string, string>();
  return text.replace(PYTHON_ADDRESS, (_match, host: string, port: string, rest: string) => {
    let name = names.get(port);
    if (name === undefined) {
      name = `<P${names.size}>`;
      names.set(port, name);
    }
    return `('${host}', ${name}${rest})`;
  });
}

/** A Python transcript: what the program printed, and its exit status when the transcript records one. */
export interface Transcript {
  /** The printed text, each line ending in a newline, as a program's stdout would be. */
  lines: string;
  /** The exit status from the trailing `rc=N` line, or `null` when there is none. */
  rc: number | null;
}

/**
 * Read `spec/fixtures/transcripts/NAME.txt`, splitting off a trailing `rc=N` line (the exit status, not
 * output).
 *
 * @param name - The transcript's name without extension, e.g. `multiconn-server`.
 * @throws Error when the file does not exist.
 */
export function loadTranscript(name: string): Transcript {
  const text = readFileSync(`${FIXTURES_DIR}transcripts/${name}.txt`, "utf8");
  const match = /(?:^|\n)rc=(-?\d+)\n?$/.exec(text);
  if (match === null) return { lines: text, rc: null };
  const lines = match[0].startsWith("\n") ? text.slice(0, match.index + 1) : "";
  return { lines, rc: Number(match[1]) };
}

/**
 * Read a wire vector: `spec/fixtures/vectors/NAME.req` (what a client sends) or `NAME.res` (what the server
 * answers).
 *
 * @param name - The vector's name, e.g. `search-morpheus`.
 * @param kind - `req` or `res`.
 */
export function loadVector(name: string, kind: "req" | "res"): Buffer {
  return readFileSync(`${FIXTURES_DIR}vectors/${name}.${kind}`);
}
