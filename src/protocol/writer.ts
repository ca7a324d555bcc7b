import { EncodeError } from './errors.js';
import type { RawTaggedField } from './reader.js';

/** Payloads at least this large are appended by reference (a chunk of their own), never copied. */
export const WRITER_ZERO_COPY_MIN_BYTES = 1024;
/** First buffer a Writer allocates. */
export const WRITER_INITIAL_BYTES = 4096;
/** Largest buffer a Writer allocates when it grows (bigger single writes get exactly their size). */
export const WRITER_GROW_MAX_BYTES = 1_048_576;

const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;
const UUID_TEXT = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const EMPTY = Buffer.alloc(0);

/** A reserved 4-byte slot, patched later (e.g. a frame's size prefix). */
export interface Int32Slot {
  readonly buf: Buffer;
  readonly offset: number;
}

/**
 * A growable writer whose output is a list of chunks, suitable for `socket.cork()` + writes or
 * `writev`. Small values are copied into the current buffer; large payloads (records, fetched
 * segment slices) are appended by reference with `rawChunks`/`raw`, so a 1 MiB fetch response
 * costs no copy. `toBuffer()` concatenates (for tests and small messages).
 */
export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  /** Start of the part of `buf` not yet pushed to `chunks`. */
  private start = 0;
  private pos = 0;
  private flushed = 0;

  constructor(initialBytes = WRITER_INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    this.flushPending();
    const size = Math.max(n, Math.min(this.buf.length * 2, WRITER_GROW_MAX_BYTES));
    this.buf = Buffer.allocUnsafe(size);
    this.start = 0;
    this.pos = 0;
  }

  private flushPending(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
  }

  /** The output so far as chunks (the Writer may continue to be written after). */
  finish(): Buffer[] {
    this.flushPending();
    return this.chunks.slice();
  }

  toBuffer(): Buffer {
    const chunks = this.finish();
    if (chunks.length === 0) return EMPTY;
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.flushed);
  }

  // ---- fixed-size -----------------------------------------------------------------------------

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  /**
   * int64 from a number. Integers only; values at or beyond ±2^63 saturate to Long.MIN/MAX_VALUE
   * (so a Long.MAX_VALUE sentinel read as 2^63 writes back unchanged).
   */
  int64(v: number): void {
    if (!Number.isInteger(v)) throw new EncodeError(`int64 value ${v} is not an integer`);
    this.ensure(8);
    const p = this.pos;
    if (v >= TWO_63) {
      this.buf.writeUInt32BE(0x7fffffff, p);
      this.buf.writeUInt32BE(0xffffffff, p + 4);
    } else if (v <= -TWO_63) {
      this.buf.writeUInt32BE(0x80000000, p);
      this.buf.writeUInt32BE(0, p + 4);
    } else {
      const hi = Math.floor(v / TWO_32);
      this.buf.writeInt32BE(hi, p);
      this.buf.writeUInt32BE(v - hi * TWO_32, p + 4);
    }
    this.pos = p + 8;
  }

  int64Big(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A UUID given as Kafka's 22-character base64url text. */
  uuid(v: string): void {
    if (typeof v !== 'string' || !UUID_TEXT.test(v)) {
      throw new EncodeError(`not a 22-character base64url UUID: ${String(v)}`);
    }
    this.ensure(16);
    this.buf.write(v, this.pos, 16, 'base64url');
    this.pos += 16;
  }

  uuidBytes(v: Buffer): void {
    if (v.length !== 16) throw new EncodeError(`UUID must be 16 bytes, got ${v.length}`);
    this.ensure(16);
    v.copy(this.buf, this.pos);
    this.pos += 16;
  }

  // ---- varints --------------------------------------------------------------------------------

  uvarint(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0 || v > 0xffffffff) throw new EncodeError(`unsigned varint out of range: ${v}`);
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p++] = v;
    this.pos = p;
  }

  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag varlong from a number (exact within ±2^53). */
  varlong(v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`varlong value ${v} is not a safe integer`);
    if (v >= 2 ** 51 || v <= -(2 ** 51)) {
      this.varlongBig(BigInt(v));
      return;
    }
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    while (z >= 0x80) {
      buf[p++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[p++] = z;
    this.pos = p;
  }

  varlongBig(v: bigint): void {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    while (z >= 0x80n) {
      buf[p++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    buf[p++] = Number(z);
    this.pos = p;
  }

  // ---- strings --------------------------------------------------------------------------------

  private utf8(s: string, n: number): void {
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0x7fff) throw new EncodeError(`string of ${n} bytes does not fit an int16 length`);
    this.int16(n);
    this.utf8(s, n);
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }

  compactString(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.utf8(s, n);
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  // ---- bytes and records ----------------------------------------------------------------------

  /** Appends bytes without a length prefix; large ones by reference (no copy). */
  raw(b: Buffer): void {
    const n = b.length;
    if (n >= WRITER_ZERO_COPY_MIN_BYTES) {
      this.flushPending();
      this.chunks.push(b);
      this.flushed += n;
      return;
    }
    this.ensure(n);
    b.copy(this.buf, this.pos);
    this.pos += n;
  }

  /** Appends several payloads in order, without a prefix (see raw). */
  rawChunks(bs: readonly Buffer[]): void {
    for (const b of bs) this.raw(b);
  }

  bytes(b: Buffer): void {
    this.int32(b.length);
    this.raw(b);
  }

  nullableBytes(b: Buffer | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  compactBytes(b: Buffer): void {
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  compactNullableBytes(b: Buffer | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  /** A `records` field: one buffer, several (e.g. segment slices of a fetch) or null. */
  records(v: Buffer | readonly Buffer[] | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (Buffer.isBuffer(v)) {
      if (compact) this.uvarint(v.length + 1);
      else this.int32(v.length);
      this.raw(v);
      return;
    }
    let n = 0;
    for (const b of v) n += b.length;
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
    this.rawChunks(v);
  }

  // ---- arrays and tagged fields ---------------------------------------------------------------

  /** Array count: int32 (classic) or unsigned varint N+1 (compact); null is -1 / 0. */
  arrayLength(n: number | null, compact: boolean): void {
    if (compact) this.uvarint(n === null ? 0 : n + 1);
    else this.int32(n === null ? -1 : n);
  }

  /** One raw tagged field (tag, size, data). */
  rawTaggedField(f: RawTaggedField): void {
    this.uvarint(f.tag);
    this.uvarint(f.data.length);
    this.raw(f.data);
  }

  /** A tagged-field section holding only unknown (raw) fields, sorted by tag as given. */
  unknownTaggedFields(fields: readonly RawTaggedField[] | undefined): void {
    if (fields === undefined || fields.length === 0) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    this.uvarint(fields.length);
    for (const f of fields) this.rawTaggedField(f);
  }

  // ---- patching -------------------------------------------------------------------------------

  /** Reserves 4 bytes to patch later with patchInt32 (e.g. a size prefix). */
  reserveInt32(): Int32Slot {
    this.ensure(4);
    const slot = { buf: this.buf, offset: this.pos };
    this.pos += 4;
    return slot;
  }

  patchInt32(slot: Int32Slot, v: number): void {
    slot.buf.writeInt32BE(v, slot.offset);
  }
}
