// app-server.ts — the course's app-server.py: serve the application protocol of libserver (one request per
// connection) with one selector and non-blocking sockets. Beyond the course, and off unless asked: -q (quiet),
// --keep-alive, and the limits of lib/app/limits.ts (--max-content-length, --max-connections, --idle-timeout).
import { DEMO_FLAGS, demoArgs, exitWithUsage, int } from "../lib/learn/cli.ts";
import { KeyboardInterrupt } from "../lib/python/errors.ts";
import { explorerFromFlags } from "../lib/learn/explorer.ts";
import * as libserver from "../lib/app/libserver.ts";
import { ConnectionLimits, LIMIT_FLAGS, limitsFromFlags } from "../lib/app/limits.ts";
import { printer } from "../lib/python/print.ts";
import { repr } from "../lib/python/repr.ts";
import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { installExceptHook, traceback } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const sel = new selectors.DefaultSelector<libserver.Message | null>();

function acceptWrapper(sock: socket.NonBlockingSocket): void {
  const [conn, addr] = sock.accept(); // Should be ready to read
  print`Accepted connection from ${addr}`;
  const nonBlockingConn = conn.setblocking(false);
  const options = limits.messageOptions({ log: print, keepAlive });
  const message = new libserver.Message(sel, nonBlockingConn, addr, options);
  sel.register(nonBlockingConn, selectors.EVENT_READ, message);
  limits.accepted(message);
}

const { argv, values, usage } = demoArgs(
  { ...DEMO_FLAGS, ...LIMIT_FLAGS, "keep-alive": { type: "boolean" } },
  "<host> <port>",
);
if (argv.length !== 4) {
  console.log(usage);
  process.exit(1);
}

const [host, port] = [argv[2] ?? "", int(argv[3] ?? "", "<port>")];
const limitValues = limitsFromFlags(values);
if (typeof limitValues === "string") exitWithUsage(usage, limitValues);
/** Python's `print`; `-q` keeps the per-message lines quiet. */
const print = printer(values.quiet);
const timeline = values.timeline ? new Timeline(sel) : null;
const explorer = explorerFromFlags(sel, values);
if (typeof explorer === "string") exitWithUsage(usage, explorer);
const keepAlive = values["keep-alive"] ?? false;

const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
// Avoid bind() exception: OSError: [Errno 48] Address already in use
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
lsock.bind([host, port]);
await lsock.listen();
console.log(`Listening on ${repr([host, port])}`);
const nonBlockingLsock = lsock.setblocking(false);
sel.register(nonBlockingLsock, selectors.EVENT_READ, null);
const limits = new ConnectionLimits(sel, nonBlockingLsock, limitValues);

try {
  while (true) {
    const events = await sel.select(limits.timeout());
    for (const [key, mask] of events) {
      if (key.data === null) {
        acceptWrapper(key.fileobj);
      } else {
        const message = key.data;
        try {
          message.processEvents(mask);
        } catch (e) {
          console.log(`Main: Error: Exception for ${repr(message.addr)}:\n${traceback(e)}`);
          message.close();
        }
      }
    }
    limits.sweep();
  }
} catch (e) {
  if (!(e instanceof KeyboardInterrupt)) throw e;
  console.log("Caught keyboard interrupt, exiting");
} finally {
  sel.close();
  if (timeline) console.log(`\n${timeline.render()}`);
  if (explorer) console.log(explorer.save());
}
