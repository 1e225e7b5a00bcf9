/**
 * Loaded into the app-server under soak (`node --expose-gc --import tsx --import ./bench/soak-probe.ts ...`): on
 * SIGUSR2 it collects garbage and prints one line of memory figures on standard error, and writes a heap snapshot
 * when `SOAK_SNAPSHOT_DIR` is set. The server's own code is untouched.
 *
 * The line: `soak-memory {"rss":…,"heapUsed":…,"external":…,"arrayBuffers":…,"handles":…,"snapshot":…}` (bytes).
 * @module
 */
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";

const gc = (globalThis as { gc?: () => void }).gc;
let snapshots = 0;

process.on("SIGUSR2", () => {
  // Twice: the first run's finalizers may free more.
  gc?.();
  gc?.();
  const memory = process.memoryUsage();
  const dir = process.env["SOAK_SNAPSHOT_DIR"];
  let snapshot: string | null = null;
  if (dir !== undefined && dir !== "") {
    snapshots += 1;
    snapshot = writeHeapSnapshot(join(dir, `soak-${String(snapshots)}.heapsnapshot`));
  }
  const handles = (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles()
    .length;
  process.stderr.write(
    `soak-memory ${JSON.stringify({
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      handles,
      snapshot,
    })}\n`,
  );
});
