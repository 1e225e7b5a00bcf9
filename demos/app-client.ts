// app-client.ts — the course's app-client.py: send one request of the application protocol (libclient) and
// print the response, with one selector and a non-blocking socket. Beyond the course, and off unless asked:
// -q (quiet), --keep-alive with --repeat N (N requests on one connection; the server needs --keep-alive too).
import { DEMO_FLAGS, demoArgs, exitWithUsage, int } from "../lib/learn/cli.ts";
import { KeyboardInterrupt } from "../lib/python/errors.ts";
import { explorerFromFlags } from "../lib/learn/explorer.ts";
import * as libclient from "../lib/app/libclient.ts";
import { printer } from "../lib/python/print.ts";
import { repr } from "../lib/python/repr.ts";
import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { installExceptHook, traceback } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const sel = new selectors.DefaultSelector<libclient.Message>();

function createRequest(action: string, value: string): libclient.Request {
  if (action === "search") {
    return { type: "text/json", encoding: "utf-8", content: { action, value } };
  }
  return {
    type: "binary/custom-client-binary-type",
    encoding: "binary",
    content: Buffer.from(action + value, "utf-8"),
  };
}

function startConnection(host: string, port: number, request: libclient.Request): void {
  const addr: socket.InetAddress = [host, port];
  print`Starting connection to ${addr}`;
  const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
  sock.connectEx(addr);
  const events = selectors.EVENT_READ | selectors.EVENT_WRITE;
  const message = new libclient.Message(sel, sock, addr, request, {
    log: print,
    keepAlive,
    repeat,
  });
  sel.register(sock, events, message);
}

const { argv, values, usage } = demoArgs(
  { ...DEMO_FLAGS, "keep-alive": { type: "boolean" }, repeat: { type: "string" } },
  "<host> <port> <action> <value>",
);
if (argv.length !== 6) {
  console.log(usage);
  process.exit(1);
}

const [host, port] = [argv[2] ?? "", int(argv[3] ?? "", "<port>")];
const [action, value] = [argv[4] ?? "", argv[5] ?? ""];
const keepAlive = values["keep-alive"] ?? false;
const repeatText = values.repeat ?? "1";
const repeat = /^\d+$/.test(repeatText) ? Number(repeatText) : NaN;
if (!Number.isSafeInteger(repeat) || repeat < 1 || (repeat > 1 && !keepAlive)) {
  exitWithUsage(usage, `Error: --repeat wants a whole number ≥ 1, and --keep-alive when above 1`);
}
/** Python's `print`; `-q` keeps the per-message lines quiet. */
const print = printer(values.quiet);
const timeline = values.timeline ? new Timeline(sel) : null;
const explorer = explorerFromFlags(sel, values);
if (typeof explorer === "string") exitWithUsage(usage, explorer);
const request = createRequest(action, value);
startConnection(host, port, request);

try {
  while (true) {
    const events = await sel.select(1);
    for (const [key, mask] of events) {
      const message = key.data;
      try {
        message.processEvents(mask);
      } catch (e) {
        console.log(`Main: Error: Exception for ${repr(message.addr)}:\n${traceback(e)}`);
        message.close();
      }
    }
    // Check for a socket being monitored to continue.
    if (!sel.getMap()?.size) {
      break;
    }
  }
} catch (e) {
  if (!(e instanceof KeyboardInterrupt)) throw e;
  console.log("Caught keyboard interrupt, exiting");
} finally {
  sel.close();
  if (timeline) console.log(`\n${timeline.render()}`);
  if (explorer) console.log(explorer.save());
}
