// echo-server.ts — the course's echo-server.py: accept one connection and echo what it sends.
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

const HOST = argv[2] ?? "127.0.0.1"; // Standard loopback interface address (localhost)
const PORT = int(argv[3] ?? "65432", "<port>"); // Port to listen on (non-privileged ports are > 1023)

{
  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  s.bind([HOST, PORT]);
  await s.listen();
  const [conn, addr] = await s.accept();
  {
    using _conn = conn; // `with conn:`
    print`Connected by ${addr}`;
    while (true) {
      const data = await conn.recv(1024);
      if (!data.length) {
        break;
      }
      await conn.sendall(data);
    }
  }
}
