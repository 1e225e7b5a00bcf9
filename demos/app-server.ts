// app-server.ts — the course's app-server.py: serve the application protocol of libserver (one request per
// connection) with one selector and non-blocking sockets.
import { basename } from "node:path";

import { KeyboardInterrupt } from "../lib/errors.ts";
import * as libserver from "../lib/libserver.ts";
import { traceback } from "../lib/traceback.ts";
import { repr } from "../lib/repr.ts";
import * as selectors from "../lib/selectors.ts";
import * as socket from "../lib/socket.ts";

const sel = new selectors.DefaultSelector<libserver.Message | null>();

function acceptWrapper(sock: socket.NonBlockingSocket): void {
  const [conn, addr] = sock.accept(); // Should be ready to read
  console.log(`Accepted connection from ${repr(addr)}`);
  const nonBlockingConn = conn.setblocking(false);
  const message = new libserver.Message(sel, nonBlockingConn, addr);
  sel.register(nonBlockingConn, selectors.EVENT_READ, message);
}

if (process.argv.length !== 4) {
  console.log(`Usage: ${basename(process.argv[1] ?? "app-server.ts")} <host> <port>`);
  process.exit(1);
}

const [host = "", port = ""] = process.argv.slice(2);
const lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
// Avoid bind() exception: OSError: [Errno 48] Address already in use
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
lsock.bind([host, Number(port)]);
await lsock.listen();
console.log(`Listening on ${repr([host, Number(port)])}`);
sel.register(lsock.setblocking(false), selectors.EVENT_READ, null);

try {
  while (true) {
    const events = await sel.select(null);
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
  }
} catch (e) {
  if (!(e instanceof KeyboardInterrupt)) throw e;
  console.log("Caught keyboard interrupt, exiting");
} finally {
  sel.close();
}
