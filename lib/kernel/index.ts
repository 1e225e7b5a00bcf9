/**
 * The kernel's model, below the Python faces: the file-descriptor table. Knows no Node API for sockets.
 * @module
 */
export * as fd from "./fd.ts";
