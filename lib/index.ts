/**
 * selectors-ts: Python's `socket` and `selectors` on Node.js, and the course's application protocol.
 * Each concept lives in the module named after it; this file only re-exports them.
 * @module
 */
export * as socket from "./socket.ts";
export * as selectors from "./selectors.ts";
export * as errors from "./errors.ts";
export * as os from "./os.ts";
export * as sys from "./sys.ts";
export * as protocol from "./protocol.ts";
export * as libclient from "./libclient.ts";
export * as libserver from "./libserver.ts";
export { EventLoop } from "./event-loop.ts";
export { repr, str } from "./repr.ts";
export { traceback, formatException, excepthook, installExceptHook } from "./traceback.ts";
export { print, printer, f } from "./print.ts";
export { Timeline } from "./timeline.ts";
