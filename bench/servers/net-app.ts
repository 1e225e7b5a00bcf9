// net-app.ts — the baseline server of the course's application protocol on plain `node:net`: read one request
// frame (lib/app/protocol.ts's FrameDecoder), answer it as lib/app/libserver.ts does (same answer functions, same
// framing), then close. No selector, no socket emulation, no printing. With --keep-alive, answer every frame in
// order and leave the connection open (as app-server.ts --keep-alive does).
// Usage: net-app.ts [--keep-alive] <host> <port>; prints `Listening on ('HOST', PORT)` once listening.
import * as net from "node:net";

import { createResponseBinaryContent, createResponseJsonContent } from "../../lib/app/libserver.ts";
import {
  JSON_CONTENT_TYPE,
  FrameDecoder,
  createMessage,
  decodeJsonContent,
  type Frame,
} from "../../lib/app/protocol.ts";

const args = process.argv.slice(2);
const keepAlive = args.includes("--keep-alive");
const [host = "127.0.0.1", port = "0"] = args.filter((a) => a !== "--keep-alive");

function answer(frame: Frame): Buffer {
  const response =
    frame.header["content-type"] === JSON_CONTENT_TYPE
      ? createResponseJsonContent(decodeJsonContent(frame))
      : createResponseBinaryContent(frame.content);
  return createMessage(response);
}

const server = net.createServer((socket) => {
  const decoder = new FrameDecoder();
  let answered = false;
  socket.on("error", () => {
    // A client that resets its connection is not our problem.
  });
  socket.on("data", (chunk: Buffer) => {
    if (answered) return;
    try {
      decoder.push(chunk);
      if (keepAlive) {
        for (let frame = decoder.next(); frame !== null; frame = decoder.next())
          socket.write(answer(frame));
        return;
      }
      const frame = decoder.next();
      if (frame === null) return;
      answered = true;
      socket.end(answer(frame));
    } catch (e) {
      console.error(`net-app: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
  });
});
// SIGINT (Ctrl-C, or bench/profile.ts) ends the process normally, so that `node --cpu-prof` writes its profile.
process.on("SIGINT", () => {
  process.exit(0);
});
server.listen({ host, port: Number(port), backlog: 511 }, () => {
  console.log(`Listening on ('${host}', ${port})`);
});
