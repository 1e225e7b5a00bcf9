/**
 * Command lines of the demos: the course's positional arguments, plus our optional flags.
 *
 * Rules:
 * - The course's programs check `len(sys.argv)` and print their usage line to stdout, exit 1; ours do the same,
 *   on the arguments left once our flags are taken out ({@link demoArgs}).
 * - Flags go before or after the positional arguments (`-q HOST PORT` or `HOST PORT --quiet`), through Node's
 *   `util.parseArgs`. A negative number (`-1`) is an argument, not a flag: as a positional argument it stays one,
 *   after a flag that takes a value it is that value (`--idle-timeout -1`).
 * - `-h`/`--help` prints the usage line and the flags to stdout and exits 0.
 * - What is wrong with the flags (an unknown one, a missing value, a bad value) is one line, then the usage line,
 *   on stderr, exit 1 ({@link exitWithUsage}).
 * - Numbers in positional arguments are read as Python's `int()` reads them ({@link int}): what it refuses raises
 *   Python's `ValueError: invalid literal for int() with base 10: 'abc'`, with a note naming the argument, and
 *   becomes the program's traceback, as in Python. A port out of 0-65535 is left to `bind()`/`connect()`, which
 *   raise Python's `OverflowError: bind(): port must be 0-65535.`
 * @module
 */
import { basename } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

import { ValueError } from "../python/errors.ts";
import { repr } from "../python/repr.ts";

/** The flags a demo accepts, in `util.parseArgs` form. */
export type FlagsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What {@link demoArgs} found. */
export interface DemoArgs<V> {
  /** `process.argv` without our flags: `[node, script, ...positional arguments]`, as the demos check it. */
  readonly argv: string[];
  /** The flags' values. */
  readonly values: V;
  /** The usage line: `Usage: multiconn-server.ts <host> <port>`. */
  readonly usage: string;
}

/**
 * The flags every selector demo accepts: `-q`/`--quiet` prints no per-message lines; `--timeline` prints, at
 * exit, which sockets each `select()` reported (`timeline.ts`); `--explore FILE` writes, at exit, a page that
 * steps through the run (`explorer.ts`), recording at most `--explore-limit N` turns (default 10,000).
 */
export const DEMO_FLAGS = {
  /** `-q`, `--quiet` */
  quiet: { type: "boolean", short: "q" },
  /** `--timeline` */
  timeline: { type: "boolean" },
  /** `--explore FILE` */
  explore: { type: "string" },
  /** `--explore-limit N` */
  "explore-limit": { type: "string" },
} as const satisfies FlagsConfig;

/**
 * What each flag does, one line each, for `--help`. A flag missing here is listed without a description.
 */
export const FLAG_HELP: Record<string, string> = {
  quiet: "no per-message lines",
  timeline: "at exit, print which sockets each select() reported",
  "keep-alive": "several requests on one connection (the other side needs it too)",
  repeat: "N: send the request N times on the connection (needs --keep-alive above 1)",
  "max-content-length": "BYTES: refuse a frame announcing more content (default 16 MiB)",
  "max-connections": "N: stop accepting while N connections are open (default 1024)",
  "idle-timeout":
    "SECONDS: close a connection with no complete request in time (default 60; 0: never)",
  explore: "FILE: at exit, write a page that steps through the run",
  "explore-limit": "N: record at most N select() turns for --explore (default 10,000)",
  capture:
    "FILE: run on an in-memory network in this process and write what it carried as a pcap file (tshark -r FILE)",
  help: "print this help and exit",
};

/** Marks a positional argument that looks like a negative number while `util.parseArgs` reads the line. */
const NEGATIVE = "\u0000";

/**
 * Take the flags out of the command line (see the module rules): answers `-h`/`--help` (exit 0) and bad flags
 * (stderr, exit 1) itself; checking the number of positional arguments is left to the program, as in the course.
 * @param options - The flags, in `util.parseArgs` form (`-h`/`--help` is added).
 * @param positionals - The usage line's arguments: `"<host> <port>"` (the line is `Usage: SCRIPT <host> <port>`);
 *   or `{ usage }`, the whole usage line, for a program run another way (`npm run demo`).
 * @example
 * ```ts
 * const { argv, values, usage } = demoArgs(DEMO_FLAGS, "<host> <port>");
 * if (argv.length !== 4) {
 *   console.log(usage);
 *   process.exit(1);
 * }
 * ```
 */
export function demoArgs<const O extends FlagsConfig>(
  options: O,
  positionals: string | { readonly usage: string },
  argv: readonly string[] = process.argv,
): DemoArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"]> {
  const [node = "node", script = "", ...rest] = argv;
  const usage =
    typeof positionals === "string"
      ? `Usage: ${basename(script)} ${positionals}`
      : positionals.usage;
  const all: FlagsConfig = { ...options, help: { type: "boolean", short: "h" } };
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>> | undefined;
  try {
    const { values } = parseArgs({
      args: markNegatives(rest, all),
      options: all,
      allowPositionals: true,
    });
    if (values["help"] !== true) {
      parsed = parseArgs({ args: markNegatives(rest, options), options, allowPositionals: true });
    }
  } catch (e) {
    // Node's text goes on with advice (about `--`, or on further lines); its first sentence says what is wrong.
    const message = (e instanceof Error ? e.message : String(e)).replace(/(?<=\.)\s.*$/s, "");
    return exitWithUsage(usage, `Error: ${message}`);
  }
  if (parsed === undefined) {
    console.log(help(usage, all));
    return process.exit(0);
  }
  const args = parsed.positionals.map((arg) => arg.replace(NEGATIVE, ""));
  return { argv: [node, script, ...args], values: parsed.values, usage };
}

/**
 * `args` with each negative number marked as a positional argument (or, after a flag that takes a value, joined
 * to it: `--idle-timeout=-1`), since `util.parseArgs` would read `-1` as a flag.
 */
function markNegatives(args: readonly string[], options: FlagsConfig): string[] {
  const takesValue = (arg: string): boolean => {
    const long = /^--([^=]+)$/.exec(arg)?.[1];
    if (long !== undefined) return options[long]?.type === "string";
    const short = /^-([^-])$/.exec(arg)?.[1];
    if (short === undefined) return false;
    return Object.values(options).some((o) => o.short === short && o.type === "string");
  };
  const out: string[] = [];
  for (const arg of args) {
    const previous = out.at(-1);
    if (!/^-\d/.test(arg)) out.push(arg);
    else if (previous !== undefined && takesValue(previous)) {
      out[out.length - 1] =
        `${previous.startsWith("--") ? previous : `--${longName(previous, options)}`}=${arg}`;
    } else out.push(`${NEGATIVE}${arg}`);
  }
  return out;
}

function longName(shortFlag: string, options: FlagsConfig): string {
  const entry = Object.entries(options).find(([, o]) => `-${o.short ?? ""}` === shortFlag);
  return entry?.[0] ?? shortFlag.slice(1);
}

/**
 * The text of `--help`: the usage line, then one line per flag. A flag that takes a value shows it by the word
 * its {@link FLAG_HELP} line starts with (`BYTES: ...` → `--max-content-length BYTES`), else as `VALUE`.
 */
function help(usage: string, options: FlagsConfig): string {
  const rows = Object.entries(options).map(([name, option]) => {
    const spelling = option.short === undefined ? `--${name}` : `-${option.short}, --${name}`;
    const text = FLAG_HELP[name] ?? "";
    if (option.type !== "string") return [spelling, text];
    const [, metavar = "VALUE", rest = text] = /^([A-Z]+): (.*)$/.exec(text) ?? [];
    return [`${spelling} ${metavar}`, rest];
  });
  const width = Math.max(...rows.map(([spelling = ""]) => spelling.length));
  const lines = rows.map(([spelling = "", text = ""]) =>
    `  ${spelling.padEnd(width)}  ${text}`.trimEnd(),
  );
  return `${usage}\n\nFlags (before or after the arguments):\n${lines.join("\n")}`;
}

/**
 * Python's `int(text)` for a command-line argument: whole numbers in base 10, with an optional sign, surrounding
 * spaces and `_` between digits, as Python reads them. What Python refuses raises its `ValueError: invalid
 * literal for int() with base 10: 'abc'`, with a note naming the argument `name` (e.g. `<port>`); so does a
 * number below `min`, where one is given (Python's programs would go on with it).
 * @throws ValueError as above.
 */
export function int(text: string, name: string, min?: number): number {
  if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text)) {
    throw new ValueError(`invalid literal for int() with base 10: ${repr(text)}`).addNote(
      `The ${name} argument must be a whole number, not ${repr(text)}.`,
    );
  }
  const value = Number(text.replaceAll("_", ""));
  if (min !== undefined && value < min) {
    throw new ValueError(`${name} must be at least ${String(min)}, not ${String(value)}`);
  }
  return value;
}

/**
 * Print `error` and the usage line to stderr, then exit with status 1: a bad flag or flag value.
 */
export function exitWithUsage(usage: string, error: string): never {
  console.error(error);
  console.error(usage);
  process.exit(1);
}
