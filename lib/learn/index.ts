/**
 * The learner's tools: the command line of the demos, the timeline, and the explorer (recorder, recording and page).
 * @module
 */
export * as cli from "./cli.ts";
export * as timeline from "./timeline.ts";
export * as explorer from "./explorer.ts";
export * as recording from "./recording.ts";
export * as explorerPage from "./explorer-page.ts";
