import { limits } from '../core/limits.js';
import { DecodeError } from './errors.js';

/** A tagged field this code does not know, kept so it survives a decode/encode round trip. */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

/** The bounds a Reader enforces, on top of the bytes actually remaining. Defaults: core/limits. */
export interface ReaderLimits {
  decodeArrayCountMax: number;
  decodeStringBytesMax: number;
  decodeBytesMax: number;
  decodeTaggedFieldCountMax: number;
}

/**
 * The string form of Kafka's all-zero UUID (Uuid.ZERO_UUID). UUIDs are decoded to the same
 * 22-character unpadded base64url text that Kafka's Uuid.toString() prints.
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const TWO_32 = 4294967296;

/**
 * A bounds-checked cursor over `buf[pos, end)`. Every read checks the bytes remaining; every
 * length or count read from the wire is checked against the remaining bytes and a limit before
 * anything is allocated. Failures throw DecodeError naming the field (when the caller passes it).
 * Variable-length values (bytes, records, unknown tagged fields) are subarrays of `buf`, never copies.
 *
 * `pos` and `end` are public so generated code can narrow the window for a tagged field and
 * restore it afterwards.
 */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;
  readonly arrayCountMax: number;
  readonly stringBytesMax: number;
  readonly bytesMax: number;
  readonly taggedFieldCountMax: number;

  constructor(buf: Buffer, offset = 0, end = buf.length, bounds: ReaderLimits = limits) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new RangeError(`Reader window [${offset}, ${end}) outside buffer of ${buf.length}`);
    }
    this.buf = buf;
    this.pos = offset;
    this.end = end;
    this.arrayCountMax = bounds.decodeArrayCountMax;
    this.stringBytesMax = bounds.decodeStringBytesMax;
    this.bytesMax = bounds.decodeBytesMax;
    this.taggedFieldCountMax = bounds.decodeTaggedFieldCountMax;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private eof(n: number, field: string | undefined): DecodeError {
    return new DecodeError(`needs ${n} bytes, ${this.end - this.pos} remaining`, field);
  }

  skip(n: number, field?: string): void {
    if (n < 0 || this.end - this.pos < n) throw this.eof(n, field);
    this.pos += n;
  }

  // ---- fixed-size integers -------------------------------------------------------------------

  int8(field?: string): number {
    if (this.pos >= this.end) throw this.eof(1, field);
    return this.buf.readInt8(this.pos++);
  }

  uint8(field?: string): number {
    if (this.pos >= this.end) throw this.eof(1, field);
    return this.buf[this.pos++]!;
  }

  bool(field?: string): boolean {
    if (this.pos >= this.end) throw this.eof(1, field);
    return this.buf[this.pos++] !== 0;
  }

  int16(field?: string): number {
    const p = this.pos;
    if (this.end - p < 2) throw this.eof(2, field);
    this.pos = p + 2;
    return this.buf.readInt16BE(p);
  }

  uint16(field?: string): number {
    const p = this.pos;
    if (this.end - p < 2) throw this.eof(2, field);
    this.pos = p + 2;
    return this.buf.readUInt16BE(p);
  }

  int32(field?: string): number {
    const p = this.pos;
    if (this.end - p < 4) throw this.eof(4, field);
    this.pos = p + 4;
    return this.buf.readInt32BE(p);
  }

  uint32(field?: string): number {
    const p = this.pos;
    if (this.end - p < 4) throw this.eof(4, field);
    this.pos = p + 4;
    return this.buf.readUInt32BE(p);
  }

  /**
   * int64 as a number: exact within ±2^53 (offsets, timestamps, producer ids); beyond that the
   * nearest double (Long.MAX_VALUE sentinels read as 2^63, which the Writer saturates back).
   */
  int64(field?: string): number {
    const p = this.pos;
    if (this.end - p < 8) throw this.eof(8, field);
    this.pos = p + 8;
    return this.buf.readInt32BE(p) * TWO_32 + this.buf.readUInt32BE(p + 4);
  }

  int64Big(field?: string): bigint {
    const p = this.pos;
    if (this.end - p < 8) throw this.eof(8, field);
    this.pos = p + 8;
    return this.buf.readBigInt64BE(p);
  }

  float64(field?: string): number {
    const p = this.pos;
    if (this.end - p < 8) throw this.eof(8, field);
    this.pos = p + 8;
    return this.buf.readDoubleBE(p);
  }

  /** 16 bytes, returned as Kafka's 22-character base64url text. */
  uuid(field?: string): string {
    const p = this.pos;
    if (this.end - p < 16) throw this.eof(16, field);
    this.pos = p + 16;
    return this.buf.toString('base64url', p, p + 16);
  }

  /** 16 bytes as a subarray (no copy). */
  uuidBytes(field?: string): Buffer {
    const p = this.pos;
    if (this.end - p < 16) throw this.eof(16, field);
    this.pos = p + 16;
    return this.buf.subarray(p, p + 16);
  }

  // ---- varints -------------------------------------------------------------------------------

  /** Unsigned varint of at most 5 bytes (0 .. 2^32-1). */
  uvarint(field?: string): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) throw this.eof(1, field);
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (p >= end) throw new DecodeError('truncated varint', field);
      b = buf[p++]!;
      if (shift === 28) {
        if (b > 0x0f) throw new DecodeError('varint longer than 5 bytes or above 2^32-1', field);
        this.pos = p;
        return value + b * 268435456;
      }
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return value;
      }
    }
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(field?: string): number {
    const raw = this.uvarint(field);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zigzag-encoded signed 64-bit varint as a number (exact within ±2^53). */
  varlong(field?: string): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= end) throw new DecodeError('truncated varlong', field);
      const b = buf[p++]!;
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = p;
        return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
      }
      mul *= 128;
    }
    // More than 49 bits: take the exact path and round once.
    return Number(this.varlongBig(field));
  }

  /** Zigzag-encoded signed 64-bit varint, exact. */
  varlongBig(field?: string): bigint {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let value = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (p >= end) throw new DecodeError('truncated varlong', field);
      const b = buf[p++]!;
      if (i === 9 && b > 0x01) throw new DecodeError('varlong longer than 10 bytes', field);
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    this.pos = p;
    return (value >> 1n) ^ -(value & 1n);
  }

  // ---- lengths and counts --------------------------------------------------------------------

  private checkLength(n: number, max: number, what: string, field: string | undefined): void {
    if (n > max) throw new DecodeError(`${what} length ${n} exceeds limit ${max}`, field);
    if (n > this.end - this.pos) {
      throw new DecodeError(`${what} length ${n} exceeds remaining ${this.end - this.pos}`, field);
    }
  }

  /**
   * Checks an array count before the caller allocates: against the limit and against the bytes
   * remaining, given that every element takes at least `minElementBytes` bytes.
   */
  checkCount(n: number, minElementBytes: number, field?: string): void {
    if (n > this.arrayCountMax) {
      throw new DecodeError(`array count ${n} exceeds limit ${this.arrayCountMax}`, field);
    }
    const rem = this.end - this.pos;
    if (n * minElementBytes > rem) {
      throw new DecodeError(
        `array count ${n} needs at least ${n * minElementBytes} bytes, ${rem} remaining`,
        field,
      );
    }
  }

  /** Classic array count (int32); -1 (any negative) means null. */
  arrayLength(minElementBytes: number, field?: string): number {
    const n = this.int32(field);
    if (n < 0) return -1;
    this.checkCount(n, minElementBytes, field);
    return n;
  }

  /** Compact array count (unsigned varint N+1); -1 means null. */
  compactArrayLength(minElementBytes: number, field?: string): number {
    const n = this.uvarint(field) - 1;
    if (n < 0) return -1;
    this.checkCount(n, minElementBytes, field);
    return n;
  }

  // ---- strings -------------------------------------------------------------------------------

  private utf8(n: number, field: string | undefined): string {
    this.checkLength(n, this.stringBytesMax, 'string', field);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }

  string(field?: string): string {
    const n = this.int16(field);
    if (n < 0) throw new DecodeError('null in a non-nullable string', field);
    return this.utf8(n, field);
  }

  nullableString(field?: string): string | null {
    const n = this.int16(field);
    if (n < 0) return null;
    return this.utf8(n, field);
  }

  compactString(field?: string): string {
    const n = this.uvarint(field) - 1;
    if (n < 0) throw new DecodeError('null in a non-nullable string', field);
    return this.utf8(n, field);
  }

  compactNullableString(field?: string): string | null {
    const n = this.uvarint(field) - 1;
    if (n < 0) return null;
    return this.utf8(n, field);
  }

  // ---- bytes (also used for records) ---------------------------------------------------------

  private slice(n: number, field: string | undefined): Buffer {
    this.checkLength(n, this.bytesMax, 'bytes', field);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  /** Raw bytes of a known size (no length prefix), as a subarray. */
  raw(n: number, field?: string): Buffer {
    return this.slice(n, field);
  }

  bytes(field?: string): Buffer {
    const n = this.int32(field);
    if (n < 0) throw new DecodeError('null in non-nullable bytes', field);
    return this.slice(n, field);
  }

  nullableBytes(field?: string): Buffer | null {
    const n = this.int32(field);
    if (n < 0) return null;
    return this.slice(n, field);
  }

  compactBytes(field?: string): Buffer {
    const n = this.uvarint(field) - 1;
    if (n < 0) throw new DecodeError('null in non-nullable bytes', field);
    return this.slice(n, field);
  }

  compactNullableBytes(field?: string): Buffer | null {
    const n = this.uvarint(field) - 1;
    if (n < 0) return null;
    return this.slice(n, field);
  }

  // ---- tagged fields -------------------------------------------------------------------------

  /** Number of tagged fields in a section; each takes at least 2 bytes (tag and size). */
  taggedFieldCount(field = '_taggedFields'): number {
    const n = this.uvarint(field);
    if (n > this.taggedFieldCountMax) {
      throw new DecodeError(`tagged field count ${n} exceeds limit ${this.taggedFieldCountMax}`, field);
    }
    if (n * 2 > this.end - this.pos) {
      throw new DecodeError(`tagged field count ${n} exceeds remaining ${this.end - this.pos}`, field);
    }
    return n;
  }

  /** Size of one tagged field's data, checked against the bytes remaining. */
  taggedFieldSize(tag: number, field = '_taggedFields'): number {
    const n = this.uvarint(field);
    if (n > this.end - this.pos) {
      throw new DecodeError(`tag ${tag} size ${n} exceeds remaining ${this.end - this.pos}`, field);
    }
    return n;
  }

  /** Reads a whole tagged-field section where no tag is known; undefined when it is empty. */
  unknownTaggedFields(): RawTaggedField[] | undefined {
    const n = this.taggedFieldCount();
    if (n === 0) return undefined;
    const out: RawTaggedField[] = [];
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint('_taggedFields');
      const size = this.taggedFieldSize(tag);
      out.push({ tag, data: this.buf.subarray(this.pos, this.pos + size) });
      this.pos += size;
    }
    return out;
  }
}
