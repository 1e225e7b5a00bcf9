// multiconn-client.ts — the course's multiconn-client.py: open several connections at once, send two messages
// on each and read the echoes, with one selector and non-blocking sockets.
import { DEMO_FLAGS, demoArgs, exitWithUsage, int } from "../lib/learn/cli.ts";
import { KeyboardInterrupt } from "../lib/python/errors.ts";
import { explorerFromFlags } from "../lib/learn/explorer.ts";
import { printer } from "../lib/python/print.ts";
import * as selectors from "../lib/python/selectors.ts";
import * as socket from "../lib/python/socket.ts";
import { Timeline } from "../lib/learn/timeline.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

/** Python's `types.SimpleNamespace(connid=..., msg_total=..., recv_total=0, messages=..., outb=b"")`. */
interface Connection {
  connid: number;
  msgTotal: number;
  recvTotal: number;
  messages: Buffer[];
  outb: Buffer;
}

const sel = new selectors.DefaultSelector<Connection>();
const messages = [Buffer.from("Message 1 from client."), Buffer.from("Message 2 from client.")];

function startConnections(host: string, port: number, numConns: number): void {
  const serverAddr: socket.InetAddress = [host, port];
  for (let i = 0; i < numConns; i++) {
    const connid = i + 1;
    print`Starting connection ${connid} to ${serverAddr}`;
    const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
    sock.connectEx(serverAddr);
    const events = selectors.EVENT_READ | selectors.EVENT_WRITE;
    const data: Connection = {
      connid,
      msgTotal: messages.reduce((total, m) => total + m.length, 0),
      recvTotal: 0,
      messages: [...messages],
      outb: Buffer.alloc(0),
    };
    sel.register(sock, events, data);
  }
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
      print`Received ${recvData} from connection ${data.connid}`;
      data.recvTotal += recvData.length;
    }
    if (!recvData.length || data.recvTotal === data.msgTotal) {
      print`Closing connection ${data.connid}`;
      sel.unregister(sock);
      sock.close();
    }
  }
  if (mask & selectors.EVENT_WRITE) {
    if (!data.outb.length && data.messages.length) {
      data.outb = data.messages.shift() ?? Buffer.alloc(0);
    }
    if (data.outb.length) {
      print`Sending ${data.outb} to connection ${data.connid}`;
      const sent = sock.send(data.outb); // Should be ready to write
      data.outb = data.outb.subarray(sent);
    }
  }
}

const { argv, values, usage } = demoArgs(DEMO_FLAGS, "<host> <port> <num_connections>");
if (argv.length !== 5) {
  console.log(usage);
  process.exit(1);
}

const [host = "", port = "", numConns = ""] = argv.slice(2, 5);
/** Python's `print`; `-q` keeps the per-message lines quiet. */
const print = printer(values.quiet);
const timeline = values.timeline ? new Timeline(sel) : null;
const explorer = explorerFromFlags(sel, values);
if (typeof explorer === "string") exitWithUsage(usage, explorer);
startConnections(host, int(port, "<port>"), int(numConns, "<num_connections>", 0));

try {
  while (true) {
    const events = await sel.select(1);
    for (const [key, mask] of events) {
      serviceConnection(key, mask);
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
