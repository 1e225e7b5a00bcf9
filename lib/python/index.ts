/**
 * The Python modules a course program imports (`socket`, `select`, `selectors`, `errors`, `os`, `sys`) and the standard library's faces they print through (`repr`, `print`, `traceback`, `KeyboardInterrupt`). This layer speaks Python: its errors, reprs and rules.
 * @module
 */
export * as socket from "./socket.ts";
export * as selectors from "./selectors.ts";
export * as select from "./select.ts";
export * as errors from "./errors.ts";
export * as os from "./os.ts";
export * as sys from "./sys.ts";
export * as repr from "./repr.ts";
export * as print from "./print.ts";
export * as traceback from "./traceback.ts";
export * as keyboardInterrupt from "./keyboard-interrupt.ts";
