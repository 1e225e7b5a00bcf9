// echo-server.ts — the course's echo-server.py: accept one connection and echo what it sends.
// Blocking calls become awaits. Optional `HOST PORT` arguments (not in the course) let tests pick a port.
import { listenOrExit } from "../lib/cli.ts";
import * as socket from "../lib/socket.ts";
import { repr } from "../lib/repr.ts";

const HOST = process.argv[2] ?? "127.0.0.1"; // Standard loopback interface address (localhost)
const PORT = Number(process.argv[3] ?? 65432); // Port to listen on (non-privileged ports are > 1023)

{
  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  s.bind([HOST, PORT]);
  await listenOrExit(s);
  const [conn, addr] = await s.accept();
  {
    using _conn = conn; // `with conn:`
    console.log(`Connected by ${repr(addr)}`);
    while (true) {
      const data = await conn.recv(1024);
      if (!data.length) {
        break;
      }
      await conn.sendall(data);
    }
  }
}
