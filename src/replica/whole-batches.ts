import { batchSize, LOG_OVERHEAD, lastOffset } from '../protocol/records/batch.js';
import type { Partition } from './partition.js';

/**
 * Reads `partition` from `from` up to `upTo()` (asked again before each read, as the log may grow)
 * as chunks of whole batches: a read that ends inside a batch leaves it for the next read. For the coordinators replaying their internal topics (and
 * reading a transaction's offset commits back), which decode records batch by batch.
 * `next` is the offset after the chunk's last batch.
 */
export async function* wholeBatchChunks(
  partition: Partition,
  from: number,
  upTo: () => number,
  readBytes: number,
): AsyncGenerator<{ chunk: Buffer; from: number; next: number }> {
  let offset = from;
  while (offset < upTo()) {
    const read = await partition.read(offset, readBytes, 0, true);
    if (read.records.length === 0) return;
    const chunk = Buffer.concat(read.records);
    let next = offset;
    let pos = 0;
    while (pos + LOG_OVERHEAD <= chunk.length) {
      const size = batchSize(chunk, pos);
      if (pos + size > chunk.length) break;
      next = lastOffset(chunk, pos) + 1;
      pos += size;
    }
    yield { chunk: chunk.subarray(0, pos), from: offset, next };
    if (next <= offset) return;
    offset = next;
  }
}
