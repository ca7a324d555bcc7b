import {
  baseTimestamp,
  batchSize,
  lastOffsetDelta,
  maxTimestamp,
  partitionLeaderEpoch,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
} from '../protocol/records/batch.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { AppendInfo, PartitionLog, ReadInfo, TimestampOffset } from './partition-log.js';

interface StoredBatch {
  readonly base: number;
  readonly last: number;
  readonly bytes: Buffer;
}

/**
 * A PartitionLog held in memory: the same offset assignment and read rules as the storage
 * engine, without files. For unit tests of the replica layer and for brokers started with
 * an in-memory store; never the default.
 */
export class MemoryLog implements PartitionLog {
  readonly #batches: StoredBatch[] = [];
  #logStartOffset = 0;
  #logEndOffset = 0;
  #size = 0;

  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  get logEndOffset(): number {
    return this.#logEndOffset;
  }
  get sizeInBytes(): number {
    return this.#size;
  }

  async append(batches: Buffer, leaderEpoch: number, appendTime: number | null): Promise<AppendInfo> {
    const firstOffset = this.#logEndOffset;
    let pos = 0;
    while (pos < batches.length) {
      const size = batchSize(batches, pos);
      const copy = Buffer.from(batches.subarray(pos, pos + size));
      setBaseOffset(copy, 0, this.#logEndOffset);
      setPartitionLeaderEpoch(copy, 0, leaderEpoch);
      if (appendTime !== null) stampLogAppendTime(copy, 0, appendTime);
      const last = this.#logEndOffset + lastOffsetDelta(copy, 0);
      this.#batches.push({ base: this.#logEndOffset, last, bytes: copy });
      this.#logEndOffset = last + 1;
      this.#size += size;
      pos += size;
    }
    return {
      firstOffset,
      lastOffset: this.#logEndOffset - 1,
      logAppendTime: appendTime ?? -1,
      logStartOffset: this.#logStartOffset,
    };
  }

  async read(offset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadInfo> {
    if (offset < this.#logStartOffset || offset > this.#logEndOffset) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} out of range`);
    }
    const records: Buffer[] = [];
    let bytes = 0;
    for (const b of this.#batches) {
      if (b.last < offset) continue;
      if (b.last >= maxOffset) break;
      if (bytes + b.bytes.length > maxBytes && !(minOneMessage && records.length === 0)) break;
      records.push(b.bytes);
      bytes += b.bytes.length;
    }
    return { records, bytes };
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    for (const b of this.#batches) {
      if (b.last < this.#logStartOffset) continue;
      if (maxTimestamp(b.bytes, 0) >= timestamp) {
        return {
          offset: Math.max(b.base, this.#logStartOffset),
          timestamp: Math.max(baseTimestamp(b.bytes, 0), timestamp),
          leaderEpoch: partitionLeaderEpoch(b.bytes, 0),
        };
      }
    }
    return null;
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    let best: TimestampOffset | null = null;
    for (const b of this.#batches) {
      const ts = maxTimestamp(b.bytes, 0);
      if (!best || ts > best.timestamp)
        best = { offset: b.last, timestamp: ts, leaderEpoch: partitionLeaderEpoch(b.bytes, 0) };
    }
    return best;
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    if (offset > this.#logStartOffset) this.#logStartOffset = offset;
    while (this.#batches.length > 0 && this.#batches[0]!.last < this.#logStartOffset) {
      this.#size -= this.#batches.shift()!.bytes.length;
    }
    return this.#logStartOffset;
  }

  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return epoch >= 0
      ? { leaderEpoch: epoch, endOffset: this.#logEndOffset }
      : { leaderEpoch: -1, endOffset: -1 };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async delete(): Promise<void> {
    this.#batches.length = 0;
  }
}
