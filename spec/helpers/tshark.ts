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

/**
 * Follow TCP streams `indices` of `file` (one tshark run): for each, what its first node sent, and what the other
 * sent.
 */
export function followTcp(file: string, indices: readonly number[]): [Buffer, Buffer][] {
  const { stdout } = tshark([
    "-r",
    file,
    "-q",
    ...indices.flatMap((index) => ["-z", `follow,tcp,raw,${index}`]),
  ]);
  // tshark prints the streams in its own order: find each by its filter line.
  const streams = new Map<number, string>();
  for (const text of stdout.split(/^Follow: tcp,raw$/m).slice(1)) {
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

/** The expert infos of `file` (`-z expert`), one `Severity Group Protocol Summary` line each. */
export function expertInfos(file: string, extra: readonly string[] = []): string[] {
  const { stdout } = tshark(["-r", file, ...extra, "-q", "-z", "expert,note"]);
  const lines: string[] = [];
  let severity = "";
  for (const line of stdout.split("\n")) {
    const heading = /^(Errors|Warns|Notes|Chats) \(\d+\)/.exec(line);
    if (heading !== null) severity = heading[1] ?? "";
    const row = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (row !== null && severity !== "") lines.push(`${severity} ${row[2]} ${row[3]} ${row[4]}`);
  }
  return lines;
}

/** `-T fields -e ...` of `file`: one array of values per packet. */
export function fields(
  file: string,
  names: readonly string[],
  filter?: string,
  extra: readonly string[] = [],
): string[][] {
  const { stdout } = tshark([
    ...extra,
    "-r",
    file,
    ...(filter === undefined ? [] : ["-Y", filter]),
    "-T",
    "fields",
    ...names.flatMap((name) => ["-e", name]),
  ]);
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}
