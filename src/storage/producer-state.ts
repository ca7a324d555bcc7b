/**
 * The seam for per-producer state (idempotence and transactions fill it in): the log calls it for
 * every appended batch that carries a producer id, on truncation and when the log start moves, and
 * asks it for a snapshot at flush. Only batch headers are passed (O(batches) per append).
 *
 * `SimpleProducerState` tracks the last batch per producer id in memory — enough for duplicate
 * detection within one broker run. Snapshots (`<offset>.snapshot` files, Kafka's binary format) and
 * rebuilding from the log on restart are the idempotence/transactions work's to add.
 */
import {
  baseSequence,
  lastOffsetDelta,
  maxTimestamp,
  producerEpoch,
  producerId,
} from '../protocol/records/batch.js';

export interface ProducerBatchInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface ProducerStateSeam {
  /**
   * Called before a batch with a producer id is written (offsets not yet assigned: firstOffset/lastOffset
   * are -1). Throwing rejects the whole append (e.g. OutOfOrderSequence) before anything is written.
   */
  check?(info: ProducerBatchInfo): void;
  /** Called after the batch was written, with its offsets. */
  onAppend(info: ProducerBatchInfo): void;
  /** The log was truncated to `offset` (entries at or past it are gone). */
  truncateTo(offset: number): void;
  /** The log start moved to `offset`. */
  onLogStartOffset(offset: number): void;
  /** A chance to write a snapshot as of `offset` (called at flush). */
  snapshot?(dir: string, offset: number): void;
}

/** Header fields of the batch at `pos` as a ProducerBatchInfo, or null without a producer id. */
export function producerBatchInfo(buf: Buffer, pos: number, firstOffset = -1): ProducerBatchInfo | null {
  const pid = producerId(buf, pos);
  if (pid < 0) return null;
  const seq = baseSequence(buf, pos);
  const delta = lastOffsetDelta(buf, pos);
  return {
    producerId: pid,
    producerEpoch: producerEpoch(buf, pos),
    baseSequence: seq,
    lastSequence: seq < 0 ? seq : (seq + delta) % 2147483648,
    firstOffset,
    lastOffset: firstOffset < 0 ? -1 : firstOffset + delta,
    maxTimestamp: maxTimestamp(buf, pos),
  };
}

export class SimpleProducerState implements ProducerStateSeam {
  readonly producers = new Map<number, ProducerBatchInfo>();

  onAppend(info: ProducerBatchInfo): void {
    this.producers.set(info.producerId, info);
  }

  truncateTo(offset: number): void {
    for (const [pid, info] of this.producers) if (info.lastOffset >= offset) this.producers.delete(pid);
  }

  onLogStartOffset(_offset: number): void {
    // Kafka keeps producer state past the log start until producer.id.expiration.ms: nothing to do here.
  }
}
