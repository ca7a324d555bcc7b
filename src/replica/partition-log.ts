/**
 * What a replica needs from its log. The storage engine's Log is adapted to this in
 * storage-log.ts, so replica logic (high watermark, acks, purgatory) does not depend on how
 * segments are laid out.
 */
import type { LogConfig } from '../storage/config.js';
import type { AbortedTxnRange } from '../storage/producer-state.js';

export interface PartitionLog {
  /** The topic configs the log runs with (max.message.bytes, timestamp type, …), for produce validation. */
  readonly config: LogConfig;
  /** First offset still in the log (moves with retention and DeleteRecords). */
  readonly logStartOffset: number;
  /** Offset the next appended record gets. */
  readonly logEndOffset: number;
  /**
   * Appends validated v2 batches (concatenated, as they came over the wire) and assigns
   * offsets from logEndOffset by rewriting each batch's baseOffset in place — synchronously, when
   * called, so calls get offsets in call order. The batches are in the file (page cache) when the
   * promise resolves. `onAppended`, when given, is called with the append's info just before the
   * promise resolves (the partition moves its high watermark there: one promise and microtask hop
   * per append fewer than a `then` of its own).
   */
  append(
    batches: Buffer,
    leaderEpoch: number,
    appendTime: number | null,
    onAppended?: (info: AppendInfo) => void,
  ): Promise<AppendInfo>;
  /**
   * Whole batches starting with the one that contains `offset`, up to `maxBytes` (the first
   * batch is returned whole even when bigger, when `minOneMessage`), and never past `maxOffset`.
   * Returned as slices of file reads, never decoded.
   */
  read(offset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Promise<ReadInfo>;
  /** The first offset whose batch has a timestamp >= `timestamp` (ListOffsets), or null. */
  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null>;
  /** Offset and timestamp of the record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or null. */
  maxTimestampOffset(): Promise<TimestampOffset | null>;
  /** Moves the log start offset forward (DeleteRecords); returns the new log start offset. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /** Size of the log on disk, for DescribeLogDirs. */
  readonly sizeInBytes: number;
  /** The end offset of the last batch written with an epoch <= `epoch`, for OffsetForLeaderEpoch. */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number };
  /** First offset of the earliest open transaction (bounds the last stable offset), or null. */
  firstUnstableOffset?(): number | null;
  /** Aborted transactions overlapping [from, upTo), for read_committed fetches. */
  abortedTransactions?(from: number, upTo: number): AbortedTxnRange[];
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Closes and removes the log's files (topic deletion). */
  delete(): Promise<void>;
}

export interface AppendInfo {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The broker's time when the topic uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

export interface ReadInfo {
  /** Raw record batches, as slices. */
  readonly records: Buffer[];
  readonly bytes: number;
}

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
  readonly leaderEpoch: number;
}
