/**
 * The transports that carry a socket's bytes: the `Wire` interface, Node's `node:net` under it by default, and the in-memory network for tests.
 * @module
 */
export * as wire from "./wire.ts";
export * as memoryNetwork from "./memory-network.ts";
