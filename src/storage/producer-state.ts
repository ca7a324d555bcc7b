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
  attributes,
  BatchAttributes,
  BatchOffsets,
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
  /** The batch's transactional attribute. */
  isTransactional: boolean;
  /** The batch's control attribute (a transaction marker, or a marker the cleaner emptied). */
  isControl: boolean;
  /**
   * For a control batch, the type in its first record's key (0 abort, 1 commit, …); -1 for a data
   * batch and for a control batch without records.
   */
  controlType: number;
}

/** What the cleaner must keep of an active producer (Kafka's LastRecord). */
export interface ProducerLastRecord {
  /** Last offset of the producer's last data batch, or -1 when its last entry is a marker. */
  lastDataOffset: number;
  producerEpoch: number;
}

/**
 * Thrown by `check` for a batch the producer already wrote (a retry): the append is acknowledged
 * with the original offsets and nothing is written.
 */
export class DuplicateBatchError extends Error {
  override name = 'DuplicateBatchError';
  readonly firstOffset: number;
  readonly lastOffset: number;
  constructor(firstOffset: number, lastOffset: number) {
    super(`duplicate batch, written before at offsets ${firstOffset}..${lastOffset}`);
    this.firstOffset = firstOffset;
    this.lastOffset = lastOffset;
  }
}

/** An aborted transaction's range in one partition (Kafka's AbortedTxn). */
export interface AbortedTxnRange {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
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
  /** After the log opened and recovered: load the latest snapshot and replay the log past it. */
  recover?(log: RecoverableLog): Promise<void>;
  /** First offset of the earliest open transaction, or null (the last stable offset's bound). */
  firstUnstableOffset?(): number | null;
  /** Aborted transactions with lastOffset >= `from` and firstOffset < `upTo` (read_committed fetch). */
  abortedTransactions?(from: number, upTo: number): AbortedTxnRange[];
  /**
   * Active producers and what of theirs the cleaner must keep: the batch holding their last
   * sequence, or their last marker (its epoch fences zombies).
   */
  lastRecordsOfActiveProducers?(): ReadonlyMap<number, ProducerLastRecord>;
  /**
   * The cleaner swapped in a segment covering [from, upTo): the aborted transactions whose markers
   * lie in that range are now exactly `retained` (the others' records and markers are gone).
   */
  onSegmentsCleaned?(from: number, upTo: number, retained: readonly AbortedTxnRange[]): void;
  /** The log is being deleted or closed. */
  close?(): void;
}

/** What `recover` reads of the log. */
export interface RecoverableLog {
  readonly dir: string;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  segmentBaseOffsets(): number[];
  read(
    fromOffset: number,
    maxBytes: number,
    upToOffset?: number,
    minOneMessage?: boolean,
  ): Promise<{ records: Buffer[] }>;
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
    isTransactional: (attributes(buf, pos) & BatchAttributes.transactional) !== 0,
    isControl: (attributes(buf, pos) & BatchAttributes.control) !== 0,
    controlType: (attributes(buf, pos) & BatchAttributes.control) !== 0 ? controlTypeOf(buf, pos) : -1,
  };
}

/**
 * The control type of a control batch: the key of its first record (control batches are never
 * compressed). Walks the record's varint header: length, attributes, timestampDelta, offsetDelta,
 * keyLength, then key = version int16, type int16. -1 when unreadable or emptied by the cleaner.
 */
function controlTypeOf(buf: Buffer, pos: number): number {
  if (buf.readInt32BE(pos + BatchOffsets.recordsCount) <= 0) return -1;
  const end = pos + 12 + buf.readInt32BE(pos + BatchOffsets.batchLength);
  let p = pos + BatchOffsets.records;
  const skipVarint = (): number => {
    let shift = 0;
    let value = 0;
    while (p < end && shift <= 63) {
      const b = buf[p++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      shift += 7;
    }
    return Number.NaN;
  };
  skipVarint(); // record length
  p++; // attributes
  skipVarint(); // timestampDelta
  skipVarint(); // offsetDelta
  const keyLength = skipVarint();
  if (!(keyLength >= 4) || p + 4 > end) return -1;
  return buf.readInt16BE(p + 2);
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
