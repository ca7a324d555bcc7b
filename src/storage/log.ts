/**
 * Log: one partition's log — the paper's "logical log … implemented as a set of segment files of
 * approximately the same size", addressed by offsets, with an in-memory sorted list of segments.
 * It knows files, never sockets or protocol requests.
 *
 * ## API (what replica/ builds on)
 *
 * ```ts
 * const log = await Log.open(dir, config, { recoveryPoint, logStartOffset, durability: 'page-cache' });
 * // records: one or more validated magic-2 batches, concatenated (src/protocol/records/validate.ts)
 * const a = await log.append(records, { appendTime: Date.now(), leaderEpoch: 3 });
 * //   → { firstOffset, lastOffset, appendTime (-1 unless LogAppendTime), logStartOffset, maxTimestamp, offsetOfMaxTimestamp }
 * //   baseOffset (and partitionLeaderEpoch, and for LogAppendTime maxTimestamp + CRC) are rewritten IN PLACE in `records`.
 * await log.appendAsFollower(records)                   // keeps the leader's offsets (must start at >= logEndOffset)
 * const r = await log.read(fromOffset, maxBytes, upToOffset?, minOneMessage = true);
 * //   → { records: Buffer[] (whole raw batches), bytes, firstOffset, nextOffset, logStartOffset, logEndOffset }
 * //   OffsetOutOfRangeError outside [logStartOffset, logEndOffset]; at logEndOffset: empty.
 * //   The first batch is the one containing fromOffset (it may start before it); it is returned whole even
 * //   when larger than maxBytes (minOneMessage); batches whose last offset is >= upToOffset are not returned.
 * log.logStartOffset; log.logEndOffset; log.size; log.recoveryPoint
 * await log.offsetForTimestamp(ts)   // first offset with timestamp >= ts → { offset, timestamp, leaderEpoch } | null
 * await log.offsetOfMaxTimestamp()   // → { offset, timestamp, leaderEpoch } | null
 * log.endOffsetForEpoch(epoch)       // OffsetForLeaderEpoch → { leaderEpoch, endOffset }
 * await log.truncateTo(offset)       // removes every batch with lastOffset >= offset; logEndOffset = offset
 * await log.deleteRecordsBefore(off) // moves logStartOffset (DeleteRecords); returns the new logStartOffset
 * await log.deleteOldSegments()      // retention (retention.ms / retention.bytes / below logStartOffset)
 * await log.flush(); await log.close(); await log.delete();
 * log.updateConfig(config);
 * log.highWatermark = hw;            // optional: retention never deletes a segment that reaches past it
 * ```
 *
 * Appends are synchronous writes into the active segment (page cache) done before `append` returns its
 * promise, so offsets are assigned in call order without a queue; in `durability: 'fsync'` mode the
 * promise resolves after an fsync that covers it (group commit: one fsync covers every append in flight).
 * Offsets never go backwards (asserted).
 */
import type { Logger } from '../core/log.js';
import type { LogConfig } from './config.js';

export type Durability = 'page-cache' | 'fsync';

export interface LogOptions {
  /** Recovery starts at the segment containing this offset (from recovery-point-offset-checkpoint). Default 0: scan everything. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint; default: the first segment's base offset. */
  logStartOffset?: number;
  /** 'page-cache' (default): an append resolves once written to the file. 'fsync': once fsynced (group commit). */
  durability?: Durability;
  logger?: Logger;
  /** Clock, for retention, segment.ms and flush.ms (tests inject one). */
  now?: () => number;
  /** Topic and partition, for log lines. */
  topic?: string;
  partition?: number;
  /** Called when logStartOffset moves (the manager checkpoints it). */
  onLogStartOffsetChange?: (log: unknown) => void;
}

export interface AppendOptions {
  /** The broker's time: stamped into LogAppendTime batches, used for segment.ms. Default now(). */
  appendTime?: number;
  /** Stamped into every batch's partitionLeaderEpoch. Default: left as is. */
  leaderEpoch?: number;
}

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  /** The append time when the topic uses LogAppendTime, else -1. */
  appendTime: number;
  logStartOffset: number;
  /** Largest batch maxTimestamp among the appended batches, and the last offset of that batch. */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

export interface ReadResult {
  /** Whole raw batches (file bytes, never decoded). Empty at logEndOffset. */
  records: Buffer[];
  bytes: number;
  /** Base offset of the first returned batch (may be below fromOffset), or -1 when empty. */
  firstOffset: number;
  /** lastOffset + 1 of the last returned batch, or fromOffset when empty. */
  nextOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export class Log {
  static async open(_dir: string, _config: LogConfig, _options: LogOptions = {}): Promise<Log> {
    throw new Error('not implemented yet');
  }
}
