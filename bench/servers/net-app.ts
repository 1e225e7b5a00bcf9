// net-app.ts — the baseline server of the course's application protocol on plain `node:net`: read one request
// frame (lib/protocol.ts's FrameDecoder), answer it as lib/libserver.ts does (same answer functions, same
// framing), then close. No selector, no socket emulation, no printing.
// Usage: net-app.ts <host> <port>; prints `Listening on ('HOST', PORT)` once listening.
import * as net from "node:net";

import { createResponseBinaryContent, createResponseJsonContent } from "../../lib/libserver.ts";
import {
  JSON_CONTENT_TYPE,
  FrameDecoder,
  createMessage,
  decodeJsonContent,
} from "../../lib/protocol.ts";

const [host = "127.0.0.1", port = "0"] = process.argv.slice(2);

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
      const frame = decoder.next();
      if (frame === null) return;
      answered = true;
      const response =
        frame.header["content-type"] === JSON_CONTENT_TYPE
          ? createResponseJsonContent(decodeJsonContent(frame))
          : createResponseBinaryContent(frame.content);
      socket.end(createMessage(response));
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
