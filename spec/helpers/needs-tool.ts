/**
 * `describe()` and `it()` for tests that need an external tool (Chromium, python3, tshark: `spec/helpers/tools.ts`).
 *
 * Rules:
 * - With every tool found, the tests are defined as usual.
 * - With one missing, outside CI, they are defined and skipped, their name ending in `[skipped: no TOOL]`: vitest
 *   lists them as skipped, and `npm test`'s summary counts them into one line per tool with the install command.
 * - With one missing under `CI=true`, they run and fail with that line (a suite through a `beforeAll` that throws):
 *   CI must have every tool.
 *
 * @example
 * ```ts
 * describeNeeding("python3", "Python app peers", () => {
 *   it("...", async () => {
 *     // pythonPeer(...)
 *   });
 * });
 * ```
 * @module
 */
import { beforeAll, describe, it } from "vitest";

import { type ToolName, findTool, inCI, missingReason, skipMarker } from "./tools.ts";

/** The tools of `needs` this machine lacks. */
export function missingTools(needs: ToolName | readonly ToolName[]): ToolName[] {
  const list: readonly ToolName[] = typeof needs === "string" ? [needs] : needs;
  return list.filter((name) => findTool(name) === null);
}

/** The error a test that needs a missing tool fails with under CI. */
function missingError(missing: readonly ToolName[]): Error {
  return new Error(
    `${missing.map(missingReason).join("; ")}: CI=true, so a missing tool fails the run`,
  );
}

/** `name` with the skip markers of `missing`. */
function skippedName(name: string, missing: readonly ToolName[]): string {
  return `${name} ${missing.map(skipMarker).join(" ")}`;
}

/**
 * `describe(name, fn)` for tests that need `needs`: skipped visibly without them (failing under CI).
 *
 * @param needs - The tool or tools every test of the suite needs; an empty list needs none.
 */
export function describeNeeding(
  needs: ToolName | readonly ToolName[],
  name: string,
  fn: () => void,
): void {
  const missing = missingTools(needs);
  if (missing.length === 0) {
    describe(name, fn);
  } else if (inCI()) {
    describe(name, () => {
      beforeAll(() => {
        throw missingError(missing);
      });
      fn();
    });
  } else {
    describe.skip(skippedName(name, missing), fn);
  }
}

/**
 * `it(name, fn, timeout)` for a test that needs `needs`: skipped visibly without them (failing under CI).
 *
 * @param needs - The tool or tools the test needs; an empty list needs none.
 */
export function itNeeding(
  needs: ToolName | readonly ToolName[],
  name: string,
  fn: () => Promise<void> | void,
  timeout?: number,
): void {
  const missing = missingTools(needs);
  if (missing.length === 0) {
    it(name, fn, timeout);
  } else if (inCI()) {
    it(name, () => {
      throw missingError(missing);
    });
  } else {
    it.skip(skippedName(name, missing), fn);
  }
}
