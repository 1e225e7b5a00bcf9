// The demos' bad command lines (issue "Hardening"): each is reported in a line or two on stdout, with the usage
// line where the demo has one, exit status 1, and nothing on stderr (no stack trace).
//
// - Wrong argument count → the usage line alone.
// - A port that is not a number 0-65535 → `Error: invalid port ...`, then the usage line.
// - An unknown flag, before or after the positional arguments → `Error: Unknown option '--x'.`, then the usage line.
// - A bad value for one of app-server's limit flags → `Error: invalid value for --flag: 'x'`, then the usage line;
//   app-client's `--repeat` above 1 without `--keep-alive` (or not a whole number ≥ 1) likewise.
// - A server on a busy port (one this file holds with a node:net listener) → `OSError: [Errno 98] Address already
//   in use` and a hint line. A server on a host that does not resolve → one `socket.gaierror: [Errno -2] ...`
//   line (-3 where no resolver answers).
//
// The cases are tables, one per demo. Each demo's children run together, a few at a time, in the `beforeAll` of
// its `describe`; each case is then one test on the recorded exit. Every child ends by itself within a second or
// so; each wait is bounded, and whatever is still running when the `describe` ends is killed.

import { createServer, type Server } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { freePort, HOST } from "./helpers/ports.ts";
import { PROJECT_ROOT, spawnProgram, type Exit, type Program } from "./helpers/process.ts";

/** The two lines a server prints when its port is taken (the second is a hint; its wording is free). */
const BUSY = /^OSError: \[Errno 98\] Address already in use\n[^\n]*\bport\b[^\n]*\n$/;

/** The one line a server prints when its host does not resolve (-3 when no resolver answers). */
const GAIERROR =
  /^socket\.gaierror: \[Errno (?:-2\] Name or service not known|-3\] Temporary failure in name resolution)\n$/;

/** A host name that never resolves (RFC 6761). */
const BAD_HOST = "no-such-host.invalid";

/** What a case gets to build its command line: the port this file keeps busy. */
interface Context {
  readonly busyPort: string;
}

interface CliCase {
  /** The test's name. */
  readonly name: string;
  /** The demo's arguments. */
  readonly args: (context: Context) => readonly string[];
  /** Its whole stdout: exact text, or a pattern for the whole of it. */
  readonly stdout: string | RegExp;
  /** Its exit status; 1 unless told. */
  readonly code?: number;
}

/** The usage line of a demo, as it prints it. */
function usage(demo: string, positionals: string): string {
  return `Usage: ${demo}.ts ${positionals}\n`;
}

/**
 * The cases every demo with a usage line and `parsePort` shares. `more`: also the rarer spellings (they all go
 * through lib/cli.ts's `demoArgs` and `parsePort`, so one demo is enough for them).
 */
function commonCases(use: string, validArgs: readonly string[], more = false): CliCase[] {
  const [host = HOST, , ...rest] = validArgs;
  const withPort = (port: string): string[] => [host, port, ...rest];
  const invalidPort = (text: string): string =>
    `Error: invalid port ${text} (expected a number 0-65535)\n${use}`;
  const cases: CliCase[] = [
    { name: "no arguments: usage", args: () => [], stdout: use },
    { name: "one argument too many: usage", args: () => [...validArgs, "extra"], stdout: use },
    { name: "port 'abc': invalid port", args: () => withPort("abc"), stdout: invalidPort("'abc'") },
    {
      name: "port 65536: invalid port",
      args: () => withPort("65536"),
      stdout: invalidPort("65536"),
    },
    {
      name: "unknown flag after the arguments",
      args: () => [...validArgs, "--x"],
      stdout: `Error: Unknown option '--x'.\n${use}`,
    },
  ];
  if (!more) return cases;
  return [
    ...cases,
    { name: "one argument too few: usage", args: () => validArgs.slice(0, -1), stdout: use },
    { name: "-q with too few arguments: usage", args: () => ["-q", host], stdout: use },
    { name: "port '': invalid port", args: () => withPort(""), stdout: invalidPort("''") },
    { name: "port '1e3': invalid port", args: () => withPort("1e3"), stdout: invalidPort("'1e3'") },
    {
      // util.parseArgs reads `-1` as a short flag: the port is reported as an unknown option.
      name: "port -1: unknown option '-1'",
      args: () => withPort("-1"),
      stdout: `Error: Unknown option '-1'.\n${use}`,
    },
    {
      name: "unknown flag before the arguments",
      args: () => ["--x", ...validArgs],
      stdout: `Error: Unknown option '--x'.\n${use}`,
    },
  ];
}

/** The cases of a server that binds HOST PORT. */
function serverCases(): CliCase[] {
  return [
    {
      name: "busy port: OSError 98 and a hint",
      args: ({ busyPort }) => [HOST, busyPort],
      stdout: BUSY,
    },
    {
      name: `host ${BAD_HOST}: socket.gaierror`,
      args: () => [BAD_HOST, "0"],
      stdout: GAIERROR,
    },
  ];
}

const multiconnServerUsage = usage("multiconn-server", "<host> <port>");
const appServerUsage = usage("app-server", "<host> <port>");
const appClientUsage = usage("app-client", "<host> <port> <action> <value>");
const multiconnClientUsage = usage("multiconn-client", "<host> <port> <num_connections>");

/** `Error: invalid value for FLAG: 'TEXT'` and app-server's usage line. */
function badLimit(flag: string, text: string): string {
  return `Error: invalid value for ${flag}: '${text}'\n${appServerUsage}`;
}

const REPEAT_ERROR = `Error: --repeat wants a whole number ≥ 1, and --keep-alive when above 1\n${appClientUsage}`;

/** Each demo's cases. Ports in otherwise valid command lines are never connected to: each case fails first. */
const CASES: Readonly<Record<string, readonly CliCase[]>> = {
  "multiconn-server": [...commonCases(multiconnServerUsage, [HOST, "0"]), ...serverCases()],
  "app-server": [
    ...commonCases(appServerUsage, [HOST, "0"], true),
    ...serverCases(),
    {
      name: "flags before the arguments, busy port: OSError 98 (flags parsed, port still tried)",
      args: ({ busyPort }) => ["-q", "--keep-alive", "--idle-timeout", "5", HOST, busyPort],
      stdout: BUSY,
    },
    {
      name: "--idle-timeout x",
      args: () => [HOST, "0", "--idle-timeout", "x"],
      stdout: badLimit("--idle-timeout", "x"),
    },
    {
      name: "--idle-timeout=-1",
      args: () => [HOST, "0", "--idle-timeout=-1"],
      stdout: badLimit("--idle-timeout", "-1"),
    },
    {
      name: "--max-connections 0",
      args: () => [HOST, "0", "--max-connections", "0"],
      stdout: badLimit("--max-connections", "0"),
    },
    {
      name: "--max-connections 1.5",
      args: () => ["--max-connections", "1.5", HOST, "0"],
      stdout: badLimit("--max-connections", "1.5"),
    },
    {
      name: "--max-content-length abc",
      args: () => [HOST, "0", "--max-content-length", "abc"],
      stdout: badLimit("--max-content-length", "abc"),
    },
    {
      name: "--max-content-length 99999999999999999999 (beyond a safe integer)",
      args: () => [HOST, "0", "--max-content-length", "99999999999999999999"],
      stdout: badLimit("--max-content-length", "99999999999999999999"),
    },
    {
      name: "--idle-timeout without its value",
      args: () => [HOST, "0", "--idle-timeout"],
      stdout: `Error: Option '--idle-timeout <value>' argument missing\n${appServerUsage}`,
    },
    {
      // util.parseArgs refuses a value that starts with a dash; its advice runs on for two more lines.
      name: "--idle-timeout -1: one line, the first sentence of Node's message",
      args: () => [HOST, "0", "--idle-timeout", "-1"],
      stdout: `Error: Option '--idle-timeout' argument is ambiguous.\n${appServerUsage}`,
    },
  ],
  "app-client": [
    ...commonCases(appClientUsage, [HOST, "0", "search", "x"]),
    {
      name: "--repeat 2 without --keep-alive",
      args: () => [HOST, "0", "search", "x", "--repeat", "2"],
      stdout: REPEAT_ERROR,
    },
    {
      name: "--keep-alive --repeat 0",
      args: () => ["--keep-alive", "--repeat", "0", HOST, "0", "search", "x"],
      stdout: REPEAT_ERROR,
    },
    {
      name: "--keep-alive --repeat x",
      args: () => [HOST, "0", "search", "x", "--keep-alive", "--repeat", "x"],
      stdout: REPEAT_ERROR,
    },
    {
      name: "--keep-alive --repeat 1e3 (digits only, as the other numeric flags)",
      args: () => [HOST, "0", "search", "x", "--keep-alive", "--repeat", "1e3"],
      stdout: REPEAT_ERROR,
    },
  ],
  "multiconn-client": [
    ...commonCases(multiconnClientUsage, [HOST, "0", "2"]),
    {
      name: "num_connections 'abc'",
      args: () => [HOST, "0", "abc"],
      stdout: `Error: invalid number of connections 'abc'\n${multiconnClientUsage}`,
    },
    {
      name: "num_connections ''",
      args: () => [HOST, "0", ""],
      stdout: `Error: invalid number of connections ''\n${multiconnClientUsage}`,
    },
  ],
  // The course's echo programs take no arguments; ours take an optional HOST PORT and have no usage line.
  "echo-server": [
    ...serverCases(),
    {
      name: "port 'abc': invalid port",
      args: () => [HOST, "abc"],
      stdout: /^Error: invalid port 'abc' \(expected a number 0-65535\)\n/,
    },
  ],
  "echo-client": [
    {
      name: "port 'abc': invalid port",
      args: () => [HOST, "abc"],
      stdout: /^Error: invalid port 'abc' \(expected a number 0-65535\)\n/,
    },
  ],
};

/** How many demos run at once: each is a tsx start-up, about 0.3 s of CPU. */
const PARALLEL = 4;

/** Bound on each child's run (a name lookup of `.invalid` is the slowest, answered locally). */
const EXIT_TIMEOUT_MS = 15_000;

/**
 * Run a demo as `node --import tsx demos/NAME.ts ...args`: the demo itself, in one process (the `tsx` command,
 * as `tsDemo` runs it, starts a second node process to run it in; here that would double the cost of each case).
 * Not killed when a test finishes: the `describe` kills what is left.
 */
function runDemo(demo: string, args: readonly string[]): Program {
  return spawnProgram(process.execPath, ["--import", "tsx", `demos/${demo}.ts`, ...args], {
    cwd: PROJECT_ROOT,
    killOnTestFinished: false,
  });
}

/** Run `task` over `items`, at most `limit` at a time, results in order. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (item !== undefined) results[index] = await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A node:net listener on a free loopback port, held for the `describe`; its port as text. */
function holdBusyPort(): () => string {
  let server: Server | undefined;
  let port = "";
  beforeAll(async () => {
    const listener = createServer((sock) => sock.destroy());
    server = listener;
    const wanted = await freePort();
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(wanted, HOST, () => {
        resolve();
      });
    });
    port = String(wanted);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else
        server.close(() => {
          resolve();
        });
    });
  });
  return () => {
    if (port === "") throw new Error("the busy-port listener did not start");
    return port;
  };
}

describe.each(Object.entries(CASES))("%s: a bad command line", (demo, cases) => {
  const busyPort = holdBusyPort();
  const exits = new Map<string, Exit | Error>();
  const programs: Program[] = [];

  beforeAll(async () => {
    const context: Context = { busyPort: busyPort() };
    await pool(cases, PARALLEL, async (cliCase) => {
      const program = runDemo(demo, cliCase.args(context));
      programs.push(program);
      try {
        exits.set(cliCase.name, await program.waitForExit(EXIT_TIMEOUT_MS));
      } catch (e) {
        exits.set(cliCase.name, e instanceof Error ? e : new Error(String(e)));
      }
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(programs.map((program) => program.kill()));
  });

  for (const cliCase of cases) {
    it(cliCase.name, () => {
      const exit = exits.get(cliCase.name);
      if (exit === undefined) throw new Error(`no run recorded for ${cliCase.name}`);
      if (exit instanceof Error) throw exit;
      const context = `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
      if (typeof cliCase.stdout === "string") expect(exit.stdout, context).toBe(cliCase.stdout);
      else expect(exit.stdout, context).toMatch(cliCase.stdout);
      expect(exit.stderr, context).toBe("");
      expect(exit.signal, context).toBeNull();
      expect(exit.code, context).toBe(cliCase.code ?? 1);
    });
  }
});
