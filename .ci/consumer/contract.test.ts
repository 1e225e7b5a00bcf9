// Run by vitest in the consumer project: a selector of the consumer's own, written on BaseSelector, checked
// against the selector contract that selectors-ts/testing/contract exports.
import { BaseSelector, type FileObj, type ReadyList } from "selectors-ts/selectors";
import { describeSelectorContract } from "selectors-ts/testing/contract";

/** Reports every registered fd ready for what it asked: enough for the contract (it never waits). */
class EverythingReady extends BaseSelector<FileObj> {
  select(): Promise<ReadyList<FileObj, unknown>> {
    return Promise.resolve([...(this.getMap()?.values() ?? [])].map((key) => key.pair(key.events)));
  }
}

describeSelectorContract("a consumer's selector", () => ({
  sel: new EverythingReady(),
  makeReady: () => {
    // Always ready.
  },
}));
