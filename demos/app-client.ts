// app-client.ts — the course's app-client.py: send one request of the application protocol (libclient) and
// print the response, with one selector and a non-blocking socket.
import { basename } from "node:path";

import { KeyboardInterrupt } from "../lib/errors.ts";
import * as libclient from "../lib/libclient.ts";
import { traceback } from "../lib/traceback.ts";
import { repr } from "../lib/repr.ts";
import * as selectors from "../lib/selectors.ts";
import * as socket from "../lib/socket.ts";

const sel = new selectors.DefaultSelector<libclient.Message>();

function startConnection(host: string, port: number, request: libclient.Request): void {
  const addr: socket.InetAddress = [host, port];
  console.log(`Starting connection to ${repr(addr)}`);
  const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM).setblocking(false);
  sock.connectEx(addr);
  const events = selectors.EVENT_READ | selectors.EVENT_WRITE;
  const message = new libclient.Message(sel, sock, addr, request);
  sel.register(sock, events, message);
}

if (process.argv.length !== 6) {
  console.log(
    `Usage: ${basename(process.argv[1] ?? "app-client.ts")} <host> <port> <action> <value>`,
  );
  process.exit(1);
}

const [host = "", port = "", action = "", value = ""] = process.argv.slice(2);
const request = libclient.createRequest(action, value);
startConnection(host, Number(port), request);

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
}
