import { ErrorCode, KafkaError } from '../errors.js';
import type { AbortedTxnRange } from '../storage/producer-state.js';
import type { AppendInfo, PartitionLog, ReadInfo } from './partition-log.js';

/** Fetch isolation levels (FetchRequest.IsolationLevel). */
export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;

export interface PartitionRead extends ReadInfo {
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** read_committed: aborted transactions overlapping the returned range; null otherwise. */
  readonly abortedTransactions: AbortedTxnRange[] | null;
}

/**
 * One partition's replica on this broker, the leader (a replica set of one on a single node).
 * It owns the high watermark: consumers read below it, and it advances when every in-sync
 * replica has the data — on one node, as soon as the leader's write is done. Kept as its own
 * field so followers can be added without changing who reads it.
 */
export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  leaderEpoch: number;
  readonly log: PartitionLog;
  #highWatermark: number;
  /** Called after an append moved the high watermark (wakes parked fetches). */
  onHighWatermark: ((p: Partition) => void) | null = null;
  #deleted = false;

  constructor(topic: string, partition: number, topicId: string, leaderEpoch: number, log: PartitionLog) {
    this.topic = topic;
    this.partition = partition;
    this.topicId = topicId;
    this.leaderEpoch = leaderEpoch;
    this.log = log;
    // Everything recovered from the local log is committed: there is no other replica.
    this.#highWatermark = log.logEndOffset;
  }

  get highWatermark(): number {
    return this.#highWatermark;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  /** The high watermark, or the first offset of the earliest open transaction when lower. */
  get lastStableOffset(): number {
    const unstable = this.log.firstUnstableOffset?.() ?? null;
    return unstable !== null && unstable < this.#highWatermark ? unstable : this.#highWatermark;
  }

  /** Aborted transactions overlapping [from, upTo) (read_committed). */
  abortedTransactions(from: number, upTo: number): AbortedTxnRange[] {
    return this.log.abortedTransactions?.(from, upTo) ?? [];
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  markDeleted(): void {
    this.#deleted = true;
  }

  /**
   * Appends validated batches as the leader. With one replica, acks=1 and acks=-1 both
   * complete when the leader's write is done; the high watermark moves then, to the end of this
   * append. The log assigns offsets when `append` is called (PartitionLog's contract), so calling it
   * at once keeps arrival order, and appends of one event-loop turn share one write (group commit).
   */
  appendAsLeader(batches: Buffer, appendTime: number | null): Promise<AppendInfo> {
    if (this.#deleted)
      return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition deleted'));
    return this.log.append(batches, this.leaderEpoch, appendTime, this.#onAppended);
  }

  readonly #onAppended = (info: AppendInfo): void => {
    this.#advanceHighWatermark(info.lastOffset + 1);
  };

  #advanceHighWatermark(offset: number): void {
    if (offset > this.#highWatermark) {
      this.#highWatermark = offset;
      this.onHighWatermark?.(this);
    }
  }

  /** Reads for a consumer: below the high watermark, or the last stable offset for read_committed. */
  async read(
    fetchOffset: number,
    maxBytes: number,
    isolationLevel: number,
    minOneMessage: boolean,
  ): Promise<PartitionRead> {
    const logStartOffset = this.log.logStartOffset;
    const highWatermark = this.#highWatermark;
    const committed = isolationLevel === IsolationLevel.readCommitted;
    const limit = committed ? this.lastStableOffset : highWatermark;
    if (fetchOffset < logStartOffset || fetchOffset > this.log.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${logStartOffset}, ${this.log.logEndOffset}]`,
      );
    }
    if (fetchOffset >= limit || maxBytes <= 0) {
      return {
        records: [],
        bytes: 0,
        highWatermark,
        lastStableOffset: this.lastStableOffset,
        logStartOffset,
        abortedTransactions: committed ? [] : null,
      };
    }
    const read = await this.log.read(fetchOffset, maxBytes, limit, minOneMessage);
    let abortedTransactions: AbortedTxnRange[] | null = null;
    if (committed) {
      let upTo = fetchOffset;
      for (const b of read.records) {
        for (let pos = 0; pos + 12 <= b.length; pos += 12 + b.readInt32BE(pos + 8))
          upTo = b.readInt32BE(pos) * 4294967296 + b.readUInt32BE(pos + 4) + b.readInt32BE(pos + 23) + 1;
      }
      abortedTransactions = this.abortedTransactions(fetchOffset, upTo);
    }
    return {
      ...read,
      highWatermark,
      lastStableOffset: this.lastStableOffset,
      logStartOffset,
      abortedTransactions,
    };
  }
}
