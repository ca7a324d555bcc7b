/**
 * Log cleaner: compaction for cleanup.policy=compact (and compact,delete). Kafka's algorithm:
 *
 * 1. Cleanable range: from the log start to the first uncleanable offset — the active segment, the
 *    first segment with data newer than min.compaction.lag.ms, or the last stable offset (the high
 *    watermark, or the first offset of the earliest open transaction), whichever is first. A log is cleaned when its dirty part (after the last cleaned offset) is at least
 *    min.cleanable.dirty.ratio of the cleanable bytes, or older than max.compaction.lag.ms.
 * 2. Offset map: key → last offset, built over the dirty part within a memory budget, leaving out
 *    the records of aborted transactions (known from the `.txnindex` files)
 *    (log.cleaner.dedupe.buffer.size); when the budget is reached, the map stops at that batch and
 *    the rest waits for the next pass.
 * 3. Recopy: the cleanable segments, in groups that fit one segment, are rewritten into a
 *    `.cleaned` file keeping a record only when no later offset for its key is in the map (records
 *    past the map's end are kept). Tombstones (null values) follow KIP-534: the first pass that keeps
 *    a tombstone stamps a delete horizon into its batch (baseTimestamp = pass start +
 *    delete.retention.ms, attributes bit 6; record timestamp deltas are rewritten so every record
 *    keeps its timestamp), and a later pass that starts at or after the horizon drops it. Every
 *    surviving record keeps its offset: batches keep baseOffset and lastOffsetDelta, record bytes are
 *    copied as they are (compressed batches are decompressed and recompressed with the same codec).
 *    Transactions follow Kafka's rules (cleaner-txn.ts): aborted records go, a marker gets a horizon
 *    once its transaction has no batch left and goes after it, and a batch left empty goes unless
 *    it is an active producer's last (its header keeps the sequence and epoch) or the last below
 *    the cleanable range's end. The aborted transactions whose markers stay are written to the
 *    cleaned segment's `.txnindex`.
 * 4. Swap: crash-safe through a `cleaner-swap` marker (see Log.replaceSegments); the producer state
 *    is then told which aborted transactions remain in the swapped range, so read_committed fetches
 *    stop listing ones whose records are gone.
 * 5. Progress: the next pass's first dirty offset (the offset map's end) is kept per log and
 *    persisted by the log manager as `cleaner-offset-checkpoint`, so a restart resumes from it.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import {
  BatchAttributes,
  BatchOffsets,
  type CompressionType,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
  updateCrc,
  writeInt64,
} from '../protocol/records/batch.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../protocol/records/builder.js';
import { compress, decompress } from '../protocol/records/compression.js';
import { decodeRecords, type KafkaRecord } from '../protocol/records/records.js';
import { isCompacted, LONG_MAX } from './config.js';
import { CleanedTransactions } from './cleaner-txn.js';
import { writeFully } from './fs-util.js';
import type { Log } from './log.js';
import { type ProducerBatchInfo, type ProducerLastRecord, producerBatchInfo } from './producer-state.js';
import { CLEANED_SUFFIX, LOG_SUFFIX, offsetFileName, type Segment } from './segment.js';
import {
  collectAbortedTransactions,
  txnIndexBases,
  txnIndexFileName,
  writeTxnIndexSync,
} from './txn-index.js';

export interface CleanerOptions {
  /** log.cleaner.backoff.ms: pause between passes (LogManager timer). Default 15000. */
  backoffMs?: number;
  /** log.cleaner.dedupe.buffer.size: memory for the offset map. Default 128 MiB. */
  dedupeBufferBytes?: number;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
}

/** Estimated bytes per offset-map entry beyond the key itself (Map slot, string header, number). */
const MAP_ENTRY_OVERHEAD = 64;
const INT32_MAX = 2147483647;

export interface CleanResult {
  /** Offsets [start, end) that were compacted. */
  startOffset: number;
  endOffset: number;
  /** Where the offset map started (the first dirty offset, from cleaner-offset-checkpoint after a restart). */
  firstDirtyOffset: number;
  /** The next pass's first dirty offset (what the checkpoint records). */
  nextDirtyOffset: number;
  /** Records read into the offset map (the dirty part this pass covered). */
  recordsMapped: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  segmentsBefore: number;
  segmentsAfter: number;
}

function keyString(key: Buffer | null): string | null {
  return key === null ? null : key.toString('latin1');
}

/** Reads a zigzag varint/varlong at `pos` (records already decoded once, so well formed). */
function readZigzag(buf: Buffer, pos: number): { value: number; next: number } {
  let raw = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++]!;
    raw += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: pos };
}

/** Byte spans of the records in a records section (each a varint length + body). */
function recordSpans(payload: Buffer, count: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const start = pos;
    const len = readZigzag(payload, pos);
    pos = len.next + len.value;
    spans.push([start, pos]);
  }
  return spans;
}

/**
 * The record in `payload[start, end)` with its timestamp delta moved by `shift` (a new
 * baseTimestamp `shift` lower keeps the record's timestamp): length, attributes, delta re-encoded.
 */
function shiftTimestampDelta(payload: Buffer, start: number, end: number, shift: number): Buffer {
  const body = readZigzag(payload, start).next;
  const delta = readZigzag(payload, body + 1);
  const restLength = end - delta.next;
  const newDelta = delta.value + shift;
  const bodyLength = 1 + sizeOfVarlong(newDelta) + restLength;
  const out = Buffer.allocUnsafe(sizeOfVarint(bodyLength) + bodyLength);
  let pos = writeVarint(out, 0, bodyLength);
  out[pos++] = payload[body]!;
  pos = writeVarlong(out, pos, newDelta);
  payload.copy(out, pos, delta.next, end);
  return out;
}

interface DecodedForCleaning {
  records: KafkaRecord[];
  payload: Buffer;
  codec: CompressionType;
}

async function decodeForCleaning(batch: Buffer): Promise<DecodedForCleaning> {
  const attrs = batch.readInt16BE(BatchOffsets.attributes);
  const codec = (attrs & BatchAttributes.compressionMask) as CompressionType;
  const payload = await decompress(codec, batch.subarray(RECORD_BATCH_OVERHEAD));
  return { records: [...decodeRecords(batch, 0, payload)], payload, codec };
}

export class Cleaner {
  readonly options: CleanerOptions;
  /** First offset not yet cleaned, per log (persisted by the log manager as cleaner-offset-checkpoint). */
  readonly #firstDirty = new WeakMap<Log, number>();
  #running: Promise<unknown> | null = null;
  #stopped = false;

  constructor(options: CleanerOptions = {}) {
    this.options = options;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Where the next pass over `log` starts its offset map. Kafka's rule for a checkpointed offset
   * outside the log: below the log start, or past the log end (the tail was cut since), the whole
   * log is dirty again.
   */
  firstDirtyOffset(log: Log): number {
    const saved = this.#firstDirty.get(log);
    if (saved === undefined || saved < log.logStartOffset) return log.logStartOffset;
    if (saved > log.logEndOffset) {
      this.options.logger?.warn(
        { dir: log.dir, checkpoint: saved, logEndOffset: log.logEndOffset },
        'cleaner checkpoint past the log end: cleaning the whole log again',
      );
      return log.logStartOffset;
    }
    return saved;
  }

  /** The recorded first dirty offset of `log` (undefined when it was never cleaned nor checkpointed). */
  checkpointedOffset(log: Log): number | undefined {
    return this.#firstDirty.get(log);
  }

  /** After a truncation to `offset`: a first dirty offset past it moves back to it (Kafka's rule). */
  truncateCheckpoint(log: Log, offset: number): void {
    const saved = this.#firstDirty.get(log);
    if (saved !== undefined && saved > offset) this.#firstDirty.set(log, offset);
  }

  /** Seeds the first dirty offset of `log` (the log manager, from cleaner-offset-checkpoint at open). */
  setCheckpointedOffset(log: Log, offset: number): void {
    this.#firstDirty.set(log, offset);
  }

  /** One pass over every compacted log that needs cleaning. Returns how many were cleaned. */
  async cleanAll(logs: ReadonlyArray<{ topic: string; partition: number; log: Log }>): Promise<number> {
    if (this.#stopped || this.#running) return 0;
    const run = (async () => {
      let n = 0;
      for (const { topic, partition, log } of logs) {
        if (this.#stopped) break;
        if (log.closed || !isCompacted(log.config)) continue;
        try {
          const r = await this.clean(log, false);
          if (r) {
            n++;
            this.options.logger?.info({ topic, partition, ...r }, 'compacted log');
          }
        } catch (err) {
          this.options.logger?.error({ err, topic, partition }, 'compaction failed');
        }
      }
      return n;
    })();
    this.#running = run;
    try {
      return await run;
    } finally {
      this.#running = null;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running?.catch(() => {});
  }

  /**
   * The segments that may be cleaned: inactive, below the last stable offset (the high watermark,
   * or the first offset of the earliest open transaction: its outcome is not known yet) and older
   * than min.compaction.lag.ms.
   */
  #cleanableSegments(log: Log, now: number): Segment[] {
    const segs = log.segments;
    const unstable = log.producerState?.firstUnstableOffset?.() ?? null;
    const hw = Math.min(
      log.highWatermark ?? log.logEndOffset,
      log.logEndOffset,
      unstable ?? Number.MAX_SAFE_INTEGER,
    );
    const out: Segment[] = [];
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1]!;
      if (next.baseOffset > hw) break;
      if (log.config.minCompactionLagMs > 0 && now - seg.largestTimestamp() < log.config.minCompactionLagMs)
        break;
      out.push(seg);
    }
    return out;
  }

  /**
   * Cleans `log` once if it needs it (or always with `force`). Returns what was done, or null when
   * there was nothing to clean.
   */
  async clean(log: Log, force = true): Promise<CleanResult | null> {
    const now = this.#now();
    const cfg = log.config;
    const cleanable = this.#cleanableSegments(log, now);
    if (cleanable.length === 0) return null;
    const upper = log.segments[log.segments.indexOf(cleanable.at(-1)!) + 1]!.baseOffset;
    const firstDirty = this.firstDirtyOffset(log);
    if (firstDirty >= upper && !force) return null;
    let dirtyBytes = 0;
    let totalBytes = 0;
    let oldestDirty = Number.POSITIVE_INFINITY;
    for (let i = 0; i < cleanable.length; i++) {
      const seg = cleanable[i]!;
      const next = log.segments[log.segments.indexOf(seg) + 1]!;
      totalBytes += seg.size;
      if (next.baseOffset > firstDirty) {
        dirtyBytes += seg.size;
        const t = seg.firstBatchTimestamp();
        if (t !== null && t >= 0) oldestDirty = Math.min(oldestDirty, t);
      }
    }
    const ratio = totalBytes === 0 ? 0 : dirtyBytes / totalBytes;
    const lagExceeded =
      cfg.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && now - oldestDirty > cfg.maxCompactionLagMs;
    if (!force && ratio < cfg.minCleanableDirtyRatio && !lagExceeded) return null;

    // 2. Offset map over the dirty part, within the memory budget. Aborted records stay out of it:
    // they must never shadow an earlier committed record with the same key.
    const indexed = txnIndexBases(log.dir);
    const mapTxns = new CleanedTransactions();
    mapTxns.addAbortedTransactions(
      collectAbortedTransactions(log.dir, segmentBases(log), indexed, firstDirty, upper),
    );
    const map = new Map<string, number>();
    const budget = this.options.dedupeBufferBytes ?? 134_217_728;
    let used = 0;
    let recordsMapped = 0;
    let mapEnd = firstDirty;
    let full = false;
    for (const seg of cleanable) {
      if (full) break;
      const next = log.segments[log.segments.indexOf(seg) + 1];
      if (next && next.baseOffset <= firstDirty) continue;
      for (const loc of this.#batches(seg)) {
        if (loc.lastOffset < firstDirty) continue;
        const batch = seg.readAt(loc.position, loc.size);
        const info = producerBatchInfo(batch, 0, loc.baseOffset);
        if ((batch.readInt16BE(BatchOffsets.attributes) & BatchAttributes.control) !== 0) {
          if (info !== null) mapTxns.onControlBatchRead(info.producerId, info.controlType, loc.lastOffset);
          mapEnd = loc.lastOffset + 1;
          continue;
        }
        if (info !== null && mapTxns.onBatchRead(info.producerId, info.isTransactional, loc.lastOffset)) {
          mapEnd = loc.lastOffset + 1;
          continue;
        }
        const { records } = await decodeForCleaning(batch);
        let cost = 0;
        for (const r of records)
          if (r.key !== null && !map.has(keyString(r.key)!)) cost += MAP_ENTRY_OVERHEAD + r.key.length;
        if (used + cost > budget && map.size > 0) {
          full = true;
          break;
        }
        used += cost;
        recordsMapped += records.length;
        for (const r of records) if (r.key !== null) map.set(keyString(r.key)!, r.offset);
        mapEnd = loc.lastOffset + 1;
      }
    }
    if (mapEnd <= firstDirty && !force) return null;

    // 3. Recopy, group by group, with one walk of the transactions over the whole pass (a
    // transaction's batches and its marker may be in different groups).
    const groups = this.#group(log, cleanable);
    const bytesBefore = cleanable.reduce((a, s) => a + s.size, 0);
    const txns = new CleanedTransactions();
    let removed = 0;
    for (const group of groups) {
      if (this.#stopped) return null;
      const r = await this.#cleanGroup(log, group, txns, {
        map,
        mapEnd,
        now,
        deleteRetentionMs: cfg.deleteRetentionMs,
        roundEnd: upper,
        indexed,
        lastRecords: log.producerState?.lastRecordsOfActiveProducers?.() ?? new Map(),
      });
      if (r === null) return null; // the log changed under us (truncation, retention): try again later
      removed += r;
    }
    const nextDirtyOffset = Math.max(mapEnd, firstDirty);
    this.#firstDirty.set(log, nextDirtyOffset);
    const after = this.#cleanableSegmentsAfter(log, cleanable[0]!.baseOffset, upper);
    return {
      startOffset: cleanable[0]!.baseOffset,
      endOffset: upper,
      firstDirtyOffset: firstDirty,
      nextDirtyOffset,
      recordsMapped,
      bytesBefore,
      bytesAfter: after.reduce((a, s) => a + s.size, 0),
      recordsRemoved: removed,
      segmentsBefore: cleanable.length,
      segmentsAfter: after.length,
    };
  }

  #cleanableSegmentsAfter(log: Log, from: number, upper: number): Segment[] {
    return log.segments.filter((s) => s.baseOffset >= from && s.baseOffset < upper);
  }

  #batches(seg: Segment): Array<{ position: number; size: number; baseOffset: number; lastOffset: number }> {
    const out: Array<{ position: number; size: number; baseOffset: number; lastOffset: number }> = [];
    seg.scanHeaders(0, (loc) => {
      out.push(loc);
      return true;
    });
    return out;
  }

  /** Consecutive segments whose total size fits one segment (and whose offsets fit int32 deltas). */
  #group(log: Log, segs: Segment[]): Segment[][] {
    const groups: Segment[][] = [];
    let cur: Segment[] = [];
    let size = 0;
    for (const seg of segs) {
      const next = log.segments[log.segments.indexOf(seg) + 1]!;
      const fits =
        cur.length > 0 &&
        size + seg.size <= log.config.segmentBytes &&
        next.baseOffset - 1 - cur[0]!.baseOffset <= INT32_MAX;
      if (!fits && cur.length > 0) {
        groups.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(seg);
      size += seg.size;
    }
    if (cur.length > 0) groups.push(cur);
    return groups;
  }

  /** Rewrites one group into a `.cleaned` file and swaps it in. Returns records removed, or null if aborted. */
  async #cleanGroup(
    log: Log,
    group: Segment[],
    txns: CleanedTransactions,
    filter: RecordFilter,
  ): Promise<number | null> {
    const base = group[0]!.baseOffset;
    const groupEnd = log.segments[log.segments.indexOf(group.at(-1)!) + 1]!.baseOffset;
    const cleanedPath = join(log.dir, offsetFileName(base, LOG_SUFFIX) + CLEANED_SUFFIX);
    const cleanedTxnIndexPath = join(log.dir, txnIndexFileName(base) + CLEANED_SUFFIX);
    txns.retainedAborts = [];
    const fd = fs.openSync(cleanedPath, 'w');
    let written = 0;
    let removed = 0;
    let mtime = 0;
    try {
      for (const seg of group) {
        try {
          mtime = Math.max(mtime, fs.statSync(seg.logPath).mtimeMs);
        } catch {
          // a segment removed meanwhile is caught below
        }
        // Every aborted transaction touching this segment, so the cleaned index is complete.
        const segEnd = log.segments[log.segments.indexOf(seg) + 1]?.baseOffset ?? groupEnd;
        txns.addAbortedTransactions(
          collectAbortedTransactions(log.dir, segmentBases(log), filter.indexed, seg.baseOffset, segEnd),
        );
        for (const loc of this.#batches(seg)) {
          if (loc.lastOffset < log.logStartOffset) {
            // Below the log start: gone anyway.
            continue;
          }
          const batch = seg.readAt(loc.position, loc.size);
          const out = await filterBatch(batch, loc.lastOffset, filter, txns);
          removed += out.removed;
          if (out.batch) {
            writeFully(fd, out.batch, 0, out.batch.length, written);
            written += out.batch.length;
          }
        }
      }
      fs.fsyncSync(fd);
      writeTxnIndexSync(cleanedTxnIndexPath, txns.retainedAborts);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(cleanedPath, { force: true });
      fs.rmSync(cleanedTxnIndexPath, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    if (mtime > 0) fs.utimesSync(cleanedPath, mtime / 1000, mtime / 1000);
    // The log may have changed during the awaits: only swap when the group is still there, untouched.
    const segs = log.segments;
    const i = segs.indexOf(group[0]!);
    const intact =
      !log.closed && i >= 0 && group.every((s, k) => segs[i + k] === s && !s.deleted && !s.writable);
    if (!intact) {
      fs.rmSync(cleanedPath, { force: true });
      fs.rmSync(cleanedTxnIndexPath, { force: true });
      return null;
    }
    log.replaceSegments(group, base);
    log.producerState?.onSegmentsCleaned?.(base, groupEnd, txns.retainedAborts);
    return removed;
  }
}

/** What one cleaning pass keeps. */
interface RecordFilter {
  /** Key → its last offset in the dirty part (committed and non-transactional records only). */
  map: Map<string, number>;
  /** End of what the map covers: records at or past it are kept. */
  mapEnd: number;
  /** When the pass started: tombstones and markers whose delete horizon is at or before it are dropped. */
  now: number;
  deleteRetentionMs: number;
  /** The first offset this pass does not clean: the batch just below it is kept even when emptied. */
  roundEnd: number;
  /** Segments with a `.txnindex` when the pass began. */
  indexed: ReadonlySet<number>;
  /** Active producers' last batches, kept (possibly emptied) so their sequence and epoch survive. */
  lastRecords: ReadonlyMap<number, ProducerLastRecord>;
}

/**
 * Is this the batch that holds an active producer's last sequence, or (when its last entry is a
 * marker) its last marker? Either is kept, emptied if need be, so that rebuilding the producer
 * state from the log still knows the producer.
 */
function isLastOfActiveProducer(
  info: ProducerBatchInfo,
  lastOffset: number,
  lastRecords: ReadonlyMap<number, ProducerLastRecord>,
): boolean {
  const last = lastRecords.get(info.producerId);
  if (last === undefined) return false;
  if (last.lastDataOffset >= 0) return lastOffset === last.lastDataOffset;
  return info.isControl && info.producerEpoch === last.producerEpoch;
}

/**
 * The batch's header alone: no records, no compression, offsets and producer fields as they were
 * (lastOffsetDelta keeps the last sequence and the last offset).
 */
function emptyBatch(batch: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
  batch.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  const attrs = batch.readInt16BE(BatchOffsets.attributes);
  out.writeInt16BE(
    attrs & ~BatchAttributes.compressionMask & ~BatchAttributes.deleteHorizon,
    BatchOffsets.attributes,
  );
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BatchOffsets.batchLength);
  out.writeInt32BE(0, BatchOffsets.recordsCount);
  writeInt64(out, readInt64(batch, BatchOffsets.maxTimestamp), BatchOffsets.baseTimestamp);
  updateCrc(out, 0, out.length);
  return out;
}

/**
 * Kafka's record filter for one batch. Records of an aborted transaction go; a marker goes after
 * its delete horizon once its transaction has no batch left (see cleaner-txn.ts); otherwise a
 * record goes when its key has a later offset in the map, and a tombstone after its horizon
 * (KIP-534: a batch keeping a tombstone or a removable marker without a horizon gets one stamped
 * now). A batch left with no record goes too, unless it is an active producer's last or the
 * last below the pass's end: then its header stays. Returns the batch itself when nothing changes.
 */
async function filterBatch(
  batch: Buffer,
  lastOffset: number,
  filter: RecordFilter,
  txns: CleanedTransactions,
): Promise<{ batch: Buffer | null; removed: number }> {
  const attrs = batch.readInt16BE(BatchOffsets.attributes);
  const isControl = (attrs & BatchAttributes.control) !== 0;
  const hasHorizon = (attrs & BatchAttributes.deleteHorizon) !== 0;
  const baseTimestamp = readInt64(batch, BatchOffsets.baseTimestamp);
  const info = producerBatchInfo(batch, 0);
  let canDiscard = false;
  if (info !== null)
    canDiscard = info.isControl
      ? txns.onControlBatchRead(info.producerId, info.controlType, lastOffset)
      : txns.onBatchRead(info.producerId, info.isTransactional, lastOffset);
  const discardRecords = isControl ? canDiscard && hasHorizon && baseTimestamp <= filter.now : canDiscard;
  const retainEmpty =
    (info !== null && isLastOfActiveProducer(info, lastOffset, filter.lastRecords)) ||
    lastOffset + 1 === filter.roundEnd;
  const count = batch.readInt32BE(BatchOffsets.recordsCount);
  if (count === 0 || discardRecords) {
    if (retainEmpty) return { batch: count === 0 ? batch : emptyBatch(batch), removed: count };
    return { batch: null, removed: count };
  }
  const retainDeletes = !hasHorizon || filter.now < baseTimestamp;
  const { records, payload, codec } = await decodeForCleaning(batch);
  let tombstones = false;
  const keep: boolean[] = records.map((r) => {
    if (isControl || r.key === null) return true;
    if (r.offset >= filter.mapEnd) {
      if (r.value === null) tombstones = true;
      return true;
    }
    const latest = filter.map.get(keyString(r.key)!);
    if (latest !== undefined && r.offset < latest) return false;
    if (r.value !== null) return true;
    if (!retainDeletes) return false;
    tombstones = true;
    return true;
  });
  const kept = keep.filter(Boolean).length;
  if (kept === 0)
    return retainEmpty ? { batch: emptyBatch(batch), removed: count } : { batch: null, removed: count };
  const stampHorizon = !hasHorizon && (tombstones || (isControl && canDiscard));
  if (kept === records.length && !stampHorizon) return { batch, removed: 0 };
  const spans = recordSpans(payload, records.length);
  // A new horizon becomes the baseTimestamp; the deltas move so that record timestamps stay.
  const newBase = stampHorizon ? Math.min(filter.now + filter.deleteRetentionMs, LONG_MAX) : baseTimestamp;
  const parts: Buffer[] = [];
  let maxTs = -1;
  for (let i = 0; i < records.length; i++) {
    if (!keep[i]) continue;
    const [s, e] = spans[i]!;
    parts.push(
      newBase === baseTimestamp
        ? payload.subarray(s, e)
        : shiftTimestampDelta(payload, s, e, baseTimestamp - newBase),
    );
    if (records[i]!.timestamp > maxTs) maxTs = records[i]!.timestamp;
  }
  const section = await compress(codec, Buffer.concat(parts));
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + section.length);
  batch.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  section.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchOffsets.batchLength);
  out.writeInt32BE(kept, BatchOffsets.recordsCount);
  if (stampHorizon) {
    out.writeInt16BE(attrs | BatchAttributes.deleteHorizon, BatchOffsets.attributes);
    writeInt64(out, newBase, BatchOffsets.baseTimestamp);
  }
  if ((attrs & BatchAttributes.timestampTypeLogAppendTime) === 0 && maxTs >= 0)
    writeInt64(out, maxTs, BatchOffsets.maxTimestamp);
  updateCrc(out, 0, out.length);
  return { batch: out, removed: records.length - kept };
}

/** Base offsets of the log's segments, ascending. */
function segmentBases(log: Log): number[] {
  return log.segments.map((s) => s.baseOffset);
}
