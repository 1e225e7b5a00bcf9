// multiconn-server.ts — the course's multiconn-server.py: an echo server for many clients at once, one
// selector, non-blocking sockets. `await sel.select()` is the one place the program waits.
import { DEMO_FLAGS, demoArgs, exitWithUsage, int } from "../lib/learn/cli.ts";
import { KeyboardInterrupt } from "../lib/python/errors.ts";
import { explorerFromFlags } from "../lib/learn/explorer.ts";
import { printer } from "../lib/python/print.ts";
import { repr } from "../lib/python/repr.ts";
import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

/** Python's `types.SimpleNamespace(addr=addr, inb=b"", outb=b"")`. */
interface Connection {
  addr: socket.Address;
  inb: Buffer;
  outb: Buffer;
}

const sel = new selectors.DefaultSelector<Connection | null>();

function acceptWrapper(sock: socket.NonBlockingSocket): void {
  const [conn, addr] = sock.accept(); // Should be ready to read
  print`Accepted connection from ${addr}`;
  const data: Connection = { addr, inb: Buffer.alloc(0), outb: Buffer.alloc(0) };
  const events = selectors.EVENT_READ | selectors.EVENT_WRITE;
  sel.register(conn.setblocking(false), events, data);
}

function serviceConnection(
  key: selectors.SelectorKey<socket.NonBlockingSocket, Connection>,
  mask: number,
): void {
  const sock = key.fileobj;
  const data = key.data;
  if (mask & selectors.EVENT_READ) {
    const recvData = sock.recv(1024); // Should be ready to read
    if (recvData.length) {
      data.outb = Buffer.concat([data.outb, recvData]);
    } else {
      print`Closing connection to ${data.addr}`;
      sel.unregister(sock);
      sock.close();
    }
  }
  if (mask & selectors.EVENT_WRITE) {
    if (data.outb.length) {
      print`Echoing ${data.outb} to ${data.addr}`;
      const sent = sock.send(data.outb); // Should be ready to write
      data.outb = data.outb.subarray(sent);
    }
  }
}

const { argv, values, usage } = demoArgs(DEMO_FLAGS, "<host> <port>");
if (argv.length !== 4) {
  console.log(usage);
  process.exit(1);
}

const [host, port] = [argv[2] ?? "", int(argv[3] ?? "", "<port>")];
/** Python's `print`; `-q` keeps the per-message lines quiet. */
const print = printer(values.quiet);
const timeline = values.timeline ? new Timeline(sel) : null;
const explorer = explorerFromFlags(sel, values);
if (typeof explorer === "string") exitWithUsage(usage, explorer);
const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
lsock.bind([host, port]);
await lsock.listen();
console.log(`Listening on ${repr([host, port])}`);
sel.register(lsock.setblocking(false), selectors.EVENT_READ, null);

try {
  while (true) {
    const events = await sel.select(null);
    for (const [key, mask] of events) {
      if (key.data === null) {
        acceptWrapper(key.fileobj);
      } else {
        serviceConnection(key, mask);
      }
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
