/**
 * `selectors-ts/testing`: what a test of code built on selectors-ts needs.
 *
 * - {@link MemoryNetwork}: an in-memory network under the same sockets, whose deliveries the test controls (see
 *   `memory-network.ts` for its rules);
 * - {@link ScriptedSelector}: a selector whose readiness the test decides, and an example of extending
 *   `BaseSelector`;
 * - {@link waitUntilReady}: wait, bounded, until a socket (real or in-memory) is ready.
 *
 * The selector contract tests, for vitest, are in `selectors-ts/testing/contract` (`describeSelectorContract`).
 *
 * @example
 * ```ts
 * using network = new MemoryNetwork({ chunkSize: 1 }).install();
 * // socket.socket() now makes in-memory sockets: run the code under test, then check what it did.
 * ```
 * @module
 */
export {
  MemoryNetwork,
  MemoryPipe,
  type MemoryNetworkOptions,
} from "../transport/memory-network.ts";
export { ScriptedSelector } from "./scripted-selector.ts";
export { waitUntilReady } from "./wait.ts";
