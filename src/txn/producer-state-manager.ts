/**
 * Per-partition producer state (Kafka's ProducerStateManager, rebuilt from its documented rules):
 * for each producer id the epoch, the sequence ranges and offsets of its last five batches, and the
 * first offset of its open transaction; the partition's aborted transactions. It is fed batch
 * headers only (see storage/producer-state.ts), persisted in `<offset>.snapshot` files (Kafka's
 * binary layout) and in per-segment `.txnindex` files, and rebuilt at open from the latest snapshot
 * plus the batches after it.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../protocol/records/crc32c.js';
import { assert } from '../core/assert.js';
import type { Logger } from '../core/log.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { baseOffset, batchSize, LOG_OVERHEAD, readInt64, writeInt64 } from '../protocol/records/batch.js';
import { ControlRecordType } from '../protocol/records/records.js';
import { atomicWriteFileSync, unlinkIfExists } from '../storage/fs-util.js';
import {
  appendTxnIndexEntry,
  readTxnIndex,
  TXN_INDEX_ENTRY_BYTES,
  TXN_INDEX_SUFFIX,
  txnIndexFileName,
} from '../storage/txn-index.js';
import {
  type AbortedTxnRange,
  DuplicateBatchError,
  type ProducerBatchInfo,
  type ProducerLastRecord,
  type ProducerStateSeam,
  producerBatchInfo,
  type RecoverableLog,
} from '../storage/producer-state.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: sequence ranges kept per producer for duplicates. */
export const BATCHES_RETAINED = 5;
/** Bound on producer ids tracked per partition; past it the longest-idle producer without a transaction goes. */
export const PRODUCERS_PER_PARTITION_MAX = 100_000;
/** Bound on aborted transactions kept in memory per partition (older ones remain in `.txnindex`). */
export const ABORTED_TXNS_PER_PARTITION_MAX = 100_000;
/** Completed transactions remembered per partition, so a truncation below a marker can reopen its transaction. */
export const COMPLETED_TXNS_KEPT = 10_000;
/** Snapshot files kept per partition. */
export const SNAPSHOTS_KEPT = 2;
/** Bytes read per step while replaying the log at open. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024;

export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
/** Snapshot entry: producerId 8, epoch 2, lastSequence 4, lastOffset 8, offsetDelta 4, timestamp 8, coordinatorEpoch 4, currentTxnFirstOffset 8. */
const SNAPSHOT_ENTRY_BYTES = 46;
const INT32_MAX = 2147483647;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most BATCHES_RETAINED. */
  batches: BatchMeta[];
  coordinatorEpoch: number;
  /** First offset of the open transaction, or -1. */
  currentTxnFirstOffset: number;
  lastTimestamp: number;
}

/** KIP-890: is this partition part of the producer's open transaction? An error code, 0 when it is. */
export type TransactionVerifier = (
  producerId: number,
  producerEpoch: number,
  topic: string,
  partition: number,
) => number;

export interface ProducerStateOptions {
  /** producer.id.expiration.ms (Kafka 4.0 default 86400000). */
  producerIdExpirationMs?: number;
  /** Checks the first transactional batch of a producer in this partition against the coordinator. */
  verifyTransaction?: TransactionVerifier;
  logger?: Logger;
}

function offsetFileName(offset: number, suffix: string): string {
  return `${String(offset).padStart(20, '0')}${suffix}`;
}

function parseOffsetName(name: string, suffix: string): number {
  if (!name.endsWith(suffix)) return -1;
  const digits = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(digits) ? Number(digits) : -1;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateManager implements ProducerStateSeam {
  readonly topic: string;
  readonly partition: number;
  readonly #producers = new Map<number, ProducerEntry>();
  /** Open transactions: producer id → first offset. */
  readonly #ongoing = new Map<number, number>();
  /** Aborted transactions in marker order (ascending lastOffset). */
  #aborted: AbortedTxnRange[] = [];
  /** Recently completed transactions (committed or aborted), marker order, at most COMPLETED_TXNS_KEPT. */
  #completed: AbortedTxnRange[] = [];
  #log: RecoverableLog | null = null;
  #dir: string | null = null;
  /** Offset after the last batch applied. */
  #mapEndOffset = 0;
  #lastSnapshotOffset = -1;
  readonly #expirationMs: number;
  readonly #logger: Logger | undefined;
  readonly #verify: TransactionVerifier | undefined;

  constructor(topic: string, partition: number, options: ProducerStateOptions = {}) {
    this.topic = topic;
    this.partition = partition;
    this.#verify = options.verifyTransaction;
    this.#expirationMs = options.producerIdExpirationMs ?? 86_400_000;
    this.#logger = options.logger;
  }

  get producerCount(): number {
    return this.#producers.size;
  }

  producers(): IterableIterator<ProducerEntry> {
    return this.#producers.values();
  }

  producer(producerId: number): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  lastSequence(e: ProducerEntry): number {
    return e.batches.length === 0 ? -1 : e.batches[e.batches.length - 1]!.lastSeq;
  }

  // ------------------------------------------------------------ produce path

  /** Kafka's rules for a client's batch: epoch, duplicate, sequence, transaction state. Headers only. */
  check(info: ProducerBatchInfo): void {
    const e = this.#producers.get(info.producerId);
    if (info.isControl) {
      if (e !== undefined && info.producerEpoch < e.epoch)
        throw new KafkaError(
          ErrorCode.INVALID_PRODUCER_EPOCH,
          `marker epoch ${info.producerEpoch} is older than ${e.epoch} for producer ${info.producerId}`,
        );
      return;
    }
    // KIP-890 part 1: a transaction's first batch in a partition must follow AddPartitionsToTxn, so
    // a zombie's late write cannot open a transaction that nobody will ever end.
    if (
      info.isTransactional &&
      this.#verify !== undefined &&
      (e === undefined || e.currentTxnFirstOffset < 0)
    ) {
      const code = this.#verify(info.producerId, info.producerEpoch, this.topic, this.partition);
      if (code !== ErrorCode.NONE)
        throw new KafkaError(
          code,
          `producer ${info.producerId} has no open transaction including ${this.topic}-${this.partition}`,
        );
    }
    // An unknown producer (new, or all its batches gone with retention): any sequence is accepted.
    if (e === undefined) return;
    if (info.producerEpoch < e.epoch)
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `epoch ${info.producerEpoch} is older than the current ${e.epoch} of producer ${info.producerId}`,
      );
    if (info.baseSequence >= 0) {
      if (info.producerEpoch === e.epoch) {
        for (const b of e.batches)
          if (b.firstSeq === info.baseSequence && b.lastSeq === info.lastSequence)
            throw new DuplicateBatchError(b.firstOffset, b.lastOffset);
        const last = this.lastSequence(e);
        if (!inSequence(last, info.baseSequence))
          throw new KafkaError(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `out of order sequence ${info.baseSequence} for producer ${info.producerId} at epoch ${e.epoch} (last ${last})`,
          );
      } else if (info.baseSequence !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `sequence ${info.baseSequence} for the new epoch ${info.producerEpoch} of producer ${info.producerId} is not 0`,
        );
      }
    }
    if (!info.isTransactional && e.currentTxnFirstOffset >= 0 && info.producerEpoch === e.epoch)
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `non-transactional batch from producer ${info.producerId} inside its open transaction`,
      );
  }

  onAppend(info: ProducerBatchInfo): void {
    assert(info.firstOffset >= 0, 'producer state applied before offsets were assigned');
    if (info.lastOffset + 1 > this.#mapEndOffset) this.#mapEndOffset = info.lastOffset + 1;
    let e = this.#producers.get(info.producerId);
    if (e === undefined) {
      if (this.#producers.size >= PRODUCERS_PER_PARTITION_MAX) this.#evictOne();
      e = {
        producerId: info.producerId,
        epoch: info.producerEpoch,
        batches: [],
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1,
        lastTimestamp: info.maxTimestamp,
      };
      this.#producers.set(info.producerId, e);
    }
    if (info.producerEpoch > e.epoch) {
      e.epoch = info.producerEpoch;
      e.batches = [];
    }
    if (info.maxTimestamp > e.lastTimestamp) e.lastTimestamp = info.maxTimestamp;
    if (info.isControl) {
      if (info.controlType !== ControlRecordType.commit && info.controlType !== ControlRecordType.abort)
        return;
      const first = e.currentTxnFirstOffset;
      e.currentTxnFirstOffset = -1;
      this.#ongoing.delete(info.producerId);
      if (first >= 0) {
        if (this.#completed.length >= COMPLETED_TXNS_KEPT) this.#completed.shift();
        this.#completed.push({
          producerId: info.producerId,
          firstOffset: first,
          lastOffset: info.lastOffset,
        });
      }
      if (first >= 0 && info.controlType === ControlRecordType.abort)
        this.#addAborted(
          { producerId: info.producerId, firstOffset: first, lastOffset: info.lastOffset },
          true,
        );
      return;
    }
    if (info.baseSequence >= 0) {
      if (e.batches.length >= BATCHES_RETAINED) e.batches.shift();
      e.batches.push({
        firstSeq: info.baseSequence,
        lastSeq: info.lastSequence,
        firstOffset: info.firstOffset,
        lastOffset: info.lastOffset,
      });
    }
    if (info.isTransactional && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = info.firstOffset;
      this.#ongoing.set(info.producerId, info.firstOffset);
    }
  }

  #evictOne(): void {
    let victim: ProducerEntry | null = null;
    for (const e of this.#producers.values())
      if (e.currentTxnFirstOffset < 0 && (victim === null || e.lastTimestamp < victim.lastTimestamp))
        victim = e;
    if (victim !== null) this.#producers.delete(victim.producerId);
  }

  #addAborted(range: AbortedTxnRange, persist: boolean): void {
    if (this.#aborted.length >= ABORTED_TXNS_PER_PARTITION_MAX) this.#aborted.shift();
    this.#aborted.push(range);
    if (persist && this.#log !== null) {
      const bases = this.#log.segmentBaseOffsets();
      let base = bases[0] ?? 0;
      for (const b of bases) if (b <= range.lastOffset) base = b;
      appendTxnIndexEntry(join(this.#log.dir, txnIndexFileName(base)), {
        ...range,
        lastStableOffset: this.firstUnstableOffset() ?? range.lastOffset + 1,
      });
    }
  }

  // ------------------------------------------------------------ reading

  firstUnstableOffset(): number | null {
    let min: number | null = null;
    for (const o of this.#ongoing.values()) if (min === null || o < min) min = o;
    return min;
  }

  abortedTransactions(from: number, upTo: number): AbortedTxnRange[] {
    const list = this.#aborted;
    // First entry with lastOffset >= from (entries are in ascending lastOffset).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxnRange[] = [];
    for (let i = lo; i < list.length; i++) {
      const a = list[i]!;
      if (a.firstOffset < upTo) out.push(a);
    }
    return out;
  }

  /** Open transactions: producer id → first offset. */
  ongoingTransactions(): ReadonlyMap<number, number> {
    return this.#ongoing;
  }

  lastRecordsOfActiveProducers(): ReadonlyMap<number, ProducerLastRecord> {
    const out = new Map<number, ProducerLastRecord>();
    for (const e of this.#producers.values()) {
      const last = e.batches[e.batches.length - 1];
      out.set(e.producerId, { lastDataOffset: last ? last.lastOffset : -1, producerEpoch: e.epoch });
    }
    return out;
  }

  onSegmentsCleaned(from: number, upTo: number, retained: readonly AbortedTxnRange[]): void {
    const outside = this.#aborted.filter((a) => a.lastOffset < from || a.lastOffset >= upTo);
    const kept = retained.map((a) => ({
      producerId: a.producerId,
      firstOffset: a.firstOffset,
      lastOffset: a.lastOffset,
    }));
    const merged = [...outside, ...kept].sort((a, b) => a.lastOffset - b.lastOffset);
    this.#aborted = merged.slice(Math.max(0, merged.length - ABORTED_TXNS_PER_PARTITION_MAX));
  }

  // ------------------------------------------------------------ log events

  truncateTo(offset: number): void {
    for (const [pid, e] of this.#producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.currentTxnFirstOffset >= offset) {
        e.currentTxnFirstOffset = -1;
        this.#ongoing.delete(pid);
      }
      if (e.batches.length === 0 && e.currentTxnFirstOffset < 0) this.#producers.delete(pid);
    }
    this.#aborted = this.#aborted.filter((a) => a.lastOffset < offset);
    // A transaction whose marker is gone but whose first batch remains is open again.
    const kept: AbortedTxnRange[] = [];
    for (const t of this.#completed) {
      if (t.lastOffset < offset) {
        kept.push(t);
        continue;
      }
      if (t.firstOffset >= offset) continue;
      let e = this.#producers.get(t.producerId);
      if (e === undefined) {
        e = {
          producerId: t.producerId,
          epoch: 0,
          batches: [],
          coordinatorEpoch: -1,
          currentTxnFirstOffset: -1,
          lastTimestamp: -1,
        };
        this.#producers.set(t.producerId, e);
      }
      e.currentTxnFirstOffset = t.firstOffset;
      this.#ongoing.set(t.producerId, t.firstOffset);
    }
    this.#completed = kept;
    if (this.#mapEndOffset > offset) this.#mapEndOffset = offset;
    if (this.#dir !== null)
      for (const [o, name] of this.#snapshotFiles()) if (o > offset) unlinkIfExists(join(this.#dir, name));
    if (this.#lastSnapshotOffset > offset) this.#lastSnapshotOffset = -1;
  }

  onLogStartOffset(offset: number): void {
    let drop = 0;
    while (drop < this.#aborted.length && this.#aborted[drop]!.lastOffset < offset) drop++;
    if (drop > 0) this.#aborted = this.#aborted.slice(drop);
    if (this.#log === null) return;
    const first = this.#log.segmentBaseOffsets()[0] ?? 0;
    for (const name of fs.readdirSync(this.#log.dir)) {
      const base = parseOffsetName(name, TXN_INDEX_SUFFIX);
      if (base >= 0 && base < first) unlinkIfExists(join(this.#log.dir, name));
    }
  }

  /** Removes producers idle past producer.id.expiration.ms that have no open transaction. */
  removeExpired(now: number): number {
    let n = 0;
    for (const [pid, e] of this.#producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.#expirationMs) {
        this.#producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------ snapshots

  #snapshotFiles(): Array<[number, string]> {
    if (this.#dir === null) return [];
    let names: string[];
    try {
      names = fs.readdirSync(this.#dir);
    } catch {
      return [];
    }
    const out: Array<[number, string]> = [];
    for (const name of names) {
      const o = parseOffsetName(name, SNAPSHOT_SUFFIX);
      if (o >= 0) out.push([o, name]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Writes `<mapEndOffset>.snapshot` (Kafka's layout) and keeps the last SNAPSHOTS_KEPT. */
  snapshot(dir: string, _offset: number): void {
    this.#dir = dir;
    if (this.#mapEndOffset === this.#lastSnapshotOffset) return;
    this.removeExpired(Date.now());
    const entries = [...this.#producers.values()];
    const buf = Buffer.alloc(2 + 4 + 4 + entries.length * SNAPSHOT_ENTRY_BYTES);
    buf.writeInt16BE(SNAPSHOT_VERSION, 0);
    buf.writeInt32BE(entries.length, 6);
    let pos = 10;
    for (const e of entries) {
      const last = e.batches[e.batches.length - 1];
      writeInt64(buf, e.producerId, pos);
      buf.writeInt16BE(e.epoch, pos + 8);
      buf.writeInt32BE(last ? last.lastSeq : -1, pos + 10);
      writeInt64(buf, last ? last.lastOffset : -1, pos + 14);
      buf.writeInt32BE(last ? last.lastOffset - last.firstOffset : 0, pos + 22);
      writeInt64(buf, e.lastTimestamp, pos + 26);
      buf.writeInt32BE(e.coordinatorEpoch, pos + 34);
      writeInt64(buf, e.currentTxnFirstOffset, pos + 38);
      pos += SNAPSHOT_ENTRY_BYTES;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
    atomicWriteFileSync(join(dir, offsetFileName(this.#mapEndOffset, SNAPSHOT_SUFFIX)), buf);
    this.#lastSnapshotOffset = this.#mapEndOffset;
    const files = this.#snapshotFiles();
    for (let i = 0; i < files.length - SNAPSHOTS_KEPT; i++) unlinkIfExists(join(dir, files[i]![1]));
  }

  #loadSnapshot(path: string): boolean {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(path);
    } catch {
      return false;
    }
    if (buf.length < 10 || buf.readInt16BE(0) !== SNAPSHOT_VERSION) return false;
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) return false;
    const n = buf.readInt32BE(6);
    if (n < 0 || buf.length !== 10 + n * SNAPSHOT_ENTRY_BYTES) return false;
    this.#producers.clear();
    this.#ongoing.clear();
    for (let i = 0, pos = 10; i < n; i++, pos += SNAPSHOT_ENTRY_BYTES) {
      const producerId = readInt64(buf, pos);
      const lastSeq = buf.readInt32BE(pos + 10);
      const lastOffset = readInt64(buf, pos + 14);
      const delta = buf.readInt32BE(pos + 22);
      const txnFirst = readInt64(buf, pos + 38);
      const batches: BatchMeta[] =
        lastSeq >= 0
          ? [
              {
                firstSeq: Math.max(0, lastSeq - delta),
                lastSeq,
                firstOffset: lastOffset - delta,
                lastOffset,
              },
            ]
          : [];
      this.#producers.set(producerId, {
        producerId,
        epoch: buf.readInt16BE(pos + 8),
        batches,
        coordinatorEpoch: buf.readInt32BE(pos + 34),
        currentTxnFirstOffset: txnFirst,
        lastTimestamp: readInt64(buf, pos + 26),
      });
      if (txnFirst >= 0) this.#ongoing.set(producerId, txnFirst);
    }
    return true;
  }

  // ------------------------------------------------------------ recovery

  /** Latest valid snapshot at or below the log end, then `.txnindex` entries below it, then the log after it. */
  async recover(log: RecoverableLog): Promise<void> {
    this.#log = log;
    this.#dir = log.dir;
    const end = log.logEndOffset;
    let from = 0;
    const snaps = this.#snapshotFiles();
    for (let i = snaps.length - 1; i >= 0; i--) {
      const [o, name] = snaps[i]!;
      if (o > end || !this.#loadSnapshot(join(log.dir, name))) {
        unlinkIfExists(join(log.dir, name));
        continue;
      }
      from = o;
      this.#lastSnapshotOffset = o;
      break;
    }
    if (from === 0) {
      this.#producers.clear();
      this.#ongoing.clear();
    }
    this.#loadTxnIndexes(log, from);
    this.#mapEndOffset = from;
    let offset = Math.max(from, log.logStartOffset);
    let batches = 0;
    while (offset < end) {
      const r = await log.read(offset, REPLAY_READ_BYTES, end, true);
      if (r.records.length === 0) break;
      let next = offset;
      for (const buf of r.records) {
        for (let pos = 0; pos + LOG_OVERHEAD <= buf.length; ) {
          const size = batchSize(buf, pos);
          if (pos + size > buf.length) break;
          const base = baseOffset(buf, pos);
          const info = producerBatchInfo(buf, pos, base);
          if (info !== null && info.lastOffset >= offset) {
            this.onAppend(info);
            batches++;
          }
          if (info !== null) next = Math.max(next, info.lastOffset + 1);
          else next = Math.max(next, base + buf.readInt32BE(pos + 23) + 1);
          pos += size;
        }
      }
      if (next <= offset) break;
      offset = next;
    }
    this.#mapEndOffset = Math.max(this.#mapEndOffset, end);
    if (batches > 0 || this.#producers.size > 0)
      this.#logger?.info(
        { topic: this.topic, partition: this.partition, snapshot: from, replayedBatches: batches },
        'producer state recovered',
      );
  }

  #loadTxnIndexes(log: RecoverableLog, below: number): void {
    this.#aborted = [];
    const bases = new Set(log.segmentBaseOffsets());
    const names = fs.readdirSync(log.dir).filter((n) => parseOffsetName(n, TXN_INDEX_SUFFIX) >= 0);
    names.sort();
    for (const name of names) {
      const path = join(log.dir, name);
      if (!bases.has(parseOffsetName(name, TXN_INDEX_SUFFIX))) {
        unlinkIfExists(path);
        continue;
      }
      const { entries, fileBytes } = readTxnIndex(path);
      let keep = 0;
      for (const e of entries) {
        if (e.lastOffset >= below) break;
        if (e.lastOffset >= log.logStartOffset)
          this.#addAborted(
            { producerId: e.producerId, firstOffset: e.firstOffset, lastOffset: e.lastOffset },
            false,
          );
        keep++;
      }
      // Entries past the snapshot come back as the log after it is replayed; a torn tail goes.
      if (keep * TXN_INDEX_ENTRY_BYTES !== fileBytes)
        atomicWriteFileSync(path, fs.readFileSync(path).subarray(0, keep * TXN_INDEX_ENTRY_BYTES));
    }
  }

  close(): void {
    this.#log = null;
  }
}

/** Every partition's producer state on this broker, by `<topic>-<partition>`. */
export class ProducerStateRegistry {
  readonly #states = new Map<string, ProducerStateManager>();
  readonly #options: ProducerStateOptions;

  constructor(options: ProducerStateOptions = {}) {
    this.#options = options;
  }

  /** The factory the LogManager calls for each log it opens. */
  create(topic: string, partition: number): ProducerStateManager {
    const m = new ProducerStateManager(topic, partition, this.#options);
    this.#states.set(`${topic}-${partition}`, m);
    return m;
  }

  get(topic: string, partition: number): ProducerStateManager | undefined {
    return this.#states.get(`${topic}-${partition}`);
  }

  all(): IterableIterator<ProducerStateManager> {
    return this.#states.values();
  }

  removeExpired(now: number): number {
    let n = 0;
    for (const m of this.#states.values()) n += m.removeExpired(now);
    return n;
  }
}
