/**
 * Python's `traceback.format_exc()`, as far as JavaScript has one: the error's stack (`Name: message` and the
 * `at ...` lines), ending with a newline as Python's does, so `print(f"...\n{traceback.format_exc()}")` and
 * `console.log(`...\n${traceback(e)}`)` print the same shape: the trace, then a blank line.
 * @module
 */
import { PythonException } from "./errors.ts";
import { ProtocolError } from "./protocol.ts";
import { repr } from "./repr.ts";

/**
 * The text of a caught exception, ending with a newline: its stack; for a {@link ProtocolError} (bad input from
 * the peer, not a bug here) the one line `ProtocolError [CODE]: message`, since its stack says nothing more; the
 * repr of a thrown value that is no Error.
 */
export function traceback(error: unknown): string {
  let text: string;
  if (error instanceof ProtocolError) text = `${error.name} [${error.code}]: ${error.message}`;
  else if (error instanceof Error) text = error.stack ?? `${error.name}: ${error.message}`;
  else text = repr(error);
  if (error instanceof PythonException && error.notes.length > 0) {
    text = `${text.trimEnd()}\n${error.notes.join("\n")}`;
  }
  return text.endsWith("\n") ? text : `${text}\n`;
}
