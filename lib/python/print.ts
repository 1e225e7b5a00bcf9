/**
 * Python's `print(f"...")`, as a tagged template: `` print`Received ${data} from ${addr}` `` formats each value the
 * way an f-string does, with Python's `str()` — text as it is, bytes as `b'...'`, an address as
 * `('127.0.0.1', 65432)`, a number as its digits — and prints the line. (`{x!r}` is `${repr(x)}`.)
 *
 * A quiet printer (`printer(true)`, the demos' `-q`) formats nothing at all, so quiet mode costs nothing per
 * message.
 * @module
 */
import { str } from "./repr.ts";

/** A print function used as a template tag: `` print`text ${value}` ``. */
export type Print = (strings: TemplateStringsArray, ...values: unknown[]) => void;

/** Python's f-string: the template with each value formatted by Python's `str()`. */
export function f(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += str(values[i]) + (strings[i + 1] ?? "");
  return out;
}

function nothing(): void {
  // quiet: no formatting, no output
}

/**
 * A {@link Print} that writes each line with `write` (default `console.log`), or, when `quiet`, does nothing.
 */
export function printer(quiet = false, write: (line: string) => void = console.log): Print {
  if (quiet) return nothing;
  return (strings, ...values) => {
    write(f(strings, ...values));
  };
}

/** `print` to standard output, as Python's. */
export const print: Print = printer();
