/**
 * The course's application layer: the protocol, the `Message` classes of `libclient`/`libserver`, the limits of hardened servers, and the event loop that drives them.
 * @module
 */
export * as protocol from "./protocol.ts";
export * as message from "./message.ts";
export * as libclient from "./libclient.ts";
export * as libserver from "./libserver.ts";
export * as limits from "./limits.ts";
export * as eventLoop from "./event-loop.ts";
