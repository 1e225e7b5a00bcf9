// echo-client.ts — the course's echo-client.py: send `Hello, world` and print the answer.
// Blocking calls become awaits. Optional `HOST PORT` arguments (not in the course) let tests pick a port.
import { portOrExit } from "../lib/cli.ts";
import * as socket from "../lib/socket.ts";
import { print } from "../lib/print.ts";

const HOST = process.argv[2] ?? "127.0.0.1"; // The server's hostname or IP address
const PORT = portOrExit(process.argv[3] ?? "65432"); // The port used by the server

let data: Buffer;
{
  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  await s.connect([HOST, PORT]);
  await s.sendall(Buffer.from("Hello, world"));
  data = await s.recv(1024);
}

print`Received ${data}`;
