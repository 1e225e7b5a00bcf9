/**
 * The wire vectors recorded from the Python course (`spec/fixtures/vectors/`): `NAME.req` holds the bytes the
 * Python client sent, `NAME.res` the bytes the Python server answered.
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** The directory holding the vectors. */
export const VECTORS_DIR = new URL("../fixtures/vectors/", import.meta.url);

/** One recorded exchange. */
export interface VectorPair {
  /** The file name without `.req` / `.res`, e.g. `search-morpheus`. */
  readonly name: string;
  /** What the Python client sent. */
  readonly req: Buffer;
  /** What the Python server answered. */
  readonly res: Buffer;
}

/**
 * Every vector pair, sorted by name.
 *
 * @throws Error if a `.req` file has no `.res` beside it, or the reverse.
 */
export function loadVectors(): VectorPair[] {
  const files = readdirSync(VECTORS_DIR);
  const names = new Set(files.map((f) => f.replace(/\.(req|res)$/, "")));
  return [...names].sort().map((name) => {
    if (!files.includes(`${name}.req`) || !files.includes(`${name}.res`)) {
      throw new Error(`vector ${name}: need both ${name}.req and ${name}.res`);
    }
    return {
      name,
      req: readFileSync(new URL(`${name}.req`, VECTORS_DIR)),
      res: readFileSync(new URL(`${name}.res`, VECTORS_DIR)),
    };
  });
}
