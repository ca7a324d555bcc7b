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
 * `append` assigns offsets synchronously, so they follow call order without a queue; the bytes of
 * the appends made before the next microtask checkpoint go to the file in one positioned write
 * (writev), and the promise resolves after it (a transaction marker is written at once, with
 * what is pending; reads, fsyncs, rolls, truncation and close write pending bytes first). In
 * `durability: 'fsync'` mode the promise resolves after an fsync that covers it (group commit: one
 * fsync covers every append in flight).
 * Offsets never go backwards (asserted).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { AssertionError, assert } from '../core/assert.js';
import type { Logger } from '../core/log.js';
import {
  BatchOffsets,
  CURRENT_MAGIC,
  isControl,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
} from '../protocol/records/batch.js';
import { decodeBatch } from '../protocol/records/records.js';
import { isDeleteRetention, LONG_MAX, type LogConfig, validateLogConfig } from './config.js';
import {
  CorruptRecordError,
  LogClosedError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  UnexpectedAppendOffsetError,
} from './errors.js';
import { fsyncDirSync, unlinkIfExists } from './fs-util.js';
import { HandlePool } from './handles.js';
import { floorSearch } from './indexes.js';
import { LeaderEpochCache } from './leader-epoch.js';
import { type ProducerStateSeam, producerBatchInfo } from './producer-state.js';
import { txnIndexFileName } from './txn-index.js';
import {
  type BatchLocation,
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  Segment,
  type SegmentSettings,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
} from './segment.js';

export type Durability = 'page-cache' | 'fsync';

export interface LogOptions {
  /** Recovery validates every batch from this offset on (from recovery-point-offset-checkpoint). Default 0: all. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint; default: the first segment's base offset. */
  logStartOffset?: number;
  /** 'page-cache' (default): an append resolves once written to the file. 'fsync': once fsynced (group commit). */
  durability?: Durability;
  logger?: Logger;
  /** Clock, for retention, segment.ms and flush.ms (tests inject one). */
  now?: () => number;
  /** Shared bound on open segment files (the log manager passes one for all logs). */
  handles?: HandlePool;
  /** Per-producer state (idempotence / transactions). */
  producerState?: ProducerStateSeam;
  /** Called when logStartOffset moves (the manager checkpoints it). */
  onLogStartOffsetChange?: (log: Log) => void;
  /** Called after a truncation with the new log end (the manager moves the cleaner checkpoint back). */
  onTruncate?: (log: Log, offset: number) => void;
}

export interface AppendOptions {
  /** The broker's time: stamped into LogAppendTime batches, used for segment.ms. Default now(). */
  appendTime?: number;
  /** Stamped into every batch's partitionLeaderEpoch, and recorded in the leader epoch cache. */
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

/** Recovery never believes a batch larger than this (nor larger than the file). */
const RECOVERY_BATCH_BYTES_MIN = 64 * 1024 * 1024;
const INT32_MAX = 2147483647;
const EMPTY: Buffer[] = [];

interface PendingDelete {
  segment: Segment;
  files: string[];
  timer: NodeJS.Timeout | null;
}

export class Log {
  readonly dir: string;
  /** Offset after which leadership/readers should not see data for retention (optional, set by replica/). */
  highWatermark: number | null = null;

  #config: LogConfig;
  readonly #durability: Durability;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #pool: HandlePool;
  readonly #producerState: ProducerStateSeam | null;
  readonly #onLogStartOffsetChange: ((log: Log) => void) | undefined;
  readonly #onTruncate: ((log: Log, offset: number) => void) | undefined;
  #segments: Segment[] = [];
  #logStartOffset = 0;
  #logEndOffset = 0;
  #recoveryPoint = 0;
  #epochs!: LeaderEpochCache;
  #closed = false;
  #unflushedMessages = 0;
  #lastFlushTime: number;
  #flushTimer: NodeJS.Timeout | null = null;
  #flushChain: Promise<void> = Promise.resolve();
  /** Segments holding appends not written yet, and the pending write round (see #awaitWrite). */
  #pendingSegs: Segment[] = [];
  #writeRound: Promise<void> | null = null;
  /** Segments written since their last fsync (group commit). */
  #dirty = new Set<Segment>();
  #syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #syncing = false;
  #syncScheduled = false;
  #pendingDeletes = new Set<PendingDelete>();

  private constructor(dir: string, config: LogConfig, options: LogOptions) {
    this.dir = dir;
    this.#config = config;
    this.#durability = options.durability ?? 'page-cache';
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#pool = options.handles ?? new HandlePool(1024);
    this.#producerState = options.producerState ?? null;
    this.#onLogStartOffsetChange = options.onLogStartOffsetChange;
    this.#onTruncate = options.onTruncate;
    this.#lastFlushTime = this.#now();
  }

  /** Opens (creating if needed) the log in `dir` and recovers it (see docs/storage.md). */
  static async open(dir: string, config: LogConfig, options: LogOptions = {}): Promise<Log> {
    validateLogConfig(config);
    fs.mkdirSync(dir, { recursive: true });
    const log = new Log(dir, config, options);
    await log.#load(options);
    return log;
  }

  // ---------------------------------------------------------------- getters

  get config(): LogConfig {
    return this.#config;
  }
  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  get logEndOffset(): number {
    return this.#logEndOffset;
  }
  /** Every batch below this offset is fsynced and indexed on disk. */
  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }
  /** Bytes of all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }
  get segmentCount(): number {
    return this.#segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }
  /** The producer state fed by this log (the cleaner asks it about transactions), or null. */
  get producerState(): ProducerStateSeam | null {
    return this.#producerState;
  }

  /** The segments (for the cleaner and tools; do not mutate). */
  get segments(): readonly Segment[] {
    return this.#segments;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get leaderEpochCache(): LeaderEpochCache {
    return this.#epochs;
  }
  get unflushedMessages(): number {
    return this.#unflushedMessages;
  }
  get lastFlushTime(): number {
    return this.#lastFlushTime;
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  #settings(config = this.#config): SegmentSettings {
    return { segmentIndexBytes: config.segmentIndexBytes, indexIntervalBytes: config.indexIntervalBytes };
  }

  #maxRecoveryBatchBytes(): number {
    return Math.max(this.#config.maxMessageBytes, RECOVERY_BATCH_BYTES_MIN);
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogClosedError(this.dir);
  }

  // ---------------------------------------------------------------- open and recovery

  async #load(options: LogOptions): Promise<void> {
    const now = this.#now();
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      throw new CorruptRecordError(`cannot list ${this.dir}: ${(err as Error).message}`);
    }
    names = this.#completeOrAbortSwap(names);
    const bases: number[] = [];
    const logNames = new Set<string>();
    for (const name of names) {
      if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
        unlinkIfExists(join(this.dir, name));
        continue;
      }
      const base = parseOffsetFileName(name, LOG_SUFFIX);
      if (base >= 0) {
        bases.push(base);
        logNames.add(name.slice(0, -LOG_SUFFIX.length));
      }
    }
    for (const name of names) {
      for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        if (parseOffsetFileName(name, suffix) >= 0 && !logNames.has(name.slice(0, -suffix.length))) {
          this.#logger?.info({ dir: this.dir, file: name }, 'removing index file without a segment');
          unlinkIfExists(join(this.dir, name));
        }
      }
    }
    bases.sort((a, b) => a - b);
    const settings = this.#settings();
    for (const base of bases) {
      const seg = Segment.existing(this.dir, base, 0, settings, this.#pool, now);
      try {
        seg.size = fs.statSync(seg.logPath).size;
      } catch (err) {
        throw new CorruptRecordError(`cannot stat ${seg.logPath}: ${(err as Error).message}`);
      }
      seg.nextOffset = seg.size === 0 ? base : -1;
      this.#segments.push(seg);
    }
    if (this.#segments.length === 0) {
      const start = Math.max(0, options.logStartOffset ?? 0);
      this.#segments.push(this.#newSegment(start, now));
    } else {
      this.#recover(options.recoveryPoint ?? 0);
    }
    const active = this.#active;
    active.makeWritable();
    this.#logEndOffset = active.ensureNextOffset();
    this.#logStartOffset = Math.max(options.logStartOffset ?? 0, this.#segments[0]!.baseOffset);
    this.#epochs = new LeaderEpochCache(this.dir);
    if (this.#logStartOffset > this.#logEndOffset) {
      // Every record was deleted (DeleteRecords) up to a point beyond what survived: start there.
      this.#logger?.warn(
        { dir: this.dir, logStartOffset: this.#logStartOffset, logEndOffset: this.#logEndOffset },
        'log start offset beyond the log end: starting an empty log at the log start offset',
      );
      this.#truncateFullyAndStartAt(this.#logStartOffset);
    }
    this.#epochs.truncateFromEnd(this.#logEndOffset);
    this.#epochs.truncateFromStart(this.#logStartOffset);
    this.#recoveryPoint = Math.min(options.recoveryPoint ?? 0, this.#logEndOffset);
    await this.flush();
  }

  /**
   * The cleaner's swap protocol (see cleaner.ts): `cleaner-swap` names the segments a cleaned one
   * replaces. When present, the swap was committed: finish it. Otherwise `.cleaned` files are leftovers.
   */
  #completeOrAbortSwap(names: string[]): string[] {
    const marker = join(this.dir, SWAP_MARKER);
    let text: string | null = null;
    try {
      text = fs.readFileSync(marker, 'utf8');
    } catch {
      text = null;
    }
    if (text !== null) {
      let plan: SwapPlan | null = null;
      try {
        plan = JSON.parse(text) as SwapPlan;
      } catch {
        plan = null;
      }
      if (plan && Array.isArray(plan.replaced) && typeof plan.base === 'number') {
        this.#logger?.warn({ dir: this.dir, plan }, 'completing an interrupted compaction swap');
        finishSwap(this.dir, plan);
      } else {
        unlinkIfExists(marker);
      }
      names = fs.readdirSync(this.dir);
    }
    for (const n of names) if (n.endsWith(SWAP_SUFFIX)) unlinkIfExists(join(this.dir, n));
    return names.filter((n) => !n.endsWith(SWAP_SUFFIX) && n !== SWAP_MARKER);
  }

  /**
   * Segments before the one holding the recovery point are trusted (their index files are checked
   * when first used and rebuilt if invalid). From that segment on, every batch at or after the
   * recovery point is validated; the first invalid batch and everything after it is cut.
   */
  #recover(recoveryPoint: number): void {
    const segs = this.#segments;
    let k = 0;
    for (let i = 0; i < segs.length; i++) if (segs[i]!.baseOffset <= recoveryPoint) k = i;
    const maxBatch = this.#maxRecoveryBatchBytes();
    for (let i = 0; i < k; i++) {
      const seg = segs[i]!;
      const okIndex = indexFileOk(seg.indexPath, 8) && indexFileOk(seg.timeIndexPath, 12);
      if (!okIndex && seg.size > 0) {
        const r = seg.recover(seg.baseOffset, maxBatch, true);
        this.#logger?.warn({ dir: this.dir, segment: seg.baseOffset }, 'rebuilt a missing or invalid index');
        if (r.truncatedBytes > 0) {
          this.#reportCut(seg, r.position, r.truncatedBytes, r.reason, i);
          return;
        }
      }
    }
    for (let i = k; i < segs.length; i++) {
      const seg = segs[i]!;
      const r = seg.recover(recoveryPoint, maxBatch);
      const next = segs[i + 1];
      if (r.truncatedBytes > 0) {
        this.#reportCut(seg, r.position, r.truncatedBytes, r.reason, i);
        return;
      }
      if (next && seg.nextOffset > next.baseOffset) {
        this.#logger?.error(
          {
            dir: this.dir,
            segment: seg.baseOffset,
            nextOffset: seg.nextOffset,
            nextSegment: next.baseOffset,
          },
          'segment overlaps the next one: cutting it at the next base offset',
        );
        const cut = seg.truncateTo(next.baseOffset);
        this.#reportCut(seg, seg.size, cut, 'overlaps the next segment', -1);
      }
    }
  }

  /** Logs a recovery cut and removes every segment after index `i` (when i >= 0). */
  #reportCut(seg: Segment, position: number, bytes: number, reason: string | null, i: number): void {
    const later = i >= 0 ? this.#segments.splice(i + 1) : [];
    for (const s of later) {
      s.releaseFd();
      for (const p of [s.logPath, s.indexPath, s.timeIndexPath]) unlinkIfExists(p);
    }
    this.#logger?.warn(
      {
        dir: this.dir,
        segment: seg.baseOffset,
        position,
        truncatedBytes: bytes,
        nextOffset: seg.nextOffset,
        reason,
        segmentsRemoved: later.map((s) => s.baseOffset),
        bytesRemoved: later.reduce((a, s) => a + s.size, 0),
      },
      'recovery cut the log at the first invalid batch',
    );
  }

  #newSegment(base: number, now: number): Segment {
    const seg = Segment.create(this.dir, base, this.#settings(), this.#pool, now);
    if (this.#config.segmentJitterMs > 0)
      seg.rollJitterMs = Math.floor(
        Math.random() * Math.min(this.#config.segmentJitterMs, this.#config.segmentMs),
      );
    return seg;
  }

  // ---------------------------------------------------------------- append

  /**
   * Walks the batches of `records` (headers only): structure, magic, max.message.bytes. Returns the
   * number of offsets they span, their records count, the largest maxTimestamp and, relative to the
   * first offset when offsets are assigned from it, the last offset of the (first) batch holding it
   * (-1 when no batch has a timestamp), and the first batch's lastOffsetDelta. The only header walk
   * of a leader append besides the offset stamping.
   */
  #scanAppend(records: Buffer): {
    offsets: number;
    messages: number;
    maxTs: number;
    maxTsOffset: number;
    firstDelta: number;
  } {
    const len = records.length;
    if (len === 0) throw new CorruptRecordError('append of no record batches');
    if (len > this.#config.segmentBytes)
      throw new RecordBatchTooLargeError(len, this.#config.segmentBytes, 'segment.bytes');
    let pos = 0;
    let offsets = 0;
    let messages = 0;
    let maxTs = -1;
    let maxTsOffset = -1;
    let firstDelta = -1;
    while (pos < len) {
      if (len - pos < RECORD_BATCH_OVERHEAD)
        throw new CorruptRecordError('truncated record batch header', pos);
      const size = LOG_OVERHEAD + records.readInt32BE(pos + BatchOffsets.batchLength);
      if (size < RECORD_BATCH_OVERHEAD || pos + size > len)
        throw new CorruptRecordError(`record batch length ${size} does not fit`, pos);
      if (size > this.#config.maxMessageBytes)
        throw new RecordBatchTooLargeError(size, this.#config.maxMessageBytes);
      const magic = records.readInt8(pos + BatchOffsets.magic);
      if (magic !== CURRENT_MAGIC) throw new CorruptRecordError(`record batch magic ${magic}`, pos);
      const delta = records.readInt32BE(pos + BatchOffsets.lastOffsetDelta);
      if (delta < 0) throw new CorruptRecordError(`negative lastOffsetDelta ${delta}`, pos);
      if (firstDelta < 0) firstDelta = delta;
      messages += records.readInt32BE(pos + BatchOffsets.recordsCount);
      const ts = readInt64(records, pos + BatchOffsets.maxTimestamp);
      if (ts > maxTs) {
        maxTs = ts;
        maxTsOffset = offsets + delta;
      }
      offsets += delta + 1;
      if (this.#producerState?.check) {
        const info = producerBatchInfo(records, pos);
        if (info) this.#producerState.check(info);
      }
      pos += size;
    }
    return { offsets, messages, maxTs, maxTsOffset, firstDelta };
  }

  /**
   * Appends validated batches as the leader: assigns offsets from logEndOffset by rewriting each
   * baseOffset in place (stamping partitionLeaderEpoch, and for LogAppendTime topics the append time
   * and CRC), writes them with one synchronous write, and resolves once written (page-cache mode) or
   * fsynced (fsync mode, group commit).
   */
  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    try {
      return this.#afterAppend(this.#appendSync(records, options, true));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Appends batches that already carry offsets (a follower copying its leader). They must start at or
   * after logEndOffset and increase; otherwise UnexpectedAppendOffsetError.
   */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    try {
      return this.#afterAppend(this.#appendSync(records, {}, false));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #appendSync(records: Buffer, options: AppendOptions, assignOffsets: boolean): AppendResult {
    this.#checkOpen();
    const scan = this.#scanAppend(records);
    const logAppendTime = assignOffsets && this.#config.messageTimestampType === 'LogAppendTime';
    // The clock is read only when needed (Date.now costs ~0.2 µs here, a fifth of an append's JS):
    // LogAppendTime stamps, or a roll decision that falls back to wall time (-1: not read yet).
    const now = options.appendTime ?? (logAppendTime ? this.#now() : -1);
    const len = records.length;
    let first: number;
    let last: number;
    let maxTs: number;
    let offsetOfMaxTs: number;
    if (assignOffsets) {
      first = this.#logEndOffset;
      last = first + scan.offsets - 1;
      // LogAppendTime: every batch gets `now`; the first one holds the maximum.
      maxTs = logAppendTime ? now : scan.maxTs;
      const rel = logAppendTime ? scan.firstDelta : scan.maxTsOffset;
      offsetOfMaxTs = rel < 0 ? -1 : first + rel;
    } else {
      first = readInt64(records, 0);
      let prevNext = this.#logEndOffset;
      last = first - 1;
      maxTs = -1;
      offsetOfMaxTs = -1;
      for (let pos = 0; pos < len; ) {
        const base = readInt64(records, pos);
        if (base < prevNext)
          throw new UnexpectedAppendOffsetError(
            `follower append at offset ${base} below the expected ${prevNext} in ${this.dir}`,
            base,
            this.#logEndOffset,
          );
        last = base + records.readInt32BE(pos + BatchOffsets.lastOffsetDelta);
        const ts = readInt64(records, pos + BatchOffsets.maxTimestamp);
        if (ts > maxTs) {
          maxTs = ts;
          offsetOfMaxTs = last;
        }
        prevNext = last + 1;
        pos += LOG_OVERHEAD + records.readInt32BE(pos + BatchOffsets.batchLength);
      }
    }
    this.#maybeRoll(len, first, last, maxTs, now);
    // Invariant (the message is built only on failure: this is the per-append path).
    if (first < this.#logEndOffset)
      throw new AssertionError(`offsets went backwards in ${this.dir}: ${first} < ${this.#logEndOffset}`);
    // Assign offsets (and stamps) in place; a follower's batches carry theirs and their epochs.
    let control = false;
    for (let pos = 0, offset = first; pos < len; ) {
      if (!control && isControl(records, pos)) control = true;
      if (assignOffsets) {
        setBaseOffset(records, pos, offset);
        if (options.leaderEpoch !== undefined) setPartitionLeaderEpoch(records, pos, options.leaderEpoch);
        if (logAppendTime) stampLogAppendTime(records, pos, now);
        offset += records.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1;
      } else {
        this.#epochs.assign(
          records.readInt32BE(pos + BatchOffsets.partitionLeaderEpoch),
          readInt64(records, pos),
        );
      }
      pos += LOG_OVERHEAD + records.readInt32BE(pos + BatchOffsets.batchLength);
    }
    if (assignOffsets && options.leaderEpoch !== undefined) this.#epochs.assign(options.leaderEpoch, first);
    const active = this.#active;
    // A transaction marker is written at once, with everything pending before it: it completes a
    // transaction in the producer state (the last stable offset moves), so it must not wait for the
    // turn's write while a read could see the state ahead of the high watermark.
    if (control) this.#writePending();
    active.append(records, len, first, last, maxTs, offsetOfMaxTs, !control);
    const pendingSegs = this.#pendingSegs;
    if (!control && (pendingSegs.length === 0 || pendingSegs[pendingSegs.length - 1] !== active))
      pendingSegs.push(active);
    this.#logEndOffset = last + 1;
    this.#dirty.add(active);
    this.#unflushedMessages += scan.messages;
    if (this.#producerState) {
      let o = first;
      for (let pos = 0; pos < len; ) {
        if (!assignOffsets) o = readInt64(records, pos);
        const info = producerBatchInfo(records, pos, o);
        if (info) this.#producerState.onAppend(info);
        o += records.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1;
        pos += LOG_OVERHEAD + records.readInt32BE(pos + BatchOffsets.batchLength);
      }
    }
    return {
      firstOffset: first,
      lastOffset: last,
      appendTime: logAppendTime ? now : -1,
      logStartOffset: this.#logStartOffset,
      maxTimestamp: maxTs,
      offsetOfMaxTimestamp: offsetOfMaxTs,
    };
  }

  /** Durability and flush policy after the write; a plain resolved promise on the common path. */
  #afterAppend(result: AppendResult): Promise<AppendResult> {
    if (this.#durability === 'fsync') return this.#groupSync().then(() => result);
    if (this.#unflushedMessages >= this.#config.flushMessages) return this.flush().then(() => result);
    if (this.#config.flushMs < LONG_MAX && this.#flushTimer === null) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = null;
        if (!this.#closed)
          this.flush().catch((err) => this.#logger?.error({ err, dir: this.dir }, 'flush failed'));
      }, this.#config.flushMs);
      this.#flushTimer.unref();
    }
    if (this.#pendingSegs.length === 0) return Promise.resolve(result);
    return this.#awaitWrite().then(() => result);
  }

  /**
   * Group commit of the writes: the appends made before the next microtask checkpoint — every
   * request a connection read from one socket chunk, since frames are dispatched synchronously —
   * are written with one positioned write per segment (writev); the returned promise settles after
   * it. A microtask, not a setImmediate: acks are not held for a loop phase (a setImmediate also
   * let background flushes pin more segments meanwhile). Reads, fsyncs, rolls, truncation and close
   * write the pending bytes first (Segment.fd()).
   */
  /** Writes every pending append now (a failed segment throws its write error again). */
  #writePending(): void {
    const segs = this.#pendingSegs;
    if (segs.length === 0) return;
    for (const seg of segs) seg.writePending();
    this.#pendingSegs = [];
  }

  #awaitWrite(): Promise<void> {
    this.#writeRound ??= new Promise<void>((resolve, reject) => {
      queueMicrotask(() => {
        this.#writeRound = null;
        try {
          this.#writePending();
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
    return this.#writeRound;
  }

  /** Kafka's roll conditions: size, time (segment.ms from the first batch's timestamp), full index, offset range. */
  #maybeRoll(size: number, first: number, last: number, maxTs: number, appendTime: number): void {
    const seg = this.#active;
    const c = this.#config;
    let reason: string | null = null;
    if (last - seg.baseOffset > INT32_MAX || first < seg.baseOffset) reason = 'offset range';
    else if (seg.size > 0) {
      if (seg.size > c.segmentBytes - size) reason = 'segment.bytes';
      else if (seg.indexFull) reason = 'index full';
      else {
        const t0 = seg.firstBatchTimestamp();
        const waited =
          t0 !== null && t0 >= 0 && maxTs >= 0
            ? maxTs - t0
            : (appendTime >= 0 ? appendTime : this.#now()) - seg.created;
        if (waited > c.segmentMs - seg.rollJitterMs) reason = 'segment.ms';
      }
    }
    if (reason !== null) this.#roll(first, appendTime >= 0 ? appendTime : this.#now(), reason);
  }

  /** Starts a new active segment at `base` (the next offset to be written); the old one is flushed in the background. */
  #roll(base: number, now: number, reason: string): void {
    const old = this.#active;
    assert(base >= this.#logEndOffset, `roll at ${base} below the log end ${this.#logEndOffset}`);
    if (old.size === 0) {
      // An empty active segment is replaced rather than left behind.
      this.#segments.pop();
      this.#dirty.delete(old);
      old.close();
      for (const p of [old.logPath, old.indexPath, old.timeIndexPath]) unlinkIfExists(p);
    } else {
      old.onBecomeInactive();
    }
    this.#segments.push(this.#newSegment(base, now));
    this.#logger?.debug({ dir: this.dir, base, reason }, 'rolled segment');
    if (old.size > 0 && this.#durability === 'page-cache') {
      // Kafka flushes a rolled segment in the background; the recovery point moves with it.
      this.flush().catch((err) => this.#logger?.error({ err, dir: this.dir }, 'flush after roll failed'));
    }
  }

  /** Rolls a new segment at logEndOffset now (tests, tools; a no-op when the active segment is empty). */
  roll(): void {
    this.#checkOpen();
    if (this.#active.size > 0) this.#roll(this.#logEndOffset, this.#now(), 'requested');
  }

  // ---------------------------------------------------------------- durability

  /** Group commit: resolves after an fsync that started after this call (one fsync serves many appends). */
  #groupSync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ resolve, reject });
      if (!this.#syncing && !this.#syncScheduled) {
        // Let every append of this event-loop turn join the same fsync.
        this.#syncScheduled = true;
        setImmediate(() => {
          this.#syncScheduled = false;
          void this.#runSync();
        });
      }
    });
  }

  async #runSync(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    try {
      while (this.#syncWaiters.length > 0) {
        const waiters = this.#syncWaiters.splice(0);
        const segs = [...this.#dirty];
        this.#dirty.clear();
        for (const s of segs) s.pins++;
        try {
          await Promise.all(segs.map((s) => (s.deleted ? Promise.resolve() : s.fsyncLog())));
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const s of segs) this.#dirty.add(s);
          for (const w of waiters) w.reject(err);
        } finally {
          for (const s of segs) s.pins--;
        }
      }
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * fsyncs every segment from the recovery point on (and writes their index entries), then moves the
   * recovery point to the log end offset as of the call. Flushes run one at a time.
   */
  flush(): Promise<void> {
    const run = () => this.#doFlush();
    const p = this.#flushChain.then(run, run);
    this.#flushChain = p.catch(() => {});
    return p;
  }

  async #doFlush(): Promise<void> {
    if (this.#closed) return;
    const upTo = this.#logEndOffset;
    const segs = this.#segments.filter(
      (s, i) =>
        this.#dirty.has(s) ||
        s.writable ||
        (this.#segments[i + 1]?.baseOffset ?? upTo + 1) > this.#recoveryPoint,
    );
    for (const s of segs) {
      s.pins++;
      s.persistIndexes(false);
    }
    try {
      await Promise.all(segs.map((s) => (s.deleted ? Promise.resolve() : s.fsyncLog())));
    } finally {
      for (const s of segs) s.pins--;
    }
    for (const s of segs) if (!s.writable) this.#dirty.delete(s);
    this.#recoveryPoint = Math.max(this.#recoveryPoint, Math.min(upTo, this.#logEndOffset));
    this.#unflushedMessages = 0;
    this.#lastFlushTime = this.#now();
    this.#producerState?.snapshot?.(this.dir, upTo);
  }

  // ---------------------------------------------------------------- read

  /** Index of the last segment whose base offset is <= offset (0 when offset is below all). */
  #segmentIndexFor(offset: number): number {
    const segs = this.#segments;
    return Math.max(
      0,
      floorSearch(segs.length, offset, (i) => segs[i]!.baseOffset),
    );
  }

  /** The segment and batch holding the first batch whose last offset is >= offset, if any. */
  #locate(offset: number): { seg: Segment; index: number; loc: BatchLocation } | null {
    for (let i = this.#segmentIndexFor(offset); i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      const loc = seg.translateOffset(offset);
      if (loc) return { seg, index: i, loc };
    }
    return null;
  }

  /**
   * Whole batches from the one containing `fromOffset`, up to `maxBytes` (the first one whole even
   * when larger, if `minOneMessage`), none whose last offset is >= `upToOffset`. One segment per read.
   */
  async read(
    fromOffset: number,
    maxBytes: number,
    upToOffset?: number,
    minOneMessage = true,
  ): Promise<ReadResult> {
    return this.readSync(fromOffset, maxBytes, upToOffset, minOneMessage);
  }

  /** read() without the promise: positioned reads of the page cache (see docs/storage.md for why sync). */
  readSync(fromOffset: number, maxBytes: number, upToOffset?: number, minOneMessage = true): ReadResult {
    this.#checkOpen();
    const lso = this.#logStartOffset;
    const leo = this.#logEndOffset;
    if (fromOffset < lso || fromOffset > leo) throw new OffsetOutOfRangeError(fromOffset, lso, leo, this.dir);
    const upTo = Math.min(upToOffset ?? leo, leo);
    const empty: ReadResult = {
      records: EMPTY,
      bytes: 0,
      firstOffset: -1,
      nextOffset: fromOffset,
      logStartOffset: lso,
      logEndOffset: leo,
    };
    if (fromOffset >= upTo || (maxBytes <= 0 && !minOneMessage)) return empty;
    const found = this.#locate(fromOffset);
    if (!found) return empty;
    const { seg, loc } = found;
    if (loc.lastOffset >= upTo) return empty;
    let maxPosition = seg.size;
    if (upTo < leo) {
      const u = seg.translateOffset(upTo, loc.position);
      if (u) maxPosition = u.position;
    }
    const r = seg.read(loc, Math.max(0, maxBytes), maxPosition, minOneMessage);
    if (!r) return empty;
    return {
      records: [r.buf],
      bytes: r.buf.length,
      firstOffset: loc.baseOffset,
      nextOffset: r.nextOffset,
      logStartOffset: lso,
      logEndOffset: leo,
    };
  }

  // ---------------------------------------------------------------- timestamps

  /** First offset whose timestamp is >= ts (ListOffsets), or null when every timestamp is smaller. */
  async offsetForTimestamp(ts: number): Promise<TimestampAndOffset | null> {
    this.#checkOpen();
    const lso = this.#logStartOffset;
    for (let i = this.#segmentIndexFor(lso); i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      if (seg.size === 0) continue;
      if (seg.maxTimestamp < 0) seg.loadIndexes(this.#maxRecoveryBatchBytes());
      if (seg.maxTimestamp < ts) continue;
      const r = await this.#searchSegment(seg, ts, lso);
      if (r) return r;
    }
    return null;
  }

  async #searchSegment(seg: Segment, ts: number, minOffset: number): Promise<TimestampAndOffset | null> {
    const before = seg.timeIndex.lookupBefore(ts);
    const start = Math.max(seg.offsetIndex.lookup(Math.max(before, minOffset)), 0);
    let hit: { loc: BatchLocation; maxTs: number; epoch: number } | null = null;
    seg.scanHeaders(start, (loc, h, at) => {
      if (loc.lastOffset < minOffset) return true;
      const maxTs = readInt64(h, at + BatchOffsets.maxTimestamp);
      if (maxTs >= ts) {
        hit = { loc, maxTs, epoch: h.readInt32BE(at + BatchOffsets.partitionLeaderEpoch) };
        return false;
      }
      return true;
    });
    if (!hit) return null;
    const { loc, maxTs, epoch } = hit as { loc: BatchLocation; maxTs: number; epoch: number };
    // Inside the batch, the first record at or past the target (decompressing if needed): not a hot path.
    try {
      const batch = await decodeBatch(seg.readAt(loc.position, loc.size), 0, { verifyCrc: false });
      for (const r of batch.records) {
        if (r.offset >= minOffset && r.timestamp >= ts)
          return { offset: r.offset, timestamp: r.timestamp, leaderEpoch: epoch };
      }
    } catch (err) {
      this.#logger?.warn(
        { err, dir: this.dir, offset: loc.baseOffset },
        'cannot decode a batch for a timestamp search',
      );
    }
    return { offset: Math.max(loc.baseOffset, minOffset), timestamp: maxTs, leaderEpoch: epoch };
  }

  /** The record with the largest timestamp (the earliest such), for ListOffsets MAX_TIMESTAMP; null when empty. */
  async offsetOfMaxTimestamp(): Promise<TimestampAndOffset | null> {
    this.#checkOpen();
    const lso = this.#logStartOffset;
    let best: Segment | null = null;
    for (let i = this.#segmentIndexFor(lso); i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      if (seg.size === 0) continue;
      if (seg.maxTimestamp < 0) seg.loadIndexes(this.#maxRecoveryBatchBytes());
      if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
    }
    if (best === null) return null;
    if (best.maxTimestamp < 0) {
      // No timestamps at all (-1 everywhere): Kafka answers with the last offset.
      return {
        offset: this.#logEndOffset - 1,
        timestamp: -1,
        leaderEpoch: this.#epochs.epochForOffset(this.#logEndOffset - 1),
      };
    }
    return this.#searchSegment(best, best.maxTimestamp, lso);
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` (Kafka's semantics, see leader-epoch.ts). */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.#epochs.endOffsetFor(epoch, this.#logEndOffset);
  }

  // ---------------------------------------------------------------- truncation, deletion, retention

  /** Removes every batch whose last offset is >= offset; logEndOffset becomes offset (replication). */
  async truncateTo(offset: number): Promise<void> {
    this.#checkOpen();
    assert(offset >= 0, `truncateTo(${offset})`);
    if (offset >= this.#logEndOffset) return;
    if (offset < this.#logStartOffset) {
      this.#truncateFullyAndStartAt(offset);
      return;
    }
    const removed: Segment[] = [];
    while (this.#segments.length > 1 && this.#active.baseOffset >= offset)
      removed.push(this.#segments.pop()!);
    for (const s of removed) this.#deleteSegment(s, true);
    const active = this.#active;
    if (active.baseOffset >= offset) {
      this.#truncateFullyAndStartAt(offset);
      return;
    }
    active.makeWritable();
    const bytes = active.truncateTo(offset);
    this.#dirty.add(active);
    this.#logEndOffset = offset;
    this.#recoveryPoint = Math.min(this.#recoveryPoint, offset);
    this.#epochs.truncateFromEnd(offset);
    this.#producerState?.truncateTo(offset);
    this.#onTruncate?.(this, offset);
    this.#logger?.info({ dir: this.dir, offset, bytes, segmentsRemoved: removed.length }, 'truncated log');
  }

  /** Deletes every segment and starts an empty one at `offset` (which becomes start and end). */
  #truncateFullyAndStartAt(offset: number): void {
    const all = this.#segments.splice(0);
    for (const s of all) this.#deleteSegment(s, true);
    this.#segments.push(this.#newSegment(offset, this.#now()));
    this.#logEndOffset = offset;
    this.#recoveryPoint = Math.min(this.#recoveryPoint, offset);
    const moved = this.#logStartOffset !== offset;
    this.#logStartOffset = offset;
    this.#epochs.clear();
    this.#producerState?.truncateTo(offset);
    if (moved) this.#onLogStartOffsetChange?.(this);
    this.#onTruncate?.(this, offset);
    this.#logger?.info({ dir: this.dir, offset }, 'truncated the whole log');
  }

  /**
   * DeleteRecords: moves logStartOffset to `offset` (never backwards; at most the high watermark or the
   * log end) and deletes the segments wholly below it. Returns the new logStartOffset.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    this.#checkOpen();
    const bound = Math.min(this.highWatermark ?? this.#logEndOffset, this.#logEndOffset);
    if (offset > bound || offset < 0)
      throw new OffsetOutOfRangeError(offset, this.#logStartOffset, bound, this.dir);
    if (offset > this.#logStartOffset) {
      this.#setLogStartOffset(offset);
      this.#deleteSegmentsWhile(
        (_seg, next) => next !== undefined && next.baseOffset <= this.#logStartOffset,
        'log start offset',
      );
    }
    return this.#logStartOffset;
  }

  #setLogStartOffset(offset: number): void {
    if (offset <= this.#logStartOffset) return;
    this.#logStartOffset = offset;
    this.#epochs.truncateFromStart(offset);
    this.#producerState?.onLogStartOffset(offset);
    this.#onLogStartOffsetChange?.(this);
  }

  /**
   * Retention: deletes the oldest segments past retention.ms / retention.bytes (cleanup.policy delete)
   * and those wholly below logStartOffset. Never deletes past the high watermark. Returns how many.
   */
  async deleteOldSegments(now = this.#now()): Promise<number> {
    if (this.#closed) return 0;
    const c = this.#config;
    let n = 0;
    if (isDeleteRetention(c)) {
      if (c.retentionMs >= 0)
        n += this.#deleteSegmentsWhile((seg) => now - seg.largestTimestamp() > c.retentionMs, 'retention.ms');
      if (c.retentionBytes >= 0) {
        let excess = this.size - c.retentionBytes;
        n += this.#deleteSegmentsWhile((seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        }, 'retention.bytes');
      }
    }
    n += this.#deleteSegmentsWhile(
      (_seg, next) => next !== undefined && next.baseOffset <= this.#logStartOffset,
      'log start offset',
    );
    return n;
  }

  /** Deletes segments from the oldest while `pred` holds and they end at or below the high watermark. */
  #deleteSegmentsWhile(pred: (seg: Segment, next: Segment | undefined) => boolean, reason: string): number {
    const hw = Math.min(this.highWatermark ?? this.#logEndOffset, this.#logEndOffset);
    const doomed: Segment[] = [];
    for (let i = 0; i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      const next = this.#segments[i + 1];
      const upper = next ? next.baseOffset : this.#logEndOffset;
      const eligible = hw >= upper && (next !== undefined || seg.size > 0);
      if (!eligible || !pred(seg, next)) break;
      doomed.push(seg);
    }
    if (doomed.length === 0) return 0;
    if (doomed.length === this.#segments.length)
      this.#roll(this.#logEndOffset, this.#now(), `${reason} (all segments expired)`);
    this.#segments.splice(0, doomed.length);
    for (const s of doomed) this.#deleteSegment(s, false);
    const start = this.#segments[0]!.baseOffset;
    if (start > this.#logStartOffset) this.#setLogStartOffset(start);
    this.#logger?.info(
      {
        dir: this.dir,
        reason,
        segments: doomed.map((s) => s.baseOffset),
        logStartOffset: this.#logStartOffset,
      },
      'deleted segments',
    );
    return doomed.length;
  }

  /** Renames the segment's files to `.deleted` and removes them after file.delete.delay.ms (now if `immediate`). */
  #deleteSegment(seg: Segment, immediate: boolean): void {
    this.#dirty.delete(seg);
    const files = seg.markDeleted();
    const pending: PendingDelete = { segment: seg, files, timer: null };
    this.#pendingDeletes.add(pending);
    const delay = immediate ? 0 : this.#config.fileDeleteDelayMs;
    const finish = () => {
      if (seg.pins > 0) {
        pending.timer = setTimeout(finish, 50);
        pending.timer.unref();
        return;
      }
      this.#finishDelete(pending);
    };
    if (delay === 0 && seg.pins === 0) this.#finishDelete(pending);
    else {
      pending.timer = setTimeout(finish, delay);
      pending.timer.unref();
    }
  }

  #finishDelete(p: PendingDelete): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    this.#pendingDeletes.delete(p);
    p.segment.releaseFd();
    for (const f of p.files) unlinkIfExists(f);
  }

  // ---------------------------------------------------------------- cleaner support

  /**
   * Replaces `old` (consecutive segments, oldest first) with `cleaned`, whose files were written with
   * the `.cleaned` suffix by the cleaner. Crash-safe through the swap marker (see cleaner.ts).
   */
  replaceSegments(old: readonly Segment[], cleanedBase: number): Segment {
    this.#checkOpen();
    const first = this.#segments.indexOf(old[0]!);
    assert(first >= 0, 'replaceSegments: segments not in the log');
    for (let i = 0; i < old.length; i++)
      assert(this.#segments[first + i] === old[i], 'replaceSegments: not consecutive');
    assert(!old.some((s) => s.writable), 'replaceSegments: the active segment is never cleaned');
    const plan: SwapPlan = { base: cleanedBase, replaced: old.map((s) => s.baseOffset) };
    const marker = join(this.dir, SWAP_MARKER);
    fs.writeFileSync(`${marker}.tmp`, JSON.stringify(plan));
    const fd = fs.openSync(`${marker}.tmp`, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(`${marker}.tmp`, marker);
    fsyncDirSync(this.dir);
    // Committed. Old files go to `.deleted` (readers holding their descriptors finish first).
    for (const s of old) {
      this.#dirty.delete(s);
      const files = s.markDeleted();
      const pending: PendingDelete = { segment: s, files, timer: null };
      this.#pendingDeletes.add(pending);
      pending.timer = setTimeout(() => this.#finishDelete(pending), this.#config.fileDeleteDelayMs);
      pending.timer.unref();
    }
    finishSwap(this.dir, plan);
    const seg = Segment.existing(
      this.dir,
      cleanedBase,
      fs.statSync(join(this.dir, offsetName(cleanedBase, LOG_SUFFIX))).size,
      this.#settings(),
      this.#pool,
      this.#now(),
    );
    seg.loadIndexes(this.#maxRecoveryBatchBytes());
    this.#segments.splice(first, old.length, seg);
    return seg;
  }

  // ---------------------------------------------------------------- lifecycle

  updateConfig(config: LogConfig): void {
    validateLogConfig(config);
    this.#config = config;
    for (const s of this.#segments) s.updateSettings(this.#settings(config));
  }

  /** Closes idle handles (kept for API symmetry; the pool does the work). */
  closeIdleHandles(idleMs: number): number {
    return this.#pool.closeIdle(idleMs, this.#now());
  }

  /** Flushes (recovery point = log end), closes every file, removes pending `.deleted` files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    await this.flush();
    while (this.#syncing || this.#syncScheduled || this.#syncWaiters.length > 0) {
      await new Promise((r) => setImmediate(r));
    }
    this.#closed = true;
    for (const p of [...this.#pendingDeletes]) {
      p.segment.pins = 0;
      this.#finishDelete(p);
    }
    for (const s of this.#segments) s.close();
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    await this.close();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}

/** The cleaner's swap marker in a partition dir: JSON { base, replaced: [base offsets] }. */
export const SWAP_MARKER = 'cleaner-swap';

export interface SwapPlan {
  /** Base offset of the cleaned segment (its files carry the `.cleaned` suffix until swapped in). */
  base: number;
  /** Base offsets of the segments it replaces. */
  replaced: number[];
}

function offsetName(base: number, suffix: string): string {
  return String(base).padStart(20, '0') + suffix;
}

/**
 * Idempotent second half of a swap: old files out of the way, `.cleaned` files in, marker removed.
 * The aborted-transaction indexes go first: nobody holds them open, so the old ones are unlinked
 * and the cleaned one renamed in, and only while the cleaned one is there (a rerun after a crash
 * must not unlink the index it already moved in).
 */
function finishSwap(dir: string, plan: SwapPlan): void {
  const suffixes = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];
  const cleanedTxnIndex = join(dir, txnIndexFileName(plan.base) + CLEANED_SUFFIX);
  if (fs.existsSync(cleanedTxnIndex)) {
    for (const b of plan.replaced) unlinkIfExists(join(dir, txnIndexFileName(b)));
    fs.renameSync(cleanedTxnIndex, join(dir, txnIndexFileName(plan.base)));
  }
  const cleanedPresent = fs.existsSync(join(dir, offsetName(plan.base, LOG_SUFFIX) + CLEANED_SUFFIX));
  if (cleanedPresent) {
    for (const b of plan.replaced) {
      for (const sfx of suffixes) {
        const p = join(dir, offsetName(b, sfx));
        try {
          fs.renameSync(p, p + DELETED_SUFFIX);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
    for (const sfx of [TIME_INDEX_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX]) {
      const p = join(dir, offsetName(plan.base, sfx));
      try {
        fs.renameSync(p + CLEANED_SUFFIX, p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    fsyncDirSync(dir);
  }
  unlinkIfExists(join(dir, SWAP_MARKER));
  fsyncDirSync(dir);
}

function indexFileOk(path: string, entrySize: number): boolean {
  try {
    const st = fs.statSync(path);
    return st.size % entrySize === 0;
  } catch {
    return false;
  }
}
