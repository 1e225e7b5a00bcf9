/**
 * Ctrl-C as Python has it: `KeyboardInterrupt` thrown out of the call that was waiting.
 *
 * Python turns SIGINT into a `KeyboardInterrupt` raised wherever the program is, which is almost always inside a
 * blocking call such as `sel.select()`; the course catches it to print `Caught keyboard interrupt, exiting`. Node
 * instead dies on SIGINT. Our waiting calls (`select()`, and `accept`/`recv`/`send`/`connect` on a blocking
 * socket) register here while they wait; on SIGINT every registered call is interrupted and throws
 * {@link KeyboardInterrupt}, so the program's `catch` and `finally` run as in Python.
 *
 * When nothing of ours is waiting, SIGINT keeps Node's default meaning (the process dies by the signal, like
 * Python with an uncaught `KeyboardInterrupt`). The SIGINT listener is installed when a selector or a socket is
 * made ({@link listenForSigint}) or on the first wait, and only then. Made with the selector or socket, it closes
 * a window: a SIGINT that lands between a server's `Listening on` line and its first `select()` (or a blocking
 * `accept()`) would otherwise kill the process at once (no listener yet); with the listener, Node runs it from
 * its event loop, i.e. once the program awaits the call, which then throws `KeyboardInterrupt`.
 *
 * With {@link installDefaultIntHandler} (`installExceptHook()` calls it), Python's default handler is in place from
 * then on, and a SIGINT with nothing of ours waiting (the program waits on a timer, a child process) raises
 * `KeyboardInterrupt` from the listener, uncaught, as Python raises it wherever the program is, instead of ending
 * the process silently. (Node runs a signal listener only between turns of its event loop: a program stuck in a
 * synchronous loop does not see Ctrl-C then; Ctrl-\ (SIGQUIT) still ends it.)
 *
 * A program that installs its own SIGINT handler replaces this one, as `signal.signal(signal.SIGINT, handler)`
 * replaces Python's default handler (the one that raises `KeyboardInterrupt`): while any other `"SIGINT"`
 * listener is installed (`process.on("SIGINT", handler)`), Ctrl-C runs that handler and interrupts nothing.
 * Removing it (`process.off("SIGINT", handler)`) restores the default, as
 * `signal.signal(signal.SIGINT, signal.default_int_handler)` does.
 *
 * The waiting call rethrows the {@link KeyboardInterrupt} through `raisedHere()` (`errors.ts`), so its stack (and
 * a traceback) shows the program's line that was waiting, as Python's does.
 * @module
 */
import { KeyboardInterrupt } from "./errors.ts";

/** A waiting call's way to be interrupted: it should stop waiting and throw {@link KeyboardInterrupt}. */
export interface Interruptible {
  /** Stop waiting and throw `error` out of the waiting call. */
  interrupt(error: KeyboardInterrupt): void;
}

/**
 * The waiting calls. Almost always there is one (the program's `select()`), and it starts and stops waiting on
 * every call, so it gets a slot of its own instead of a set operation each time.
 */
let first: Interruptible | null = null;
const others = new Set<Interruptible>();
let installed = false;
/** Whether a SIGINT with nothing of ours waiting raises KeyboardInterrupt ({@link installDefaultIntHandler}). */
let raiseWhenIdle = false;

function onSigint(): void {
  // The program's own SIGINT handler replaces ours (Python's signal.signal(SIGINT, handler)).
  if (process.listenerCount("SIGINT") > 1) return;
  if (first === null && others.size === 0) {
    // Nothing is waiting: raise it where the program is (the event loop), as Python's default handler does...
    if (raiseWhenIdle) throw new KeyboardInterrupt();
    // ...or behave as if we had never listened (die by SIGINT).
    process.removeListener("SIGINT", onSigint);
    installed = false;
    process.kill(process.pid, "SIGINT");
    return;
  }
  const calls = first === null ? [...others] : [first, ...others];
  first = null;
  others.clear();
  for (const call of calls) call.interrupt(new KeyboardInterrupt());
}

/**
 * Listen for SIGINT from now on (once; later calls do nothing). A SIGINT while nothing waits still ends the
 * process by the signal, from the event loop.
 */
export function listenForSigint(): void {
  if (installed) return;
  process.on("SIGINT", onSigint);
  installed = true;
}

/**
 * Python's default SIGINT handler (`signal.default_int_handler`) from now on, not only while one of our calls
 * waits (see the module rules): with nothing of ours waiting, a SIGINT raises `KeyboardInterrupt` out of the
 * listener, to the program's uncaught-exception handler.
 */
export function installDefaultIntHandler(): void {
  raiseWhenIdle = true;
  listenForSigint();
}

/** Mark `call` as waiting: a SIGINT from now on interrupts it. */
export function startWaiting(call: Interruptible): void {
  listenForSigint();
  if (first === null) first = call;
  else if (first !== call) others.add(call);
}

/** Mark `call` as no longer waiting. */
export function stopWaiting(call: Interruptible): void {
  if (first === call) first = null;
  else others.delete(call);
}
