/**
 * selectors-ts: Python's `socket`, `select` and `selectors` on Node.js, and the course's application protocol.
 * Each concept lives in the module named after it; this file only re-exports them.
 * @module
 */
export * as socket from "./python/socket.ts";
export * as selectors from "./python/selectors.ts";
export * as select from "./python/select.ts";
export * as errors from "./python/errors.ts";
export * as os from "./python/os.ts";
export * as sys from "./python/sys.ts";
export * as protocol from "./app/protocol.ts";
export * as libclient from "./app/libclient.ts";
export * as libserver from "./app/libserver.ts";
export { EventLoop } from "./app/event-loop.ts";
export { repr, str } from "./python/repr.ts";
export { traceback, formatException, excepthook, installExceptHook } from "./python/traceback.ts";
export { print, printer, f } from "./python/print.ts";
export { Timeline } from "./learn/timeline.ts";
