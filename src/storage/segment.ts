/**
 * Segment: one `<baseOffset 20 digits>.log` file of whole v2 record batches, with its sparse offset
 * index (`.index`) and time index (`.timeindex`). Batches are read by header only (offset, length,
 * timestamps); records are never decoded here.
 *
 * Lookup of an offset inside a segment: binary search of the offset index for the last indexed batch
 * whose last offset is <= target, then a scan of batch headers from there to the first batch whose
 * last offset is >= target.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { AssertionError } from '../core/assert.js';
import {
  BatchOffsets,
  CURRENT_MAGIC,
  computeCrc,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
} from '../protocol/records/batch.js';
import { KafkaStorageError, ioError } from './errors.js';
import { readFully, unlinkIfExists, writeFully } from './fs-util.js';
import type { HandlePool } from './handles.js';
import { OffsetIndex, readIndexFile, TimeIndex } from './indexes.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
const INT32_MAX = 2147483647;
/** Bytes of a batch header the storage layer reads: through recordsCount. */
const HEADER_BYTES = RECORD_BATCH_OVERHEAD;

/** `00000000000000000042` */
export function offsetFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Parses `00000000000000000042.log` → 42, or -1 when the name is not a segment file. */
export function parseOffsetFileName(name: string, suffix: string): number {
  if (!name.endsWith(suffix)) return -1;
  const stem = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(stem)) return -1;
  return Number(stem);
}

/** Where a batch is: file position, size and offsets. */
export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

export interface SegmentSettings {
  segmentIndexBytes: number;
  indexIntervalBytes: number;
}

export interface RecoveryResult {
  /** Bytes cut from the end of the file (0 when every batch was valid). */
  truncatedBytes: number;
  /** Why the first invalid batch was invalid. */
  reason: string | null;
  /** File position and offset where the cut happened. */
  position: number;
  batchesValidated: number;
}

/**
 * Checks the batch at `off` in `buf` (with `avail` bytes from there to the end of the file's known
 * content). Returns null when valid, else the reason. `checkCrc` false checks structure only.
 */
export function checkBatch(
  buf: Buffer,
  off: number,
  avail: number,
  prevNextOffset: number,
  segmentBase: number,
  maxBatchBytes: number,
  checkCrc: boolean,
): string | null {
  if (avail < HEADER_BYTES) return `torn batch header (${avail} bytes left)`;
  const batchLength = buf.readInt32BE(off + BatchOffsets.batchLength);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) return `batchLength ${batchLength} too small`;
  const size = LOG_OVERHEAD + batchLength;
  if (size > maxBatchBytes) return `batch of ${size} bytes exceeds the bound ${maxBatchBytes}`;
  if (size > avail) return `torn batch: ${size} bytes declared, ${avail} left in the file`;
  const magic = buf.readInt8(off + BatchOffsets.magic);
  if (magic !== CURRENT_MAGIC) return `magic ${magic}, expected ${CURRENT_MAGIC}`;
  const base = readInt64(buf, off + BatchOffsets.baseOffset);
  const delta = buf.readInt32BE(off + BatchOffsets.lastOffsetDelta);
  if (delta < 0) return `negative lastOffsetDelta ${delta}`;
  if (base < prevNextOffset)
    return `baseOffset ${base} below the previous batch's next offset ${prevNextOffset}`;
  if (base + delta - segmentBase > INT32_MAX)
    return `offset ${base + delta} too far from segment base ${segmentBase}`;
  if (checkCrc) {
    const stored = buf.readUInt32BE(off + BatchOffsets.crc);
    const actual = computeCrc(buf, off, size);
    if (stored !== actual) return `CRC-32C mismatch (stored ${stored}, computed ${actual})`;
  }
  return null;
}

/**
 * Reads a file sequentially through a window buffer, for header walks and recovery scans.
 * `at(pos, n)` makes bytes [pos, pos+n) available and returns their index in `buf`.
 */
class FileWindow {
  buf: Buffer;
  start = 0;
  len = 0;
  readonly fd: number;
  readonly end: number;
  readonly chunk: number;

  constructor(fd: number, end: number, chunk: number) {
    this.fd = fd;
    this.end = end;
    this.chunk = chunk;
    this.buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(end, HEADER_BYTES)));
  }

  /** Index in `buf` of file position `pos`, with at least min(n, end-pos) bytes loaded. */
  at(pos: number, n: number): number {
    const want = Math.min(n, this.end - pos);
    if (pos >= this.start && pos + want <= this.start + this.len) return pos - this.start;
    const size = Math.min(Math.max(this.chunk, want), this.end - pos);
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    this.start = pos;
    this.len = readFully(this.fd, this.buf, 0, size, pos);
    return 0;
  }
}

export class Segment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** Bytes of whole batches in the file. */
  size: number;
  /** lastOffset + 1 of the last batch (baseOffset when empty); -1 until the segment was read. */
  nextOffset: number;
  /** Largest batch maxTimestamp and the last offset of that batch; -1 until known. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** The active segment: written to, its descriptor held open. */
  writable = false;
  /** Reads / fsyncs in flight that need the descriptor. */
  pins = 0;
  /** Random jitter subtracted from segment.ms for this segment. */
  rollJitterMs = 0;
  /** When this segment object was created (Kafka's fallback for segment.ms). */
  readonly created: number;
  deleted = false;

  #fd: number | null = null;
  /** Appended bytes not written yet (group commit: the log writes them once per event-loop turn). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** A failed deferred write: the segment's state is ahead of its file, so it takes no more I/O. */
  #writeError: Error | null = null;
  #offsetIndex: OffsetIndex | null = null;
  #timeIndex: TimeIndex | null = null;
  #bytesSinceLastIndexEntry = 0;
  #firstBatchTimestamp: number | null = null;
  #settings: SegmentSettings;
  readonly #pool: HandlePool;

  private constructor(
    dir: string,
    baseOffset: number,
    size: number,
    settings: SegmentSettings,
    pool: HandlePool,
    now: number,
  ) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.size = size;
    this.nextOffset = size === 0 ? baseOffset : -1;
    this.#settings = settings;
    this.#pool = pool;
    this.created = now;
  }

  /** A new, empty, writable segment (an existing file of that name is emptied). */
  static create(
    dir: string,
    baseOffset: number,
    settings: SegmentSettings,
    pool: HandlePool,
    now: number,
  ): Segment {
    const seg = new Segment(dir, baseOffset, 0, settings, pool, now);
    try {
      seg.#fd = fs.openSync(
        seg.logPath,
        fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
        0o644,
      );
    } catch (err) {
      throw ioError('create segment', seg.logPath, err);
    }
    unlinkIfExists(seg.indexPath);
    unlinkIfExists(seg.timeIndexPath);
    seg.writable = true;
    seg.#offsetIndex = new OffsetIndex(seg.indexPath, baseOffset, settings.segmentIndexBytes);
    seg.#timeIndex = new TimeIndex(seg.timeIndexPath, baseOffset, settings.segmentIndexBytes);
    pool.touch(seg, now);
    return seg;
  }

  /** An existing segment file of `size` bytes; opened lazily. */
  static existing(
    dir: string,
    baseOffset: number,
    size: number,
    settings: SegmentSettings,
    pool: HandlePool,
    now: number,
  ): Segment {
    return new Segment(dir, baseOffset, size, settings, pool, now);
  }

  get pinned(): boolean {
    return this.writable || this.pins > 0;
  }

  get indexesLoaded(): boolean {
    return this.#offsetIndex !== null;
  }

  updateSettings(settings: SegmentSettings): void {
    this.#settings = settings;
    if (this.#offsetIndex && this.writable) {
      this.#offsetIndex.maxEntries = Math.max(
        1,
        Math.floor(settings.segmentIndexBytes / OffsetIndex.ENTRY_SIZE),
      );
      this.#timeIndex!.maxEntries = Math.max(
        1,
        Math.floor(settings.segmentIndexBytes / TimeIndex.ENTRY_SIZE),
      );
    }
  }

  /** The open descriptor (opening it if needed). */
  fd(): number {
    if (this.#pendingBytes > 0 || this.#writeError !== null) this.writePending();
    return this.#openFd();
  }

  #openFd(): number {
    if (this.deleted && this.#fd === null) throw new KafkaStorageError(`segment ${this.logPath} was deleted`);
    if (this.#fd === null) {
      try {
        this.#fd = fs.openSync(this.logPath, this.writable ? 'r+' : 'r');
      } catch (err) {
        throw ioError('open segment', this.logPath, err);
      }
    }
    this.#pool.touch(this);
    return this.#fd;
  }

  /** Closes the descriptor and drops the indexes of an inactive segment (HandlePool). */
  releaseFd(): void {
    if (this.#pendingBytes > 0) this.writePending();
    if (this.#fd !== null) {
      try {
        fs.closeSync(this.#fd);
      } catch {
        // closing a descriptor of a file we no longer use: nothing to recover
      }
      this.#fd = null;
    }
    if (!this.writable && this.#offsetIndex) {
      // Indexes of inactive segments are persisted when the segment stops being active.
      this.#offsetIndex = null;
      this.#timeIndex = null;
    }
    this.#pool.remove(this);
  }

  /** Makes the segment the active one again (after truncateTo removed the ones after it). */
  makeWritable(): void {
    if (this.writable) return;
    this.loadIndexes();
    if (this.#fd !== null) {
      fs.closeSync(this.#fd);
      this.#fd = null;
    }
    this.writable = true;
    this.fd();
  }

  /** Stops being the active segment: final time index entry, indexes written out. */
  onBecomeInactive(): void {
    if (!this.writable) return;
    this.writePending();
    this.loadIndexes();
    if (this.maxTimestamp >= 0)
      this.#timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.#offsetIndex!.persist(false);
    this.#timeIndex!.persist(false);
    this.writable = false;
    if (this.#fd !== null) this.#pool.touch(this);
  }

  // ---------------------------------------------------------------- indexes

  /**
   * Loads the index files of a segment that was not scanned at open. A missing or invalid index is
   * rebuilt by scanning the file (returns the scan's result, for the log to report), else null.
   */
  loadIndexes(maxBatchBytes = INT32_MAX): RecoveryResult | null {
    if (this.#offsetIndex) return null;
    const files = this.#readIndexFiles();
    if (files) {
      const { oi, ti } = files;
      if (oi.isValid(Math.max(this.size, 1)) && ti.isValid()) {
        this.#offsetIndex = oi;
        this.#timeIndex = ti;
        if (this.maxTimestamp < 0 && ti.count > 0) {
          this.maxTimestamp = ti.lastTimestamp();
          this.offsetOfMaxTimestamp = ti.lastEntryOffset();
        }
        return null;
      }
    }
    return this.recover(this.baseOffset, maxBatchBytes, true);
  }

  /** Both index files as they are on disk, when both exist and hold whole entries; else null. */
  #readIndexFiles(): { oi: OffsetIndex; ti: TimeIndex } | null {
    const off = readIndexFile(this.indexPath);
    const time = readIndexFile(this.timeIndexPath);
    if (
      !off ||
      !time ||
      off.length % OffsetIndex.ENTRY_SIZE !== 0 ||
      time.length % TimeIndex.ENTRY_SIZE !== 0
    )
      return null;
    const bytes = this.#settings.segmentIndexBytes;
    return {
      oi: new OffsetIndex(this.indexPath, this.baseOffset, bytes, off),
      ti: new TimeIndex(this.timeIndexPath, this.baseOffset, bytes, time),
    };
  }

  get offsetIndex(): OffsetIndex {
    this.loadIndexes();
    return this.#offsetIndex!;
  }

  get timeIndex(): TimeIndex {
    this.loadIndexes();
    return this.#timeIndex!;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Largest timestamp for retention: the newest batch timestamp, else the file's mtime (Kafka). */
  largestTimestamp(): number {
    if (this.maxTimestamp < 0) this.loadIndexes();
    if (this.maxTimestamp >= 0) return this.maxTimestamp;
    try {
      return fs.statSync(this.logPath).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** maxTimestamp of the first batch (segment.ms is measured from it), or null when empty. */
  firstBatchTimestamp(): number | null {
    if (this.#firstBatchTimestamp !== null || this.size === 0) return this.#firstBatchTimestamp;
    const buf = Buffer.allocUnsafe(HEADER_BYTES);
    if (readFully(this.fd(), buf, 0, HEADER_BYTES, 0) === HEADER_BYTES)
      this.#firstBatchTimestamp = readInt64(buf, BatchOffsets.maxTimestamp);
    return this.#firstBatchTimestamp;
  }

  /**
   * Index and timestamp bookkeeping for `size` bytes at `position` holding offsets up to `lastOffset`:
   * one batch (recovery) or one append (Kafka's LogSegment.append: an entry maps the append's last
   * offset to its first byte, so a lookup scans from there).
   */
  #indexBatch(
    position: number,
    size: number,
    lastOffset: number,
    maxTs: number,
    offsetOfMaxTs = lastOffset,
  ): void {
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = offsetOfMaxTs;
    }
    const oi = this.#offsetIndex!;
    if (this.#bytesSinceLastIndexEntry > this.#settings.indexIntervalBytes && lastOffset > oi.lastOffset()) {
      if (!oi.isFull) oi.append(lastOffset, position);
      if (this.maxTimestamp >= 0) this.#timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += size;
  }

  // ---------------------------------------------------------------- append

  /**
   * Writes `buf` (whole batches with offsets assigned, offsets firstOffset..lastOffset; the log walked
   * their headers already) at the end of the file with one synchronous write (a copy into the page
   * cache), then does the index bookkeeping once for the whole append. On a write error the file is
   * cut back to its previous size and KafkaStorageError thrown.
   */
  append(
    buf: Buffer,
    length: number,
    firstOffset: number,
    lastOffset: number,
    maxTimestamp: number,
    offsetOfMaxTimestamp: number,
    deferred = false,
  ): void {
    // Invariants here and below: messages are built only on failure (the per-append path).
    if (!this.writable) throw new AssertionError(`append to inactive segment ${this.logPath}`);
    if (this.#writeError !== null) throw this.#writeError;
    // The active segment is pinned in the handle pool, which skips it: no LRU touch per append (its
    // place is refreshed when it stops being active).
    if (firstOffset < this.nextOffset || lastOffset < firstOffset)
      throw new AssertionError(
        `offsets ${firstOffset}..${lastOffset} appended after ${this.nextOffset} in ${this.logPath}`,
      );
    const start = this.size;
    if (deferred) {
      // Group commit: kept (not copied) until writePending writes every pending append at once.
      this.#pending.push(length === buf.length ? buf : buf.subarray(0, length));
      this.#pendingBytes += length;
    } else {
      if (this.#pendingBytes > 0) this.writePending();
      const fd = this.#fd ?? this.#openFd();
      try {
        writeFully(fd, buf, 0, length, start);
      } catch (err) {
        try {
          fs.ftruncateSync(fd, start);
        } catch {
          // the write error below is the one to report
        }
        throw ioError('append to', this.logPath, err);
      }
    }
    if (start === 0) this.#firstBatchTimestamp = readInt64(buf, BatchOffsets.maxTimestamp);
    this.#indexBatch(start, length, lastOffset, maxTimestamp, offsetOfMaxTimestamp);
    this.nextOffset = lastOffset + 1;
    this.size = start + length;
  }

  /** Whether deferred appends wait for writePending. */
  get hasPending(): boolean {
    return this.#pendingBytes > 0;
  }

  /**
   * Writes the deferred appends with one positioned write (writev). A failure cuts the file back and
   * leaves the segment failed (its offsets and indexes are ahead of the file): every later append,
   * read or write throws the error, as Kafka takes a log dir offline on an I/O error.
   */
  writePending(): void {
    if (this.#writeError !== null) throw this.#writeError;
    const bytes = this.#pendingBytes;
    if (bytes === 0) return;
    const bufs = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const start = this.size - bytes;
    let fd = -1;
    try {
      fd = this.#fd ?? this.#openFd();
      const done = bufs.length === 1 ? 0 : fs.writevSync(fd, bufs, start);
      if (done < bytes) {
        const rest = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs).subarray(done);
        writeFully(fd, rest, 0, rest.length, start + done);
      }
    } catch (err) {
      if (fd >= 0) {
        try {
          fs.ftruncateSync(fd, start);
        } catch {
          // the write error below is the one to report
        }
      }
      this.#writeError = err instanceof KafkaStorageError ? err : ioError('append to', this.logPath, err);
      throw this.#writeError;
    }
  }

  // ---------------------------------------------------------------- lookup and read

  /**
   * The first batch whose last offset is >= target, at or after `startPosition`, below `limit`
   * (default: the segment's size); null when there is none.
   */
  translateOffset(target: number, startPosition = 0, limit = this.size): BatchLocation | null {
    const fd = this.fd();
    let pos = Math.max(startPosition, this.offsetIndex.lookup(target));
    const win = new FileWindow(fd, limit, 8192);
    while (pos + HEADER_BYTES <= limit) {
      const i = win.at(pos, HEADER_BYTES);
      const size = LOG_OVERHEAD + win.buf.readInt32BE(i + BatchOffsets.batchLength);
      const base = readInt64(win.buf, i);
      const last = base + win.buf.readInt32BE(i + BatchOffsets.lastOffsetDelta);
      if (last >= target) return { position: pos, size, baseOffset: base, lastOffset: last };
      pos += size;
    }
    return null;
  }

  /**
   * Reads whole batches starting at `loc` (found by translateOffset): up to `maxBytes`, below file
   * position `maxPosition`; the first batch whole even when larger than maxBytes if `minOneMessage`.
   */
  read(
    loc: BatchLocation,
    maxBytes: number,
    maxPosition: number,
    minOneMessage: boolean,
  ): { buf: Buffer; nextOffset: number } | null {
    const limit = Math.min(maxPosition, this.size);
    if (loc.position + loc.size > limit) return null;
    let len: number;
    if (loc.size > maxBytes) {
      if (!minOneMessage) return null;
      len = loc.size;
    } else len = Math.min(maxBytes, limit - loc.position);
    const buf = Buffer.allocUnsafe(len);
    const n = readFully(this.fd(), buf, 0, len, loc.position);
    if (n < loc.size) throw new KafkaStorageError(`short read of ${this.logPath} at ${loc.position}`);
    let p = 0;
    let next = loc.lastOffset + 1;
    while (p + LOG_OVERHEAD <= n) {
      const size = LOG_OVERHEAD + buf.readInt32BE(p + BatchOffsets.batchLength);
      if (p + size > n) break;
      next = readInt64(buf, p) + buf.readInt32BE(p + BatchOffsets.lastOffsetDelta) + 1;
      p += size;
    }
    return { buf: p === len ? buf : buf.subarray(0, p), nextOffset: next };
  }

  /**
   * Batch headers from `startPosition` to the end, for timestamp searches and compaction planning:
   * calls `visit(location, headerBuf, headerIndex)`; stop by returning false.
   */
  scanHeaders(
    startPosition: number,
    visit: (loc: BatchLocation, header: Buffer, at: number) => boolean | undefined,
  ): void {
    const win = new FileWindow(this.fd(), this.size, 65536);
    let pos = startPosition;
    while (pos + HEADER_BYTES <= this.size) {
      const i = win.at(pos, HEADER_BYTES);
      const size = LOG_OVERHEAD + win.buf.readInt32BE(i + BatchOffsets.batchLength);
      const base = readInt64(win.buf, i);
      const last = base + win.buf.readInt32BE(i + BatchOffsets.lastOffsetDelta);
      if (visit({ position: pos, size, baseOffset: base, lastOffset: last }, win.buf, i) === false) return;
      pos += size;
    }
  }

  /** Reads `size` bytes at `position` (a whole batch found by a scan). */
  readAt(position: number, size: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    const n = readFully(this.fd(), buf, 0, size, position);
    if (n < size) throw new KafkaStorageError(`short read of ${this.logPath} at ${position}`);
    return buf;
  }

  // ---------------------------------------------------------------- recovery and truncation

  /**
   * Scans the file and rebuilds what the indexes lost. Batches whose last offset is below
   * `validateFrom` were fsynced before the recovery point and are trusted: when the index files are
   * usable, the scan starts at the last index entry below it and checks their structure only.
   * From the first batch at or after `validateFrom` on, every batch is validated (length, magic,
   * CRC-32C, offsets); the file is cut at the first invalid one. `fullRebuild` ignores the index files.
   */
  recover(validateFrom: number, maxBatchBytes: number, fullRebuild = false): RecoveryResult {
    const fd = this.fd();
    let fileSize: number;
    try {
      fileSize = fs.fstatSync(fd).size;
    } catch (err) {
      throw ioError('stat', this.logPath, err);
    }
    let start = 0;
    let oi: OffsetIndex | null = null;
    let ti: TimeIndex | null = null;
    if (!fullRebuild && validateFrom > this.baseOffset) {
      if (!this.#offsetIndex) {
        const files = this.#readIndexFiles();
        oi = files?.oi ?? null;
        ti = files?.ti ?? null;
      } else {
        oi = this.#offsetIndex;
        ti = this.#timeIndex;
      }
      if (oi && ti) {
        oi.truncateToOffset(validateFrom);
        oi.truncateToPosition(fileSize);
        ti.truncateToOffset(validateFrom);
        if (!oi.isValid(Math.max(fileSize, 1)) || !ti.isValid()) {
          oi = null;
          ti = null;
        }
      }
    }
    if (oi && ti) {
      start = oi.lastPosition();
      this.maxTimestamp = ti.lastTimestamp();
      this.offsetOfMaxTimestamp = ti.lastEntryOffset();
      this.#firstBatchTimestamp = null;
    } else {
      oi = new OffsetIndex(this.indexPath, this.baseOffset, this.#settings.segmentIndexBytes);
      ti = new TimeIndex(this.timeIndexPath, this.baseOffset, this.#settings.segmentIndexBytes);
      // An empty index must replace whatever was in the files.
      oi.reset();
      ti.reset();
      this.maxTimestamp = -1;
      this.offsetOfMaxTimestamp = -1;
    }
    this.#offsetIndex = oi;
    this.#timeIndex = ti;
    this.#bytesSinceLastIndexEntry = 0;

    const win = new FileWindow(fd, fileSize, 4 * 1024 * 1024);
    let pos = start;
    let prevNext = this.baseOffset;
    let validated = 0;
    let reason: string | null = null;
    while (pos < fileSize) {
      const avail = fileSize - pos;
      let i = win.at(pos, HEADER_BYTES);
      // Structure first (header fields only), then the whole batch for the CRC.
      let why = checkBatch(win.buf, i, avail, prevNext, this.baseOffset, maxBatchBytes, false);
      if (why !== null) {
        reason = why;
        break;
      }
      const size = LOG_OVERHEAD + win.buf.readInt32BE(i + BatchOffsets.batchLength);
      const base = readInt64(win.buf, i);
      const last = base + win.buf.readInt32BE(i + BatchOffsets.lastOffsetDelta);
      const maxTs = readInt64(win.buf, i + BatchOffsets.maxTimestamp);
      if (last >= validateFrom) {
        i = win.at(pos, size);
        why = checkBatch(win.buf, i, avail, prevNext, this.baseOffset, maxBatchBytes, true);
        if (why !== null) {
          reason = why;
          break;
        }
        validated++;
      }
      if (pos === start && start > 0) {
        // The batch of the last index entry: already indexed; only counts toward the next entry.
        if (maxTs > this.maxTimestamp) {
          this.maxTimestamp = maxTs;
          this.offsetOfMaxTimestamp = last;
        }
        this.#bytesSinceLastIndexEntry = size;
      } else this.#indexBatch(pos, size, last, maxTs);
      if (pos === 0) this.#firstBatchTimestamp = maxTs;
      prevNext = last + 1;
      pos += size;
    }
    const truncatedBytes = fileSize - pos;
    if (truncatedBytes > 0) {
      try {
        // A lazily opened segment's descriptor is read-only: cut by path then.
        if (this.writable) fs.ftruncateSync(fd, pos);
        else fs.truncateSync(this.logPath, pos);
      } catch (err) {
        throw ioError('truncate', this.logPath, err);
      }
    }
    this.size = pos;
    this.nextOffset = prevNext;
    if (!this.writable) {
      // Rebuilt indexes of an inactive segment are written now (they are dropped when it is closed).
      if (this.maxTimestamp >= 0) ti.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
      oi.persist(false);
      ti.persist(false);
    }
    return { truncatedBytes, reason, position: pos, batchesValidated: validated };
  }

  /**
   * Removes every batch whose last offset is >= offset. Returns the bytes removed. The segment's
   * nextOffset afterwards is that of its last remaining batch.
   */
  truncateTo(offset: number): number {
    const loc = this.translateOffset(offset);
    if (loc === null) {
      if (this.nextOffset < 0) this.recover(Number.MAX_SAFE_INTEGER, INT32_MAX);
      return 0;
    }
    const before = this.size;
    const fd = this.fd();
    try {
      fs.ftruncateSync(fd, loc.position);
    } catch (err) {
      throw ioError('truncate', this.logPath, err);
    }
    this.#offsetIndex!.truncateToOffset(offset);
    this.#offsetIndex!.truncateToPosition(loc.position);
    this.#timeIndex!.truncateToOffset(offset);
    this.size = loc.position;
    // Recompute the tail state (next offset, max timestamp, bytes since the last entry) from headers.
    this.recover(Number.MAX_SAFE_INTEGER, INT32_MAX);
    return before - loc.position;
  }

  /** Makes sure nextOffset is known (reads the tail of a lazily opened segment). */
  ensureNextOffset(): number {
    if (this.nextOffset < 0) {
      const last = this.offsetIndex.lastPosition();
      let next = this.baseOffset;
      this.scanHeaders(last, (loc) => {
        next = loc.lastOffset + 1;
        return true;
      });
      this.nextOffset = next;
    }
    return this.nextOffset;
  }

  // ---------------------------------------------------------------- durability and lifecycle

  /** Writes index entries not yet in the files; with `fsync`, fsyncs the indexes too. */
  persistIndexes(fsync: boolean): void {
    if (!this.#offsetIndex) return;
    this.#offsetIndex.persist(fsync);
    this.#timeIndex!.persist(fsync);
  }

  /** fsyncs the log file (async, thread pool). The caller pins the segment around it. */
  async fsyncLog(): Promise<void> {
    const fd = this.fd();
    await new Promise<void>((resolve, reject) =>
      fs.fsync(fd, (err) => (err ? reject(ioError('fsync', this.logPath, err)) : resolve())),
    );
  }

  /** Persists the indexes (an active segment trims nothing: files hold exactly the entries) and closes. */
  close(): void {
    if (this.#pendingBytes > 0) this.writePending();
    if (this.writable) {
      this.persistIndexes(false);
      this.writable = false;
    }
    this.releaseFd();
  }

  /** Renames the files to `.deleted` (the log removes them after file.delete.delay.ms). */
  markDeleted(): string[] {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.deleted = true;
    this.writable = false;
    const renamed: string[] = [];
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        fs.renameSync(p, p + DELETED_SUFFIX);
        renamed.push(p + DELETED_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('rename', p, err);
      }
    }
    return renamed;
  }
}
