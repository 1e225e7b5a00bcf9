/**
 * A selector whose readiness the test decides: an example of extending {@link BaseSelector}, written the way a
 * user of the library would write one.
 *
 * `BaseSelector` owns the registrations and every check (bad events, duplicates, unknown file objects, behaviour
 * after `close()`), so a subclass only answers one question: which registered fds are ready now? This one reads
 * the answer from {@link ScriptedSelector.ready}, a map fd → events that the test fills. It never waits: with
 * nothing ready, `select()` returns `[]` whatever the timeout.
 *
 * The selector contract tests (`describeSelectorContract` of `selectors-ts/testing/contract`) run against it and against `DefaultSelector`, so anything they
 * check is what `BaseSelector` guarantees to every subclass.
 *
 * @example
 * ```ts
 * const sel = new ScriptedSelector<socket.NonBlockingSocket>();
 * const key = sel.register(sock, EVENT_READ, "greeting");
 * sel.ready.set(sock.fileno(), EVENT_READ | EVENT_WRITE);
 * await sel.select(); // [[key, EVENT_READ]]: what is ready and asked for
 * ```
 * @module
 */
import { BaseSelector, type FileObj, type ReadyList, type ReadyPair } from "../python/selectors.ts";

/**
 * A selector that reports, for each registered fd, the events set in {@link ScriptedSelector.ready} that its key
 * asked for. `F` is what may be registered; the data in keys is `unknown`.
 */
export class ScriptedSelector<F extends FileObj = FileObj> extends BaseSelector<F> {
  /** fd → the events that fd is ready for (`EVENT_READ`, `EVENT_WRITE`, or both). Missing means not ready. */
  readonly ready = new Map<number, number>();

  /** How many times {@link ScriptedSelector.select} ran. */
  calls = 0;

  /**
   * One `[key, mask]` per registered key whose fd is ready for some of its events, in registration order;
   * `mask` is the ready events that the key asked for. Returns at once, whatever `timeout` is.
   */
  select(_timeout?: number | null): Promise<ReadyList<F, unknown>> {
    this.calls++;
    const result: ReadyList<F, unknown> = [];
    for (const key of this.getMap()?.values() ?? []) {
      const mask = (this.ready.get(key.fd) ?? 0) & key.events;
      if (mask !== 0) {
        const pair: ReadyPair<F, unknown> = [key, mask];
        result.push(pair);
      }
    }
    return Promise.resolve(result);
  }
}
