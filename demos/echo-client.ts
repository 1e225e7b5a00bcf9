// echo-client.ts — the course's echo-client.py: send `Hello, world` and print the answer.
// Blocking calls become awaits. Optional `HOST PORT` arguments (not in the course) let tests pick a port.
import { demoArgs, int } from "../lib/learn/cli.ts";
import * as socket from "../lib/python/socket.ts";
import { print } from "../lib/python/print.ts";
import { installExceptHook } from "../lib/python/traceback.ts";

installExceptHook(); // an uncaught exception ends the program as in Python: traceback on stderr, exit 1

const { argv, usage } = demoArgs({}, "[<host> <port>]");
if (argv.length !== 2 && argv.length !== 4) {
  console.log(usage);
  process.exit(1);
}

const HOST = argv[2] ?? "127.0.0.1"; // The server's hostname or IP address
const PORT = int(argv[3] ?? "65432", "<port>"); // The port used by the server

let data: Buffer;
{
  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  await s.connect([HOST, PORT]);
  await s.sendall(Buffer.from("Hello, world"));
  data = await s.recv(1024);
}

print`Received ${data}`;
