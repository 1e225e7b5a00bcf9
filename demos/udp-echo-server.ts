// udp-echo-server.ts — the echo server over UDP (SOCK_DGRAM): no listen(), no accept(), no connection; each
// datagram is answered where it came from, until Ctrl-C. Blocking calls become awaits.
import { demoArgs, int } from "../lib/learn/cli.ts";
import { KeyboardInterrupt } from "../lib/python/errors.ts";
import { print } from "../lib/python/print.ts";
import { repr } from "../lib/python/repr.ts";
import * as socket from "../lib/python/socket.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const { argv, usage } = demoArgs({}, "<host> <port>");
if (argv.length !== 4) {
  console.log(usage);
  process.exit(1);
}

const [HOST, PORT] = [argv[2] ?? "", int(argv[3] ?? "", "<port>")];

{
  using s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  s.bind([HOST, PORT]);
  console.log(`Listening on ${repr([HOST, PORT])}`);
  try {
    while (true) {
      const [data, addr] = await s.recvfrom(1024);
      print`Echoing ${data} to ${addr}`;
      if (addr !== null) await s.sendto(data, addr); // an AF_INET sender always has an address
    }
  } catch (e) {
    if (!(e instanceof KeyboardInterrupt)) throw e;
    console.log("Caught keyboard interrupt, exiting");
  }
}
