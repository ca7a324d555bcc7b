/**
 * Leader epoch cache: (epoch, first offset written in that epoch) pairs, kept in the partition
 * dir's `leader-epoch-checkpoint` (Kafka's format), for OffsetForLeaderEpoch and follower truncation.
 */
import { join } from 'node:path';
import {
  type EpochEntry,
  LEADER_EPOCH_CHECKPOINT,
  readEpochCheckpoint,
  writeEpochCheckpointSync,
} from './checkpoint.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  readonly path: string;
  #entries: EpochEntry[];

  constructor(dir: string) {
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT);
    this.#entries = readEpochCheckpoint(this.path);
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  latestEpoch(): number {
    return this.#entries.length === 0 ? UNDEFINED_EPOCH : this.#entries[this.#entries.length - 1]!.epoch;
  }

  /** Records that `epoch` starts at `startOffset` when it is newer than the latest epoch. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    const latest = this.#entries[this.#entries.length - 1];
    if (latest && epoch <= latest.epoch) return;
    this.#entries.push({ epoch, startOffset });
    this.#write();
  }

  /**
   * Kafka's endOffsetFor: for the latest epoch, the log end offset; otherwise the start offset of the
   * first epoch after the requested one, with the largest epoch <= requested.
   */
  endOffsetFor(requested: number, logEndOffset: number): { leaderEpoch: number; endOffset: number } {
    const n = this.#entries.length;
    if (requested === UNDEFINED_EPOCH || n === 0)
      return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requested === this.#entries[n - 1]!.epoch) return { leaderEpoch: requested, endOffset: logEndOffset };
    const higher = this.#entries.find((e) => e.epoch > requested);
    if (!higher) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    let floor: EpochEntry | undefined;
    for (const e of this.#entries) if (e.epoch <= requested) floor = e;
    return { leaderEpoch: floor ? floor.epoch : requested, endOffset: higher.startOffset };
  }

  /** Epoch of the batch containing `offset` (the last entry starting at or before it), or -1. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.#entries) if (e.startOffset <= offset) epoch = e.epoch;
    return epoch;
  }

  /** Drops entries starting at or after `offset` (log truncation). */
  truncateFromEnd(offset: number): void {
    const kept = this.#entries.filter((e) => e.startOffset < offset);
    if (kept.length !== this.#entries.length) {
      this.#entries = kept;
      this.#write();
    }
  }

  /** The log start moved to `offset`: entries before it collapse into one starting at `offset`. */
  truncateFromStart(offset: number): void {
    let i = 0;
    while (i + 1 < this.#entries.length && this.#entries[i + 1]!.startOffset <= offset) i++;
    const first = this.#entries[i];
    if (!first || (i === 0 && first.startOffset >= offset)) return;
    this.#entries = [
      { epoch: first.epoch, startOffset: Math.max(first.startOffset, offset) },
      ...this.#entries.slice(i + 1),
    ];
    this.#write();
  }

  clear(): void {
    if (this.#entries.length === 0) return;
    this.#entries = [];
    this.#write();
  }

  #write(): void {
    writeEpochCheckpointSync(this.path, this.#entries);
  }
}
