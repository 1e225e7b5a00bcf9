// udp-echo-client.ts — the echo client over UDP (SOCK_DGRAM): send `Hello, world` as one datagram to the server
// and print the datagram that comes back. No connect(): sendto() names the server, recvfrom() names the sender.
import { demoArgs, int } from "../lib/learn/cli.ts";
import { print } from "../lib/python/print.ts";
import * as socket from "../lib/python/socket.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const { argv, usage } = demoArgs({}, "<host> <port>");
if (argv.length !== 4) {
  console.log(usage);
  process.exit(1);
}

const [HOST, PORT] = [argv[2] ?? "", int(argv[3] ?? "", "<port>")];

let data: Buffer;
{
  using s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  await s.sendto(Buffer.from("Hello, world"), [HOST, PORT]);
  [data] = await s.recvfrom(1024);
}

print`Received ${data}`;
