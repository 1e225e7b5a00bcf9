/**
 * Command lines of the demos: the course's positional arguments, plus our optional flags.
 *
 * The course's programs check `len(sys.argv)` and print their usage line; ours do the same, on the arguments left
 * once our flags are taken out. Flags go before or after the positional arguments (`-q HOST PORT` or
 * `HOST PORT --quiet`), use Node's `util.parseArgs`, and an unknown flag is an error the demo reports with its
 * usage line. {@link parsePort} turns the port argument into a number, or explains what is wrong with it.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

import { OSError, errno, gaierror } from "./errors.ts";
import { repr } from "./repr.ts";
import type { BlockingSocket } from "./socket.ts";

/** The flags a demo accepts, in `util.parseArgs` form. */
export type FlagsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What {@link demoArgs} found. */
export interface DemoArgs<V> {
  /** `process.argv` without our flags: `[node, script, ...positional arguments]`, as the demos check it. */
  readonly argv: string[];
  /** The flags' values. */
  readonly values: V;
  /** What is wrong with the flags (an unknown one, a missing value), or `null`. */
  readonly error: string | null;
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
 * Take the flags out of the command line.
 * @example
 * ```ts
 * const { argv, values, error } = demoArgs(DEMO_FLAGS);
 * if (error !== null || argv.length !== 4) { ...usage...; process.exit(1); }
 * ```
 */
export function demoArgs<const O extends FlagsConfig>(
  options: O,
  argv: readonly string[] = process.argv,
): DemoArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"]> {
  const [node = "node", script = "", ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true });
    return { argv: [node, script, ...positionals], values, error: null };
  } catch (e) {
    // Node's text goes on with advice (about `--`, or on further lines); its first sentence says what is wrong.
    const message = (e instanceof Error ? e.message : String(e)).replace(/(?<=\.)\s.*$/s, "");
    // The caller prints its usage line and exits; the values are those of no flags at all.
    const { values } = parseArgs({ args: [], options, allowPositionals: true });
    return { argv: [node, script], values, error: `Error: ${message}` };
  }
}

/**
 * A port argument as a number (0–65535), or the line that says what is wrong: `Error: invalid port 'abc'`.
 */
export function parsePort(text: string): number | string {
  if (!/^\d+$/.test(text)) return `Error: invalid port ${repr(text)} (expected a number 0-65535)`;
  const port = Number(text);
  return port <= 65535 ? port : `Error: invalid port ${text} (expected a number 0-65535)`;
}

/**
 * A port argument as a number, or (printing why, and `usage` if given) exit 1: for programs whose only check is
 * the port, such as the echo programs.
 */
export function portOrExit(text: string, usage: string | null = null): number {
  const port = parsePort(text);
  if (typeof port === "number") return port;
  console.log(port);
  if (usage !== null) console.log(usage);
  process.exit(1);
}

/** Print `error` (if any) and the usage line, then exit with status 1, as the course's programs do. */
export function exitWithUsage(usage: string, error: string | null = null): never {
  if (error !== null) console.log(error);
  console.log(usage);
  process.exit(1);
}

/**
 * `await sock.listen()`, or, when Node cannot bind (a busy port, an unknown host), print the error as the last
 * line of Python's traceback would (`OSError: [Errno 98] Address already in use`), with a hint, and exit 1.
 */
export async function listenOrExit(sock: BlockingSocket, backlog?: number): Promise<void> {
  try {
    await sock.listen(backlog);
  } catch (e) {
    if (!(e instanceof OSError)) throw e;
    const name = e instanceof gaierror ? "socket.gaierror" : e.name;
    console.log(`${name}: ${e.message}`);
    if (e.errno === errno.EADDRINUSE) {
      console.log(
        "Another program listens on that port. Pick another port, or stop it; SO_REUSEADDR only helps with a port left in TIME_WAIT.",
      );
    }
    process.exit(1);
  }
}
