/**
 * The learner's tools: the command line of the demos, the timeline, the explorer (recorder, recording and page), and
 * the guided tour on a memory network.
 * @module
 */
export * as cli from "./cli.ts";
export * as timeline from "./timeline.ts";
export * as explorer from "./explorer.ts";
export * as recording from "./recording.ts";
export * as explorerPage from "./explorer-page.ts";
export * as memoryTour from "./memory-tour.ts";
