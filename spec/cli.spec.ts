// The demos' command lines. `lib/learn/cli.ts` in process: how `demoArgs` reads flags and arguments (negative numbers,
// `--help`, unknown flags) and how `int()` reads numbers, as Python's `int()`. Then each demo as a child process,
// run as the README says, on what only the whole program shows:
//
// - `-h`/`--help` → the usage line and the flags on stdout, exit 0.
// - An unknown flag, before or after the positional arguments → `Error: Unknown option '--x'.`, then the usage
//   line, on stderr; exit 1.
// - A wrong argument count → the usage line alone, on stdout, exit 1, as the course's programs.
// - A bad value for one of app-server's limit flags → `Error: invalid value for --flag: 'x'`, then the usage line;
//   app-client's `--repeat` above 1 without `--keep-alive` (or not a whole number ≥ 1) likewise; on stderr, exit 1.
//
// What a bad port, a busy port or an unknown host prints (Python's traceback) is checked against the Python
// programs' own output in spec/failures.spec.ts.
//
// The cases are tables, one per demo. Each demo's children run together, a few at a time, in the `beforeAll` of
// its `describe`; each case is then one test on the recorded exit. Every child ends by itself within a second or
// so; each wait is bounded, and whatever is still running when the `describe` ends is killed.

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { DEMO_FLAGS, demoArgs, int, type FlagsConfig } from "../lib/learn/cli.ts";
import { ValueError } from "../lib/python/errors.ts";
import { HOST } from "./helpers/ports.ts";
import { tsDemo, type Exit, type Program } from "./helpers/process.ts";

/** Thrown by the mocked `process.exit`, so a test sees the status `demoArgs` exits with. */
class Exited extends Error {
  constructor(readonly code: number | string | null | undefined) {
    super(`process.exit(${String(code)})`);
  }
}

/** Flags for the in-process tests: two of the demos' own. */
const FLAGS = { quiet: DEMO_FLAGS.quiet, timeline: DEMO_FLAGS.timeline } as const;

/** Run `demoArgs` on `args` (after `node script.ts`), with what it prints and the status it exits with. */
function parse(args: readonly string[]) {
  return parseWith(FLAGS, args);
}

/** {@link parse} with other flags. */
function parseWith<const O extends FlagsConfig>(options: O, args: readonly string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => out.push(line));
  const error = vi.spyOn(console, "error").mockImplementation((line: string) => err.push(line));
  const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
    throw new Exited(code);
  });
  try {
    const parsed = demoArgs(options, "<host> <port>", ["node", "/x/demos/prog.ts", ...args]);
    return { parsed, exited: null, out, err };
  } catch (e) {
    if (!(e instanceof Exited)) throw e;
    return { parsed: null, exited: e.code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    exit.mockRestore();
  }
}

describe("demoArgs", () => {
  it("takes flags out before or after the arguments", () => {
    const { parsed } = parse(["-q", HOST, "7000", "--timeline"]);
    expect(parsed?.argv).toEqual(["node", "/x/demos/prog.ts", HOST, "7000"]);
    expect(parsed?.values).toEqual({ quiet: true, timeline: true });
    expect(parsed?.usage).toBe("Usage: prog.ts <host> <port>");
  });

  it("reads a negative number as an argument, not as a flag", () => {
    expect(parse([HOST, "-1"]).parsed?.argv.slice(2)).toEqual([HOST, "-1"]);
    expect(parse(["-5", "-1.5", "-q"]).parsed?.argv.slice(2)).toEqual(["-5", "-1.5"]);
  });

  it("reads a negative number after a flag that takes a value as its value", () => {
    const options = { ...FLAGS, wait: { type: "string", short: "w" } } as const;
    expect(parseWith(options, ["--wait", "-1", HOST]).parsed?.values.wait).toBe("-1");
    expect(parseWith(options, ["-w", "-2", HOST]).parsed?.values.wait).toBe("-2");
    expect(parseWith(options, ["-q", "-3"]).parsed?.argv.slice(2)).toEqual(["-3"]);
    // After an argument, with a flag that takes a value and has no short form.
    const longOnly = { ...FLAGS, explore: { type: "string" } } as const;
    expect(parseWith(longOnly, [HOST, "-1"]).parsed?.argv.slice(2)).toEqual([HOST, "-1"]);
  });

  it("-h and --help print the usage line and the flags, and exit 0", () => {
    for (const flag of ["-h", "--help"]) {
      const { exited, out, err } = parse([HOST, flag]);
      expect(exited).toBe(0);
      expect(err).toEqual([]);
      expect(out.join("\n").split("\n")).toEqual([
        "Usage: prog.ts <host> <port>",
        "",
        "Flags (before or after the arguments):",
        "  -q, --quiet  no per-message lines",
        "  --timeline   at exit, print which sockets each select() reported",
        "  -h, --help   print this help and exit",
      ]);
    }
  });

  it("--help shows a flag's value by the word its description starts with, else VALUE", () => {
    const options = {
      "idle-timeout": { type: "string" },
      wait: { type: "string" },
    } as const;
    const { exited, out } = parseWith(options, ["--help"]);
    expect(exited).toBe(0);
    expect(out.join("\n").split("\n").slice(3)).toEqual([
      "  --idle-timeout SECONDS  close a connection with no complete request in time (default 60; 0: never)",
      "  --wait VALUE",
      "  -h, --help              print this help and exit",
    ]);
  });

  it("an unknown flag: one line and the usage line on stderr, exit 1", () => {
    for (const args of [
      ["--x", HOST, "1"],
      [HOST, "1", "--x"],
    ]) {
      const { exited, out, err } = parse(args);
      expect(exited).toBe(1);
      expect(out).toEqual([]);
      expect(err).toEqual(["Error: Unknown option '--x'.", "Usage: prog.ts <host> <port>"]);
    }
  });

  it("a flag without its value: Node's first sentence, then the usage line", () => {
    const options = { ...FLAGS, wait: { type: "string" } } as const;
    const { exited, err } = parseWith(options, [HOST, "1", "--wait"]);
    expect(exited).toBe(1);
    expect(err).toEqual([
      "Error: Option '--wait <value>' argument missing",
      "Usage: prog.ts <host> <port>",
    ]);
  });
});

describe("int", () => {
  it("reads what Python's int() reads", () => {
    expect(int("42", "<port>")).toBe(42);
    expect(int(" 7 ", "<port>")).toBe(7);
    expect(int("+5", "<port>")).toBe(5);
    expect(int("-1", "<port>")).toBe(-1);
    expect(int("1_000", "<port>")).toBe(1000);
    expect(int("007", "<port>")).toBe(7);
  });

  it.each(["abc", "", "1e3", "1.5", "1__0", "_1", "0x10", "--1"])(
    "refuses %j with Python's ValueError and a note naming the argument",
    (text) => {
      let caught: unknown;
      try {
        int(text, "<port>");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ValueError);
      if (!(caught instanceof ValueError)) return;
      const quoted = `'${text}'`;
      expect(caught.message).toBe(`invalid literal for int() with base 10: ${quoted}`);
      expect(caught.notes).toEqual([`The <port> argument must be a whole number, not ${quoted}.`]);
    },
  );

  it("refuses a number below its minimum, naming the argument", () => {
    expect(int("0", "<num_connections>", 0)).toBe(0);
    expect(() => int("-1", "<num_connections>", 0)).toThrow(
      new ValueError("<num_connections> must be at least 0, not -1"),
    );
  });
});

interface CliCase {
  /** The test's name. */
  readonly name: string;
  /** The demo's arguments. */
  readonly args: readonly string[];
  /** Its whole stdout: exact text, or a pattern for the whole of it. */
  readonly stdout?: string | RegExp;
  /** Its whole stderr. */
  readonly stderr?: string;
  /** Its exit status; 1 unless told. */
  readonly code?: number;
}

/** The usage line of a demo, as it prints it. */
function usage(demo: string, positionals: string): string {
  return `Usage: ${demo}.ts ${positionals}\n`;
}

/** What every demo answers: `--help`, an unknown flag (before or after), a wrong argument count. */
function commonCases(
  use: string,
  validArgs: readonly string[],
  tooMany: readonly string[],
): CliCase[] {
  return [
    {
      name: "--help: usage and flags on stdout, exit 0",
      args: [...validArgs, "--help"],
      stdout: new RegExp(
        `^${escapeRegExp(use)}\\nFlags \\(before or after the arguments\\):\\n(?:  -.*\\n)+$`,
      ),
      code: 0,
    },
    {
      name: "unknown flag: one line and usage on stderr",
      args: ["--x", ...validArgs],
      stderr: `Error: Unknown option '--x'.\n${use}`,
    },
    { name: "wrong argument count: usage on stdout", args: tooMany, stdout: use },
  ];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const appServerUsage = usage("app-server", "<host> <port>");
const appClientUsage = usage("app-client", "<host> <port> <action> <value>");

/** `Error: invalid value for FLAG: 'TEXT'` and app-server's usage line. */
function badLimit(flag: string, text: string): string {
  return `Error: invalid value for ${flag}: '${text}'\n${appServerUsage}`;
}

const REPEAT_ERROR = `Error: --repeat wants a whole number ≥ 1, and --keep-alive when above 1\n${appClientUsage}`;

/** Each demo's cases. Ports in otherwise valid command lines are never connected to: each case fails first. */
const CASES: Readonly<Record<string, readonly CliCase[]>> = {
  "multiconn-server": commonCases(usage("multiconn-server", "<host> <port>"), [HOST, "0"], [HOST]),
  "app-server": [
    ...commonCases(appServerUsage, [HOST, "0"], []),
    {
      name: "--idle-timeout -1 (a negative value, as a value)",
      args: [HOST, "0", "--idle-timeout", "-1"],
      stderr: badLimit("--idle-timeout", "-1"),
    },
    {
      name: "--max-connections 1.5",
      args: ["--max-connections", "1.5", HOST, "0"],
      stderr: badLimit("--max-connections", "1.5"),
    },
  ],
  "app-client": [
    ...commonCases(appClientUsage, [HOST, "0", "search", "x"], [HOST, "0", "search"]),
    {
      name: "--repeat 2 without --keep-alive",
      args: [HOST, "0", "search", "x", "--repeat", "2"],
      stderr: REPEAT_ERROR,
    },
  ],
  "multiconn-client": commonCases(
    usage("multiconn-client", "<host> <port> <num_connections>"),
    [HOST, "0", "2"],
    [HOST, "0", "2", "extra"],
  ),
  "echo-server": commonCases(usage("echo-server", "[<host> <port>]"), [HOST, "0"], [HOST]),
  "echo-client": commonCases(usage("echo-client", "[<host> <port>]"), [HOST, "0"], [HOST]),
};

/** How many demos run at once: each is a node start-up from the test build, about 0.1 s of CPU. */
const PARALLEL = 4;

/** Bound on each child's run. */
const EXIT_TIMEOUT_MS = 15_000;

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

describe.each(Object.entries(CASES))("%s: its command line", (demo, cases) => {
  const exits = new Map<string, Exit | Error>();
  const programs: Program[] = [];

  beforeAll(async () => {
    await pool(cases, PARALLEL, async (cliCase) => {
      const program = tsDemo(demo, cliCase.args, { killOnTestFinished: false });
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
      const stdout = cliCase.stdout ?? "";
      if (typeof stdout === "string") expect(exit.stdout, context).toBe(stdout);
      else expect(exit.stdout, context).toMatch(stdout);
      expect(exit.stderr, context).toBe(cliCase.stderr ?? "");
      expect(exit.signal, context).toBeNull();
      expect(exit.code, context).toBe(cliCase.code ?? 1);
    });
  }
});
