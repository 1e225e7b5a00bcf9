/**
 * The kernel's model, below the Python faces: the file-descriptor table, and the rules of `bind()` (ports in use,
 * TIME_WAIT, privileged ports). Knows no Node API for sockets.
 * @module
 */
export * as fd from "./fd.ts";
export * as bindRules from "./bind-rules.ts";
export * as portTable from "./port-table.ts";
export * as privilegedPorts from "./privileged-ports.ts";
export * as procNet from "./proc-net.ts";
export * as timeWait from "./time-wait.ts";
