/**
 * For replaying an internal topic (`__consumer_offsets`): the batches of a chunk without the
 * transactional batches of aborted transactions, nor those of transactions still open (at or past
 * the last stable offset). Batch headers only.
 */
import {
  attributes,
  BatchAttributes,
  baseOffset,
  batchSize,
  LOG_OVERHEAD,
  producerId,
} from '../protocol/records/batch.js';
import type { AbortedTxnRange } from '../storage/producer-state.js';

export function withoutUncommittedBatches(
  chunk: Buffer,
  aborted: readonly AbortedTxnRange[],
  lastStableOffset: number,
): Buffer {
  const keep: Buffer[] = [];
  let changed = false;
  for (let pos = 0; pos + LOG_OVERHEAD <= chunk.length; ) {
    const size = batchSize(chunk, pos);
    if (pos + size > chunk.length) break;
    const attrs = attributes(chunk, pos);
    let drop = false;
    if ((attrs & BatchAttributes.transactional) !== 0 && (attrs & BatchAttributes.control) === 0) {
      const base = baseOffset(chunk, pos);
      const pid = producerId(chunk, pos);
      drop =
        base >= lastStableOffset ||
        aborted.some((a) => a.producerId === pid && a.firstOffset <= base && base <= a.lastOffset);
    }
    if (drop) changed = true;
    else keep.push(chunk.subarray(pos, pos + size));
    pos += size;
  }
  return changed ? Buffer.concat(keep) : chunk;
}
