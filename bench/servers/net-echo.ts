// net-echo.ts — the baseline echo server: plain `node:net`, `socket.pipe(socket)`, nothing else.
// Usage: net-echo.ts <host> <port>; prints `Listening on ('HOST', PORT)` once listening.
import * as net from "node:net";

const [host = "127.0.0.1", port = "0"] = process.argv.slice(2);
const server = net.createServer((socket) => {
  socket.on("error", () => {
    // A client that resets its connection (the load generator exits) is not our problem.
  });
  socket.pipe(socket);
});
// SIGINT (Ctrl-C, or bench/profile.ts) ends the process normally, so that `node --cpu-prof` writes its profile.
process.on("SIGINT", () => {
  process.exit(0);
});
server.listen({ host, port: Number(port), backlog: 511 }, () => {
  console.log(`Listening on ('${host}', ${port})`);
});
