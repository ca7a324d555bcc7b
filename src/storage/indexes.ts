/**
 * The sparse offset index (`.index`) and time index (`.timeindex`) of a segment, in Kafka's file
 * formats (big-endian):
 *   .index      8-byte entries: relative offset int32 (batch last offset − segment base), position int32
 *   .timeindex 12-byte entries: timestamp int64 (max timestamp so far), relative offset int32 (its offset)
 *
 * Entries live in memory (a growable buffer in the file's own layout) and are written to the file
 * at flush, roll and close; entries not yet written are rebuilt by recovery, which scans everything
 * after the recovery point. Node has no mmap, so this is how the index stays cheap to append to.
 */
import * as fs from 'node:fs';
import { AssertionError } from '../core/assert.js';
import { ioError } from './errors.js';
import { readInt64, writeInt64 } from '../protocol/records/batch.js';
import { readFully, writeFully } from './fs-util.js';

abstract class IndexBase {
  readonly baseOffset: number;
  readonly path: string;
  readonly entrySize: number;
  /** Most entries the index may hold (segment.index.bytes / entry size). */
  maxEntries: number;
  protected buf: Buffer;
  count = 0;
  /** Entries already in the file. */
  protected persisted = 0;
  /** The file holds more entries than `persisted` (after a truncation): cut it before writing. */
  protected fileNeedsCut = false;

  constructor(path: string, baseOffset: number, entrySize: number, maxIndexBytes: number, initial?: Buffer) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.entrySize = entrySize;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
    if (initial) {
      this.count = Math.floor(initial.length / entrySize);
      this.buf = Buffer.allocUnsafe(Math.max(entrySize * 16, initial.length));
      initial.copy(this.buf, 0, 0, this.count * entrySize);
      this.persisted = this.count;
      this.fileNeedsCut = initial.length !== this.count * entrySize;
    } else {
      this.buf = Buffer.allocUnsafe(entrySize * 16);
    }
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  protected grow(): void {
    if ((this.count + 1) * this.entrySize <= this.buf.length) return;
    const next = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(next, 0, 0, this.count * this.entrySize);
    this.buf = next;
  }

  /** Keeps the first `n` entries. */
  truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (n < this.persisted) {
      this.persisted = n;
      this.fileNeedsCut = true;
    }
  }

  /** Empties the index, in memory and (at the next persist) in the file. */
  reset(): void {
    this.count = 0;
    this.persisted = 0;
    this.fileNeedsCut = true;
  }

  /** Writes the entries the file does not have yet (and cuts it after a truncation). */
  persist(fsync: boolean): void {
    if (this.persisted === this.count && !this.fileNeedsCut && !fsync) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      if (this.fileNeedsCut) fs.ftruncateSync(fd, this.persisted * this.entrySize);
      const from = this.persisted * this.entrySize;
      const to = this.count * this.entrySize;
      if (to > from) writeFully(fd, this.buf, from, to - from, from);
      if (fsync) fs.fsyncSync(fd);
    } catch (err) {
      throw ioError('write index', this.path, err);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    this.persisted = this.count;
    this.fileNeedsCut = false;
  }

  /** Binary search: index of the last entry whose key (`keyAt`) is <= target, or -1. */
  protected floorIndex(target: number, keyAt: (i: number) => number): number {
    return floorSearch(this.count, target, keyAt);
  }
}

/** Binary search over keys ascending in [0, count): index of the last key <= target, or -1. */
export function floorSearch(count: number, target: number, keyAt: (i: number) => number): number {
  let lo = 0;
  let hi = count - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keyAt(mid) <= target) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** Reads an index file; null when absent. */
export function readIndexFile(path: string): Buffer | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    readFully(fd, buf, 0, size, 0);
    return buf;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('read index', path, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class OffsetIndex extends IndexBase {
  static readonly ENTRY_SIZE = 8;

  constructor(path: string, baseOffset: number, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, OffsetIndex.ENTRY_SIZE, maxIndexBytes, initial);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 8);
  }
  positionAt(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }

  lastOffset(): number {
    return this.count === 0 ? -1 : this.offsetAt(this.count - 1);
  }
  lastPosition(): number {
    return this.count === 0 ? 0 : this.positionAt(this.count - 1);
  }

  /** Adds (batch last offset, batch position); both strictly increase. */
  append(offset: number, position: number): void {
    // Invariants (messages built only on failure: an entry is added per append of a large batch).
    if (this.count > 0 && offset <= this.lastOffset())
      throw new AssertionError(`offset index ${this.path}: ${offset} not increasing`);
    if (this.count > 0 && position <= this.lastPosition())
      throw new AssertionError(`offset index ${this.path}: position ${position} not increasing`);
    this.grow();
    this.buf.writeInt32BE(offset - this.baseOffset, this.count * 8);
    this.buf.writeInt32BE(position, this.count * 8 + 4);
    this.count++;
  }

  /**
   * Position to start scanning for `target`: the position of the last indexed batch whose last offset is
   * <= target (that batch or a later one holds target), or 0.
   */
  lookup(target: number): number {
    const i = this.floorIndex(target, (k) => this.offsetAt(k));
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** Drops entries whose offset is >= offset. */
  truncateToOffset(offset: number): void {
    const i = this.floorIndex(offset - 1, (k) => this.offsetAt(k));
    this.truncateEntries(i + 1);
  }

  /** Drops entries whose position is >= position. */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positionAt(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  /** True when offsets and positions strictly increase, offsets are >= base and positions < logSize. */
  isValid(logSize: number): boolean {
    let prevO = -1;
    let prevP = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.buf.readInt32BE(i * 8);
      const p = this.positionAt(i);
      if (rel < 0 || rel <= prevO || p <= prevP || p >= logSize) return false;
      prevO = rel;
      prevP = p;
    }
    return true;
  }
}

export class TimeIndex extends IndexBase {
  static readonly ENTRY_SIZE = 12;

  constructor(path: string, baseOffset: number, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, TimeIndex.ENTRY_SIZE, maxIndexBytes, initial);
  }

  timestampAt(i: number): number {
    return readInt64(this.buf, i * 12);
  }
  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 12 + 8);
  }

  lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }
  lastEntryOffset(): number {
    return this.count === 0 ? -1 : this.offsetAt(this.count - 1);
  }

  /**
   * Adds (max timestamp so far, its offset) when the timestamp grew. `force` skips the full check
   * (the final entry written when the segment is closed).
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (this.count > 0 && timestamp <= this.lastTimestamp()) return;
    if (this.isFull && !force) return;
    if (this.count > 0 && offset < this.lastEntryOffset()) return;
    this.grow();
    writeInt64(this.buf, timestamp, this.count * 12);
    this.buf.writeInt32BE(offset - this.baseOffset, this.count * 12 + 8);
    this.count++;
  }

  /**
   * The offset of the last entry whose timestamp is < target (every batch before that offset has a
   * smaller max timestamp), or -1: scanning can start at the batch containing that offset.
   */
  lookupBefore(target: number): number {
    const i = this.floorIndex(target - 1, (k) => this.timestampAt(k));
    return i < 0 ? -1 : this.offsetAt(i);
  }

  /** Drops entries whose offset is >= offset. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
  }

  isValid(): boolean {
    let prevT = Number.NEGATIVE_INFINITY;
    let prevO = -1;
    for (let i = 0; i < this.count; i++) {
      const t = this.timestampAt(i);
      const rel = this.buf.readInt32BE(i * 12 + 8);
      if (rel < 0 || rel < prevO || t <= prevT) return false;
      prevT = t;
      prevO = rel;
    }
    return true;
  }
}
