/**
 * Producer id allocation. Ids are handed out from blocks; the end of the current block is
 * written (atomically: temp file, fsync, rename) to `<data dir>/producer-id-block` before any id
 * of the block is used, so ids are never reused after a restart or a crash.
 */
import { join } from 'node:path';
import { assert } from '../core/assert.js';
import { atomicWriteFileSync, readFileIfExists } from '../storage/fs-util.js';

export const PRODUCER_ID_FILE = 'producer-id-block';
/** Ids reserved per write of PRODUCER_ID_FILE (Kafka's controller hands out blocks of 1000). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Largest id: they must stay exact as numbers (the wire field is int64). */
const PRODUCER_ID_MAX = Number.MAX_SAFE_INTEGER - PRODUCER_ID_BLOCK_SIZE;

export class ProducerIdManager {
  readonly #path: string;
  #next: number;
  #blockEnd: number;

  constructor(dataDir: string) {
    this.#path = join(dataDir, PRODUCER_ID_FILE);
    const text = readFileIfExists(this.#path);
    const m = text === null ? null : /next=(\d+)/.exec(text);
    this.#next = m ? Number(m[1]) : 0;
    this.#blockEnd = this.#next;
  }

  /** The next unused producer id. */
  generate(): number {
    if (this.#next >= this.#blockEnd) {
      assert(this.#next < PRODUCER_ID_MAX, 'producer ids exhausted');
      const end = this.#next + PRODUCER_ID_BLOCK_SIZE;
      atomicWriteFileSync(this.#path, `next=${end}\n`);
      this.#blockEnd = end;
    }
    return this.#next++;
  }
}
