/**
 * tshark for the capture tests: run it on a file, follow a TCP stream to its bytes, list expert infos. Tests that
 * use it are defined with `describeNeeding("tshark", ...)` (`needs-tool.ts`), so this machine has it when they run.
 */
import { spawnSync } from "node:child_process";

import { FIXTURES_DIR, PROJECT_ROOT } from "./process.ts";
import { findTool } from "./tools.ts";

/** The dissector shipped in the package. */
export const DISSECTOR = `${PROJECT_ROOT}wireshark/selectors-ts.lua`;

/** tshark's warning when it runs as root (CI does): not about the file. */
const ROOT_WARNING = /^Running as user "root" and group "root"\. This could be dangerous\.\n?/m;

/** What tshark printed. */
export interface TsharkRun {
  readonly stdout: string;
  /** Standard error, without the line about running as root. */
  readonly stderr: string;
  readonly status: number | null;
}

/**
 * Run tshark with `args` (checksums checked, our dissector loaded), at most 60 s.
 * @throws Error when tshark is not on this machine.
 */
export function tshark(args: readonly string[]): TsharkRun {
  const path = findTool("tshark");
  if (path === null) throw new Error("tshark is not installed");
  const run = spawnSync(
    path,
    [
      "-o",
      "tcp.check_checksum:TRUE",
      "-o",
      "ip.check_checksum:TRUE",
      "-X",
      `lua_script:${DISSECTOR}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024, cwd: FIXTURES_DIR },
  );
  return { stdout: run.stdout, stderr: run.stderr.replace(ROOT_WARNING, ""), status: run.status };
}

/** What one tshark run read of a capture ({@link readCapture}). */
export interface CaptureReading {
  /** One row per packet shown (all, or those `filter` keeps): the values of `fields`, in their order. */
  readonly rows: string[][];
  /** For each index of `follow`, in that order: what the stream's first node sent, and what the other sent. */
  readonly streams: [Buffer, Buffer][];
  /** The expert infos (`-z expert,note`), one `Severity Group Protocol Summary` line each (when `expert`). */
  readonly expert: string[];
  /** Standard error, without the line about running as root. */
  readonly stderr: string;
  readonly status: number | null;
}

/** What {@link readCapture} asks tshark for. */
export interface ReadOptions {
  /** Fields to print for each packet (`-T fields -e ...`). */
  readonly fields?: readonly string[];
  /** A display filter (`-Y`): which packets get a row. tshark's statistics (follow, expert) still see all. */
  readonly filter?: string;
  /** TCP streams to follow (`-z follow,tcp,raw,N`). */
  readonly follow?: readonly number[];
  /** List the expert infos (`-z expert,note`). */
  readonly expert?: boolean;
  /** More options, before the file (`-o name:value`, `-d ...`). */
  readonly extra?: readonly string[];
}

/**
 * Read `file` with one tshark run: the packets' fields, followed streams and expert infos together. tshark takes
 * about half a second of CPU to start, most of a capture test's cost, so a test asks for all it checks at once.
 */
export function readCapture(file: string, options: ReadOptions): CaptureReading {
  const { fields = [], filter, follow = [], expert = false, extra = [] } = options;
  const run = tshark([
    ...extra,
    "-r",
    file,
    ...(filter === undefined ? [] : ["-Y", filter]),
    // frame.number first, so that no row is empty: the first empty line is where the statistics begin.
    "-T",
    "fields",
    ...["frame.number", ...fields].flatMap((name) => ["-e", name]),
    ...(expert ? ["-z", "expert,note"] : []),
    ...follow.flatMap((index) => ["-z", `follow,tcp,raw,${index}`]),
  ]);
  const lines = run.stdout.split("\n");
  const end = lines.indexOf("");
  const rows = lines
    .slice(0, end === -1 ? lines.length : end)
    .map((line) => line.split("\t").slice(1));
  const statistics = end === -1 ? "" : lines.slice(end).join("\n");
  return {
    rows,
    streams: followedStreams(statistics, follow),
    expert: expert ? expertLines(statistics) : [],
    stderr: run.stderr,
    status: run.status,
  };
}

/** The streams `indices` in tshark's `follow,tcp,raw` output: what each side sent. */
function followedStreams(printed: string, indices: readonly number[]): [Buffer, Buffer][] {
  // tshark prints the streams in its own order: find each by its filter line.
  const streams = new Map<number, string>();
  for (const text of printed.split(/^Follow: tcp,raw$/m).slice(1)) {
    const index = /^Filter: tcp\.stream eq (\d+)$/m.exec(text)?.[1];
    if (index !== undefined) streams.set(Number(index), text);
  }
  return indices.map((index) => {
    const text = streams.get(index) ?? "";
    const body = text.split("\n").filter((line) => /^\t?[0-9a-f]+$/.test(line));
    const first = body.filter((line) => !line.startsWith("\t")).join("");
    const second = body
      .filter((line) => line.startsWith("\t"))
      .map((line) => line.slice(1))
      .join("");
    return [Buffer.from(first, "hex"), Buffer.from(second, "hex")];
  });
}

/** The expert infos in tshark's `expert,note` output, one `Severity Group Protocol Summary` line each. */
function expertLines(printed: string): string[] {
  const lines: string[] = [];
  let severity = "";
  for (const line of printed.split("\n")) {
    const heading = /^(Errors|Warns|Notes|Chats) \(\d+\)/.exec(line);
    if (heading !== null) severity = heading[1] ?? "";
    const row = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (row !== null && severity !== "") lines.push(`${severity} ${row[2]} ${row[3]} ${row[4]}`);
  }
  return lines;
}
