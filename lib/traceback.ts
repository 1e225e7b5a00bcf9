/**
 * Python's `traceback.format_exc()`, as far as JavaScript has one: the error's stack (`Name: message` and the
 * `at ...` lines), ending with a newline as Python's does, so `print(f"...\n{traceback.format_exc()}")` and
 * `console.log(`...\n${traceback(e)}`)` print the same shape: the trace, then a blank line.
 * @module
 */
import { ProtocolError } from "./protocol.ts";
import { repr } from "./repr.ts";

/** The text of a caught exception: its stack (or its repr when it is no Error), ending with a newline. */
export function traceback(error: unknown): string {
  const text =
    error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : repr(error);
  return text.endsWith("\n") ? text : `${text}\n`;
}
