// demo.ts — the guided tour behind `npm run demo`: start the app-server on a free loopback port, send it the
// course's requests with the app-client, show what each side printed, stop the server with Ctrl-C (SIGINT).
// With --explore FILE, each program records its run and the tour writes them all as one page (explorer.ts).
// With --capture FILE, the tour runs in this one process on an in-memory network (lib/learn/memory-tour.ts) and
// writes every segment it carried as a pcap file, which tshark and Wireshark open (wireshark/selectors-ts.lua
// decodes the course's frames in it).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { DEMO_FLAGS, demoArgs, exitWithUsage } from "../lib/learn/cli.ts";
import { memoryTour, TOUR_ADDRESS } from "../lib/learn/memory-tour.ts";
import {
  exploreRequest,
  isRecording,
  writeExplorerPage,
  type Recording,
} from "../lib/learn/explorer.ts";
import * as socket from "../lib/python/socket.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const HOST = "127.0.0.1";
const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** The course's requests: three searches that hit, one that misses, one binary request. */
const REQUESTS: readonly [action: string, value: string][] = [
  ["search", "morpheus"],
  ["search", "ring"],
  ["search", "\u{1f436}"],
  ["search", "neo"],
  ["find", "x"],
];

const { argv, values, usage } = demoArgs(
  {
    explore: DEMO_FLAGS.explore,
    "explore-limit": DEMO_FLAGS["explore-limit"],
    capture: { type: "string" },
  },
  { usage: "Usage: npm run demo [-- --explore FILE [--explore-limit N] | --capture FILE]" },
);
if (argv.length !== 2) exitWithUsage(usage, "Error: the tour takes no arguments");
if (values.capture !== undefined) {
  if (values.explore !== undefined) {
    exitWithUsage(
      usage,
      "Error: --capture runs the tour in one process; --explore records each program",
    );
  }
  await captureTour(values.capture);
  process.exit(0);
}
const asked = exploreRequest(values);
const explore = typeof asked === "string" ? exitWithUsage(usage, asked) : asked;
/** Where the programs write their recordings, with --explore. */
const recordings = explore === null ? null : mkdtempSync(join(tmpdir(), "selectors-ts-tour-"));
let runs = 0;

/** Run a demo script with the same TypeScript loader this process runs under. */
function run(script: string, args: string[]): ChildProcess {
  if (explore !== null && recordings !== null) {
    runs += 1;
    args = [
      ...args,
      "--explore",
      join(recordings, `${runs}.json`),
      "--explore-limit",
      String(explore.limit),
    ];
  }
  return spawn(process.execPath, [...process.execArgv, here(script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** The exit status of a child, once its output is all in. */
function closed(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("close", resolve));
}

/** A server's printed lines, collected as they come, with a way to wait for one. */
class Lines {
  private text = "";
  private shown = 0;
  private waiter: (() => void) | null = null;

  constructor(child: ChildProcess) {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.text += chunk;
      this.waiter?.();
    });
  }

  /** Wait (at most `ms`) until the printed text matches `pattern` `count` times. */
  until(pattern: RegExp, count: number, ms = 10_000): Promise<void> {
    const matches = (): number => this.text.match(new RegExp(pattern.source, "gm"))?.length ?? 0;
    if (matches() >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timed out waiting for ${String(pattern)}`));
      }, ms);
      this.waiter = () => {
        if (matches() < count) return;
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }

  /** The lines printed since the last call (but the line about a recording, with --explore). */
  fresh(): string {
    const out = this.text.slice(this.shown).replace(/^Explorer recording written to .*\n/gm, "");
    this.shown = this.text.length;
    return out;
  }
}

/** The tour on a memory network, in this process, with its capture written to `file`. */
async function captureTour(file: string): Promise<void> {
  const [host, port] = TOUR_ADDRESS;
  let server = "";
  heading(`app-server ${host} ${port} (in this process, on a memory network)`);
  const { network, packets } = await memoryTour({
    requests: REQUESTS,
    capture: file,
    serverLog: (line) => {
      if (line.startsWith("Listening on ")) console.log(indent(line));
      else server += `${line}\n`;
    },
    clientLog: (line) => {
      console.log(indent(line));
    },
    onRequest: (_index, action, value) => {
      heading(`app-client ${host} ${port} ${action} ${value}`);
    },
    afterRequest: () => {
      console.log("  server:");
      console.log(indent(indent(server)));
      server = "";
    },
  });
  heading("ss -tan at the end (the server closed each connection first: TIME-WAIT)");
  console.log(indent(network.ss()));
  console.log(`\nCapture written to ${file} (${packets} packets). Read it with:`);
  console.log(`  tshark -r ${file}`);
  console.log(`  tshark -X lua_script:wireshark/selectors-ts.lua -r ${file} -Y course -V`);
}

function heading(title: string): void {
  console.log(`\n\u2500\u2500 ${title} ${"\u2500".repeat(Math.max(0, 66 - title.length))}`);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

/** A free loopback port: bind port 0, read it back, release it. */
async function freePort(): Promise<number> {
  using probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  probe.bind([HOST, 0]);
  await probe.listen();
  const [, port] = probe.getsockname();
  if (typeof port !== "number") throw new Error("no port");
  return port;
}

const port = await freePort();
heading(`app-server.ts ${HOST} ${port}`);
const server = run("app-server.ts", [HOST, String(port)]);
const serverLines = new Lines(server);
await serverLines.until(/^Listening on /m, 1);
console.log(indent(serverLines.fresh()));

let served = 0;
for (const [action, value] of REQUESTS) {
  heading(`app-client.ts ${HOST} ${port} ${action} ${value}`);
  const client = run("app-client.ts", [HOST, String(port), action, value]);
  const clientLines = new Lines(client);
  const code = await closed(client);
  console.log(indent(clientLines.fresh()));
  if (code !== 0) throw new Error(`app-client exited with ${code}`);
  served += 1;
  await serverLines.until(/^Closing connection to /m, served);
  console.log("  server:");
  console.log(indent(indent(serverLines.fresh())));
}

heading("Ctrl-C (SIGINT) to the server");
server.kill("SIGINT");
const code = await closed(server);
console.log(indent(serverLines.fresh()));
console.log(`\nThe server exited with status ${code}. Run each side yourself: see README.md.`);
process.exitCode = code === 0 ? 0 : 1;

if (explore !== null && recordings !== null) {
  const recorded: Recording[] = [];
  for (let i = 1; i <= runs; i++) {
    const recording: unknown = JSON.parse(readFileSync(join(recordings, `${i}.json`), "utf8"));
    if (!isRecording(recording)) throw new Error(`run ${i} left no recording`);
    recorded.push(recording);
  }
  rmSync(recordings, { recursive: true, force: true });
  console.log(writeExplorerPage(explore.file, recorded));
}
